import pg from 'pg';
import type { Locks } from './locks.js';

/** The first key of every advisory lock the bridge takes, so its locks never meet another application's. */
const LOCK_SPACE = 0x0ca11b1d;

/**
 * Locks as PostgreSQL session advisory locks on a connection of their own. The server releases them the moment that
 * connection ends: a replica killed, its host gone (once TCP keepalive gives up on it), the database restarted. A
 * lost connection is noticed here as well, and every lock then counts as lost until taken again.
 */
export class PostgresLocks implements Locks {
  readonly shared = true;
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private readonly names = new Set<string>();
  private closed = false;

  constructor(private readonly url: string) {}

  async acquire(name: string): Promise<boolean> {
    if (this.closed) return false;
    try {
      const client = await this.connection();
      // Held already: the connection that holds it is still alive (a query on a dead one fails, and all are lost).
      if (this.names.has(name)) return (await client.query('SELECT 1'), this.names.has(name));
      const result = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS got', [LOCK_SPACE, name]);
      if (result.rows[0]?.got && this.client === client) this.names.add(name);
    } catch {
      // The database cannot be reached, or the connection failed a query: nothing counts as held any more, and ending
      // the connection frees on the server whatever it still held. The next attempt connects again.
      await this.drop();
    }
    return this.names.has(name);
  }

  async release(name: string): Promise<void> {
    if (!this.names.delete(name) || !this.client) return;
    await this.client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_SPACE, name]).catch(() => undefined);
  }

  holds(name: string): boolean {
    return this.names.has(name);
  }

  held(): string[] {
    return [...this.names].sort();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.drop();
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.names.clear();
    await client?.end().catch(() => undefined);
  }

  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new pg.Client({
        connectionString: this.url,
        connectionTimeoutMillis: 5_000,
        query_timeout: 10_000,
        keepAlive: true,
        keepAliveInitialDelayMillis: 5_000,
        application_name: 'callbridge locks',
        // The server's side: a holder whose host vanished (no reset ever comes) is given up after about 25 s, not the
        // operating system's two hours, and its locks are free again.
        options: '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3',
      });
      const lost = () => {
        if (this.client !== client) return;
        this.client = null;
        this.names.clear();
      };
      client.on('error', lost);
      client.on('end', lost);
      try {
        await client.connect();
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
      this.client = client;
      return client;
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }
}
