/**
 * E2E: a FreePBX CDR table as the source, the PBX's database stopped for 30 s in the middle of 2,000 calls and the
 * bridge killed with SIGKILL once while it is down. Every call reaches the emulator once: none lost, none twice.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { MariaDbServer } from '../support/mariadb.js';
import { allConfirmed, BridgeScene, nonZero, sleep, waitUntil } from './support.js';

const CALLS = 2_000;
const OUTAGE_MS = 30_000;
const PASSWORD = 'freepbx-Reader-55';

/** Calls `from`..`to` as FreePBX rows: extension 201/202 dials a mobile through the trunk, answered; the recording URL in userfield. */
function freepbxRows(from: number, to: number, recordingBase: string): { sql: string; values: unknown[] } {
  const rows: unknown[][] = [];
  for (let i = from; i < to; i++) {
    const ext = i % 2 === 0 ? '201' : '202';
    const name = ext === '201' ? 'Anna Lindqvist' : 'Bjorn Ek';
    const mobile = `070${String(1_000_000 + ((i * 7919) % 8_999_999)).padStart(7, '0')}`;
    const start = new Date(Date.UTC(2026, 11, 7, 6, 0, 0) + i * 7_000).toISOString().slice(0, 19).replace('T', ' ');
    const talk = 30 + (i % 300);
    const id = `pbx-sql.${i}`;
    rows.push([
      start, `"${name}" <${ext}>`, ext, mobile, 'from-internal', `PJSIP/${ext}-${(i * 2).toString(16).padStart(8, '0')}`,
      `PJSIP/telia-${(i * 2 + 1).toString(16).padStart(8, '0')}`, 'Dial', `PJSIP/${mobile}@telia,60,T`, talk + 5, talk, 'ANSWERED', 3, '',
      id, `${recordingBase}/rec/${id}.wav`, '', '', ext, name, '', '', '', id, '', i,
    ]);
  }
  return {
    sql: `INSERT INTO cdr (calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, duration, billsec, disposition, amaflags, accountcode,
      uniqueid, userfield, did, recordingfile, cnum, cnam, outbound_cnum, outbound_cnam, dst_cnam, linkedid, peeraccount, sequence) VALUES ?`,
    values: [rows],
  };
}

describe('e2e: an sql source (FreePBX on MariaDB) through a database outage and a crash', () => {
  const scene = new BridgeScene('callbridge-e2e-sql-');
  let db: MariaDbServer | undefined;

  afterAll(async () => {
    await scene.stop();
    await db?.destroy();
  });

  it(`delivers each of ${CALLS} calls once though the database stops for ${OUTAGE_MS / 1000} s and the bridge is killed while it is down`, async () => {
    db = await MariaDbServer.create();
    await db.load(path.resolve('test/fixtures/freepbx-real/configs/mariadb-asteriskcdrdb-schema.sql'), 'asteriskcdrdb');
    await db.readOnlyUser('callbridge', PASSWORD, 'asteriskcdrdb.cdr');
    const server = db;
    const write = async (from: number, to: number, base: string) => {
      const c = await server.root('asteriskcdrdb');
      try {
        const { sql, values } = freepbxRows(from, to, base);
        await c.query(sql, values);
      } finally {
        await c.end();
      }
    };

    await scene.start({
      // Listed 300 ms after creation, as in the other crash tests: the scene's reconcile.verifyWaitMinutes (1.2 s)
      // declares a call in doubt absent after that long, and the emulator's default 5 s listing delay would make it
      // resend calls Dstny has (seen once in CI: the 8 requests in flight at the SIGKILL, created twice).
      faults: { ratePerSecond: 500, appearDelayMs: 300 },
      overrides: { submit: { rateLimit: { perSecond: 200 }, concurrency: 8 } },
      sources: () => [
        { id: 'freepbx', type: 'sql', profile: 'freepbx', url: `mysql://callbridge:\${CDR_DB_PASSWORD}@127.0.0.1:${server.port}/asteriskcdrdb`, pollMs: 200, batchRows: 250, groupQuietMs: 1_000, flushEveryMs: 250 },
      ],
      env: { CDR_DB_PASSWORD: PASSWORD },
      bridgeName: 'bridge-1',
    });
    const emu = scene.emulator;
    await write(0, CALLS / 2, scene.recordings.url);
    await waitUntil(async () => (await emu.stats()).conversations.accepted >= 300, { timeoutMs: 30_000, what: '300 calls created' });

    // The PBX's database goes away; the bridge says so, and is killed while it waits.
    await db.stop();
    const down = await waitUntil(
      async () => {
        const s = await scene.bridge.status();
        const source = s.sources.find((x) => x.id === 'freepbx');
        return source?.lastProblem && /nothing answers there|connection failed/.test(source.lastProblem) ? source.lastProblem : null;
      },
      { timeoutMs: 20_000, what: 'the outage shown by /status' },
    );
    expect(down).toContain(`asteriskcdrdb.cdr on 127.0.0.1:${db.port}`);
    expect(await scene.bridge.cli.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    const second = await scene.startBridge('bridge-2');
    await sleep(OUTAGE_MS - 5_000);
    await db.start();
    await write(CALLS / 2, CALLS, scene.recordings.url);

    const final = await allConfirmed(second, CALLS, { timeoutMs: 90_000, what: `all ${CALLS} calls confirmed after the outage` });
    expect(nonZero(final.ledger.counts)).toEqual({ confirmed: CALLS });
    const stats = await emu.stats();
    expect(Object.keys(stats.creationsByExternalId ?? {})).toHaveLength(CALLS);
    expect(Object.entries(stats.creationsByExternalId ?? {}).filter(([, n]) => n !== 1)).toEqual([]);
    expect(stats.conversations).toMatchObject({ accepted: CALLS, duplicates: 0 });
    for (const bridge of scene.bridges) expect(bridge.cli.grep(new RegExp(PASSWORD))).toEqual([]);
    expect(second.cli.grep(/can be read again/).length).toBe(1);
  }, 180_000);
});
