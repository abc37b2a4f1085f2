import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/load.js';
import { LedgerUnavailableError } from '../../src/errors.js';
import { describeLedger, ledgerPlace } from '../../src/ledger/open.js';
import { Held } from '../../src/ledger/held.js';
import { PostgresLedger } from '../../src/ledger/postgres.js';
import { PostgresLocks } from '../../src/ledger/postgres-locks.js';
import { waitFor } from '../sources/support.js';
import { configProblems } from '../config/support.js';
import { PostgresServer } from '../support/postgres.js';
import { pendingRow } from '../support/rows.js';
import { tempDir } from '../support/tmp.js';
import { runLedgerConformance } from './conformance.js';

// One real server for the file; a fresh database for each test.
let server: PostgresServer;
let databases = 0;
beforeAll(async () => {
  server = await PostgresServer.create();
}, 120_000);
afterAll(async () => {
  await server?.destroy();
});

async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `ledger_${process.pid}_${++databases}`;
  await server.sql(`CREATE DATABASE ${name}`);
  return { url: server.url('test', '', name), drop: async () => void (await server.sql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) };
}

runLedgerConformance('postgresql (real server)', async () => {
  const db = await freshDatabase();
  return { open: () => PostgresLedger.open(db.url), destroy: () => db.drop() };
});

describe('PostgreSQL ledger specifics', () => {
  it('three replicas migrating at once apply each migration once, and never claim the same row, however they race', async () => {
    const db = await freshDatabase();
    const replicas = await Promise.all([1, 2, 3].map(() => PostgresLedger.open(db.url)));
    try {
      expect((await server.sql('SELECT version FROM callbridge.migrations ORDER BY version', db.url.split('/').pop())).rows).toEqual([{ version: 1 }]);
      await replicas[0]!.put(Array.from({ length: 300 }, (_, i) => pendingRow(`r${i}`)));
      const now = Date.now();
      const claimed: string[] = [];
      for (let round = 0; round < 20; round++) {
        const batches = await Promise.all(replicas.map((l, i) => l.claimDue({ now, limit: 7, owner: `replica-${i}`, leaseMs: 60_000 })));
        claimed.push(...batches.flat().map((r) => r.externalId));
      }
      expect(claimed).toHaveLength(300);
      expect(new Set(claimed).size).toBe(300);
    } finally {
      for (const l of replicas) await l.close();
      await db.drop();
    }
  });

  it('keeps exact counts per state while replicas put, claim and settle calls concurrently (no lost update, no deadlock reaching a caller)', async () => {
    const db = await freshDatabase();
    const replicas = await Promise.all([1, 2, 3].map(() => PostgresLedger.open(db.url)));
    try {
      // Overlapping ids in different orders: the same call put by two replicas at once (a hook retried to another).
      const work = replicas.map(async (l, r) => {
        for (let batch = 0; batch < 20; batch++) {
          const ids = Array.from({ length: 10 }, (_, i) => `c${(batch * 10 + i * (r + 1)) % 250}`);
          await l.put((r % 2 ? ids.reverse() : ids).map((id) => pendingRow(id)));
          for (const row of await l.claimDue({ now: Date.now(), limit: 4, owner: `replica-${r}`, leaseMs: 60_000 })) {
            await l.update(row.externalId, { state: 'confirmed', confirmedAt: Date.now(), leaseOwner: null }, { leaseOwner: `replica-${r}` });
          }
        }
      });
      await Promise.all(work);
      const rows = await replicas[1]!.query({});
      const counted: Record<string, number> = {};
      for (const row of rows) counted[row.state] = (counted[row.state] ?? 0) + 1;
      const { counts } = await replicas[2]!.stats();
      expect(Object.fromEntries(Object.entries(counts).filter(([, n]) => n))).toEqual(counted);
      expect(counted.confirmed).toBeGreaterThan(50);
    } finally {
      for (const l of replicas) await l.close();
      await db.drop();
    }
  });

  it('while the server is down every call rejects at once with LedgerUnavailableError; once it is back the same ledger works, with nothing accepted lost', async () => {
    const own = await PostgresServer.create();
    try {
      await own.sql('CREATE DATABASE outage');
      const ledger = await PostgresLedger.open(own.url('test', '', 'outage'));
      try {
        await ledger.put([pendingRow('before')]);
        await own.stop();
        const started = Date.now();
        await expect(ledger.put([pendingRow('during')])).rejects.toBeInstanceOf(LedgerUnavailableError);
        await expect(ledger.ping()).rejects.toBeInstanceOf(LedgerUnavailableError);
        await expect(ledger.claimDue({ now: Date.now(), limit: 5, owner: 'A', leaseMs: 1_000 })).rejects.toBeInstanceOf(LedgerUnavailableError);
        expect(Date.now() - started).toBeLessThan(5_000);
        await own.start();
        // The first query may meet a connection the restart dropped; the pool replaces it.
        let back = false;
        for (let i = 0; i < 20 && !back; i++) back = await ledger.ping().then(() => true, async () => (await new Promise((r) => setTimeout(r, 100)), false));
        expect(back).toBe(true);
        expect(await ledger.put([pendingRow('after')])).toEqual([{ externalId: 'after', outcome: 'inserted' }]);
        expect((await ledger.query({})).map((r) => r.externalId).sort()).toEqual(['after', 'before']);
      } finally {
        await ledger.close();
      }
    } finally {
      await own.destroy();
    }
  }, 60_000);

  it('a lock is held by one process at a time and freed when its holder goes; a part held loses it when the server restarts and takes it up again', async () => {
    const own = await PostgresServer.create();
    const url = own.url('test', '', 'postgres');
    const a = new PostgresLocks(url);
    const b = new PostgresLocks(url);
    const runs: string[] = [];
    const part = { start: () => void runs.push('start'), stop: async () => void runs.push('stop') };
    const held = new Held(b, 'retention', part, { pollMs: 100, what: 'retention' });
    try {
      expect(await a.acquire('deliver')).toBe(true);
      expect(await a.acquire('deliver')).toBe(true);
      expect(await b.acquire('deliver')).toBe(false);
      expect(await b.acquire('source:asterisk')).toBe(true);
      expect([a.held(), b.held()]).toEqual([['deliver'], ['source:asterisk']]);
      // Its holder's connection ends (a replica killed): the lock is free at once.
      await a.close();
      expect(await b.acquire('deliver')).toBe(true);

      await held.start();
      expect({ active: held.active, runs }).toEqual({ active: true, runs: ['start'] });
      await own.stop();
      await waitFor('the part stopped with its lock lost', () => !held.active, 10_000);
      expect(b.held()).toEqual([]);
      expect(runs).toEqual(['start', 'stop']);
      await own.start();
      await waitFor('the part started again with its lock taken again', () => held.active, 15_000);
      expect(runs).toEqual(['start', 'stop', 'start']);
      expect(b.held()).toEqual(['retention']);
    } finally {
      await held.stop();
      await a.close();
      await b.close();
      await own.destroy();
    }
  }, 60_000);

  it('names the database without its password when it cannot be opened', async () => {
    const url = `postgres://callbridge:s3cret-Pa55@127.0.0.1:${server.port}/no_such_database`;
    const error = await PostgresLedger.open(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerUnavailableError);
    expect((error as Error).message).toContain(`cannot open the ledger postgres://callbridge@127.0.0.1:${server.port}/no_such_database`);
    expect((error as Error).message).not.toContain('s3cret-Pa55');
  });
});

