import { MysqlCdrTable } from './mysql.js';
import { PgCdrTable } from './postgres.js';
import { SqliteCdrTable } from './sqlite.js';
import type { CdrTable, TableSpec } from './table.js';

/** The driver a source's url names: mysql:// or mariadb:// (mysql2), postgres:// or postgresql:// (pg), sqlite: (better-sqlite3). */
export function openCdrTable(spec: TableSpec): CdrTable {
  const scheme = /^([a-z]+):/.exec(spec.url)?.[1];
  if (scheme === 'postgres' || scheme === 'postgresql') return new PgCdrTable(spec);
  if (scheme === 'sqlite') return new SqliteCdrTable(spec);
  return new MysqlCdrTable(spec);
}
