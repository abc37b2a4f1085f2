import { execFile, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './loopback.js';

const run = promisify(execFile);

// Debian's postgresql-15 server binaries (on these machines; .ci/run installs `postgresql` where they are missing).
const PGBIN = '/usr/lib/postgresql/15/bin';
const asRoot = process.getuid?.() === 0;


/** initdb and pg_ctl refuse root: as root they run as the `postgres` user, who owns the folder. */
function pgTool(tool: string, args: string[]): Promise<unknown> {
  const file = path.join(PGBIN, tool);
  return asRoot ? run('runuser', ['-u', 'postgres', '--', file, ...args], { timeout: 60_000 }) : run(file, args, { timeout: 60_000 });
}

/**
 * A real PostgreSQL server of its own in a temp folder on a loopback port (user `test`, trust authentication),
 * started by a test file and stopped (and started again, for outage tests) and removed by it.
 */
export class PostgresServer {
  readonly dir: string;
  port = 0;
  private running = false;

  private constructor(private readonly durable: boolean) {
    // Not inside a 0700 folder of root's: the postgres user must reach it.
    this.dir = mkdtempSync('/tmp/pg.');
    if (asRoot) chownSync(this.dir, idOf('-u'), idOf('-g'));
  }

  /** `durable`: with PostgreSQL's own defaults (fsync, synchronous commit), as a production server runs; for benchmarks. */
  static async create(opts: { durable?: boolean } = {}): Promise<PostgresServer> {
    if (!existsSync(path.join(PGBIN, 'postgres'))) throw new Error(`PostgreSQL 15 is not installed (${PGBIN}); .ci/run installs it`);
    const server = new PostgresServer(opts.durable ?? false);
    await pgTool('initdb', ['-D', `${server.dir}/data`, '-A', 'trust', '-U', 'test', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    // The administrator `test` needs no password; every other login does (a wrong password must be refused).
    writeFileSync(`${server.dir}/data/pg_hba.conf`, 'local all all trust\nhost all test 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n');
    await server.start();
    return server;
  }

  async start(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (!this.port || attempt > 0) this.port = await freePort();
      try {
        await pgTool('pg_ctl', [
          '-D', `${this.dir}/data`, '-l', `${this.dir}/log`, '-w', '-t', '30', 'start',
          '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1${this.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off'} -c TimeZone=Europe/Stockholm`,
        ]);
        this.running = true;
        return;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  }

  /** A fast shutdown (pg_ctl -m fast: never kill the runuser process); the data stays for start(). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await pgTool('pg_ctl', ['-D', `${this.dir}/data`, '-m', 'fast', '-w', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  url(user: string, password: string, database: string): string {
    return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${this.port}/${database}`;
  }

  client(database = 'postgres'): pg.Client {
    return new pg.Client({ host: '127.0.0.1', port: this.port, user: 'test', database });
  }

  async sql(statements: string, database = 'postgres'): Promise<pg.QueryResult> {
    const c = this.client(database);
    await c.connect();
    try {
      return await c.query(statements);
    } finally {
      await c.end();
    }
  }

  /** A database and a script (a pg_dump, a schema) loaded into it by psql, as an administrator would. */
  async load(file: string, database: string): Promise<void> {
    await this.sql(`CREATE DATABASE ${database}`).catch((error: { code?: string }) => {
      if (error.code !== '42P04') throw error;
    });
    const child = spawn('psql', ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'test', '-d', database, '-v', 'ON_ERROR_STOP=1', '-q', '-f', path.resolve(file)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`loading ${file} failed: ${stderr}`);
  }

  /** A login that may only read `table`, as the README tells administrators to create. */
  async readOnlyUser(user: string, password: string, database: string, table: string): Promise<void> {
    await this.sql(`DO $$ BEGIN CREATE ROLE ${user} LOGIN PASSWORD '${password}'; EXCEPTION WHEN duplicate_object THEN NULL; END $$`, database);
    await this.sql(`GRANT CONNECT ON DATABASE ${database} TO ${user}; GRANT USAGE ON SCHEMA public TO ${user}; GRANT SELECT ON ${table} TO ${user}`, database);
  }
}

/** The postgres user's uid (-u) or gid (-g). Synchronous on purpose: once per server, before anything runs. */
function idOf(flag: '-u' | '-g'): number {
  return Number(execFileSync('id', [flag, 'postgres']).toString().trim());
}