describe('ledger.url', () => {
  it('puts the ledger in PostgreSQL, from ${DATABASE_URL} too; SQLite when absent; a wrong or contradictory setting is named with a valid value', () => {
    const { dir, cleanup } = tempDir('ledger-config-');
    try {
      const file = path.join(dir, 'callbridge.yaml');
      writeFileSync(file, 'ledger:\n  url: ${DATABASE_URL}\n');
      const { config } = loadConfig(file, { DATABASE_URL: 'postgres://callbridge:pa%40ss@db.example.com:5433/calls?sslmode=require' });
      expect(ledgerPlace(config)).toEqual({ kind: 'postgres', url: 'postgres://callbridge:pa%40ss@db.example.com:5433/calls?sslmode=require' });
      expect(describeLedger(ledgerPlace(config))).toBe('postgres://callbridge@db.example.com:5433/calls');
      writeFileSync(file, 'dataDir: /var/lib/callbridge\n');
      expect(ledgerPlace(loadConfig(file, {}).config)).toEqual({ kind: 'sqlite', file: '/var/lib/callbridge/callbridge.sqlite' });
    } finally {
      cleanup();
    }
    expect(configProblems({ ledger: { url: 'mysql://u:hunter2@db/calls' } })).toEqual([
      'ledger.url: use postgres://USER:PASSWORD@HOST:PORT/DATABASE (e.g. "postgres://callbridge:${LEDGER_DB_PASSWORD}@db.example.com:5432/callbridge", or "${DATABASE_URL}"), got "<26 characters, not shown>"',
    ]);
    expect(configProblems({ ledger: { url: 'postgres://u:hunter2@db/calls', path: '/data/ledger.sqlite' } })).toEqual([
      "ledger.path: path is the SQLite ledger's file, and url puts the ledger in PostgreSQL: remove one of them",
    ]);
    expect(configProblems({ ledger: { driver: 'postgres' } })).toEqual(['ledger.url: the postgres ledger needs its database: url: postgres://USER:PASSWORD@HOST:PORT/DATABASE']);
    expect(configProblems({ ledger: { driver: 'sqlite', url: 'postgres://u:hunter2@db/calls' } })).toEqual([
      "ledger.url: url is the PostgreSQL ledger's database, and driver says sqlite: remove one of them",
    ]);
  });
});
