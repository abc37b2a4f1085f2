import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort } from './loopback.js';

const run = promisify(execFile);

// Debian's mariadb-server (.ci/run installs it); the server binary is not on a non-root PATH.
const MARIADBD = ['/usr/sbin/mariadbd', '/usr/bin/mariadbd'].find((p) => existsSync(p)) ?? 'mariadbd';
const OPTS = [
  '--no-defaults',
  '--skip-log-bin',
  '--skip-name-resolve',
  '--bind-address=127.0.0.1',
  '--innodb-log-file-size=16M',
  '--innodb-flush-log-at-trx-commit=0',
  '--innodb-doublewrite=0',
  '--character-set-server=utf8mb4',
  '--collation-server=utf8mb4_general_ci',
  ...(process.getuid?.() === 0 ? ['--user=root'] : []),
];


/**
 * A real MariaDB server of its own, in a short temp folder on a loopback port: started by a test file, stopped (and
 * started again on the same port and data, for outage tests) and removed by it. Root has no password on 127.0.0.1.
 */
export class MariaDbServer {
  readonly dir: string;
  port = 0;
  private child: ChildProcess | null = null;

  private constructor() {
    // Short: the socket path must stay under 108 characters.
    this.dir = mkdtempSync('/tmp/mdb.');
  }

  static async create(): Promise<MariaDbServer> {
    const server = new MariaDbServer();
    await run('mariadb-install-db', [...OPTS, `--datadir=${server.dir}/data`, '--auth-root-authentication-method=normal', '--skip-test-db'], { timeout: 60_000 });
    await server.start();
    return server;
  }

  /** Start (again): the first start picks a free port, later ones keep it. */
  async start(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (!this.port || attempt > 0) this.port = await freePort();
      const child = spawn(
        MARIADBD,
        [...OPTS, `--datadir=${this.dir}/data`, `--port=${this.port}`, `--socket=${this.dir}/sock`, `--pid-file=${this.dir}/pid`, `--log-error=${this.dir}/err.log`],
        { stdio: 'ignore' },
      );
      this.child = child;
      const exited = new Promise<boolean>((resolve) => child.once('exit', () => resolve(false)));
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        if (await Promise.race([this.ping(), exited.then(() => false)])) return;
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      this.child = null;
      child.kill('SIGKILL');
      // Someone took the port between our look and the bind: another port, once or twice.
      if (attempt >= 3) throw new Error(`mariadbd did not start; see ${this.dir}/err.log`);
    }
  }

  private async ping(): Promise<boolean> {
    try {
      const c = await mysql.createConnection({ host: '127.0.0.1', port: this.port, user: 'root', connectTimeout: 1_000 });
      await c.end();
      return true;
    } catch {
      return false;
    }
  }

  /** Stop the server (a clean shutdown); its data stays for start(). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  url(user: string, password: string, database: string): string {
    return `mysql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${this.port}/${database}`;
  }

  /** A root connection (close it); `dateStrings` as the bridge reads. */
  root(database?: string): Promise<mysql.Connection> {
    return mysql.createConnection({ host: '127.0.0.1', port: this.port, user: 'root', database, dateStrings: true, multipleStatements: true, charset: 'UTF8MB4_GENERAL_CI' });
  }

  async sql(statements: string, database?: string): Promise<unknown> {
    const c = await this.root(database);
    try {
      const [result] = await c.query(statements);
      return result;
    } finally {
      await c.end();
    }
  }

  /** A dump loaded as it is, by MariaDB's own client (it reads the `/*M!999999\- enable the sandbox mode *\/` line of new mysqldumps). */
  async load(dumpFile: string, database: string): Promise<void> {
    await this.sql(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4`);
    const child = spawn('mariadb', ['--no-defaults', '--protocol=tcp', '-h127.0.0.1', `-P${this.port}`, '-uroot', database], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    createReadStream(path.resolve(dumpFile)).pipe(child.stdin);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`loading ${dumpFile} failed: ${stderr}`);
  }

  /** A user that may only read `table` (db.table), as the README tells administrators to create. */
  async readOnlyUser(user: string, password: string, table: string): Promise<void> {
    await this.sql(`CREATE USER IF NOT EXISTS '${user}'@'127.0.0.1' IDENTIFIED BY '${password}'; GRANT SELECT ON ${table} TO '${user}'@'127.0.0.1'`);
  }
}
