/**
 * E2E the ledger in PostgreSQL (issue 15): the real bridge against the emulator, its ledger a real PostgreSQL server
 * reached with a password given as ${DATABASE_URL}. A PBX posts calls and drops a CDR file; the server goes down:
 * hooks answer 503 with Retry-After, nothing answered 200 is lost; it comes back, and the bridge goes on by itself.
 * Every call reaches the emulator once, the emulator answering 10% of requests 503 and never answering 5%.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { PostgresServer } from '../support/postgres.js';
import { allConfirmed, asteriskCalls, asteriskDropSource, BridgeScene, CliProcess, dropFile, nonZero, waitUntil } from './support.js';

const TOKEN = 'pg-ledger-hook-token-0123456789abcdef';
const PASSWORD = 'ledger-Pa55-never-shown';

describe('e2e: the bridge on a ledger in PostgreSQL', () => {
  const scene = new BridgeScene('callbridge-e2e-pg-');
  let server: PostgresServer | null = null;
  afterAll(async () => {
    await scene.stop();
    await server?.destroy();
  });

  it('delivers every call once; while the database is down hooks answer 503 with Retry-After and nothing accepted is lost', async () => {
    server = await PostgresServer.create();
    await server.sql(`CREATE ROLE callbridge LOGIN PASSWORD '${PASSWORD}'`);
    await server.sql('CREATE DATABASE calls OWNER callbridge');
    const DATABASE_URL = server.url('callbridge', PASSWORD, 'calls');
    await scene.start({
      faults: { appearDelayMs: 0, ratePerSecond: 1_000, errorRate: 0.1, timeoutRate: 0.05 },
      sources: () => [
        { id: 'pbx', type: 'hook', adapter: 'asterisk-csv', auth: { type: 'bearer', token: TOKEN }, groupQuietMs: 300, flushEveryMs: 200, options: { userfieldIsRecording: true } },
        asteriskDropSource('asterisk', scene.spool),
      ],
      overrides: { ledger: { url: '${DATABASE_URL}' } },
      env: { DATABASE_URL },
    });
    const bridge = scene.bridge;
    const where = `postgres://callbridge@127.0.0.1:${server.port}/calls`;
    expect(bridge.cli.grep(new RegExp(`running .*ledger ${where.replace(/[.]/g, '\\.')}`))).toHaveLength(1);

    const hooked = asteriskCalls({ count: 40, prefix: 'hook', recordingBase: scene.recordings.url });
    const lines = hooked.csv.split('\n').filter(Boolean);
    const post = (i: number) => bridge.postHook('pbx', `${lines[i]}\n`, { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/csv' });
    for (let i = 0; i < 20; i++) expect((await post(i)).status).toBe(200);
    const dropped = asteriskCalls({ count: 20, prefix: 'drop', from: 1_000, recordingBase: scene.recordings.url });
    dropFile(scene.spool, 'Master-1.csv', dropped.csv);

    await server.stop();
    const refused: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 20; i < 30; i++) {
      const res = await post(i);
      expect(`${res.status} ${await res.text()}`).toBe('503 {"error":"the bridge cannot store calls right now; retry later"}');
      retryAfter = res.headers.get('retry-after');
      refused.push(i);
    }
    expect(retryAfter).toMatch(/^\d+$/);
    expect((await fetch(`${bridge.url}/readyz`)).status).toBe(503);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(bridge.cli.running).toBe(true);

    await server.start();
    for (const i of refused) {
      await waitUntil(async () => ((await post(i)).status === 200 ? true : null), { timeoutMs: 20_000, what: `the post of ${hooked.ids[i]} accepted again` });
    }
    for (let i = 30; i < 40; i++) expect((await post(i)).status).toBe(200);
    const all = [...hooked.ids, ...dropped.ids];
    const final = await allConfirmed(bridge, all.length, { timeoutMs: 90_000, what: 'every posted and dropped call confirmed after the database came back' });
    expect(nonZero(final.ledger.counts)).toEqual({ confirmed: all.length });
    const stats = await scene.emulator.stats();
    expect(Object.keys(stats.creationsByExternalId ?? {}).sort()).toEqual([...all].sort());
    expect(Object.entries(stats.creationsByExternalId ?? {}).filter(([, n]) => n !== 1)).toEqual([]);

    // The submitter said once that it waits, and once that it goes on.
    expect(bridge.cli.grep(/submission waits until the ledger is back/)).toHaveLength(1);
    expect(bridge.cli.grep(/the ledger is back: submission resumed/)).toHaveLength(1);

    // `callbridge status`, run apart, reads the same database.
    const status = new CliProcess('status', ['status', '--json', '--config', scene.configFile], { DATABASE_URL });
    expect((await status.exited).code).toBe(0);
    const report = JSON.parse(status.stdout) as { ledger: { counts: { confirmed: number } }; replicas: Array<{ pid: number; roles: string[] }> };
    expect(report.ledger.counts.confirmed).toBe(all.length);
    // The one bridge on the database holds every role and reads its drop folder.
    expect(report.replicas).toEqual([expect.objectContaining({ pid: bridge.cli.proc.pid, roles: ['deliver', 'retention', 'source:asterisk'] })]);
    for (const output of [bridge.cli.tail(5_000), status.tail(5_000), status.stdout, await (await fetch(`${bridge.url}/status`)).text()]) {
      expect(output).not.toContain(PASSWORD);
    }
  }, 180_000);
});
