/**
 * E2E contract: what `callbridge parse` shows is what the bridge sends. For every adapter, all of its golden
 * fixture inputs are dropped at once into the drop folder of a running bridge (real processes, against the
 * emulator), and the same files go through `parse` with the same configuration file. Both must give the same
 * set of calls with equal bodies (recording links aside: the bridge signs its own), and the calls the bridge
 * did not send must be the ones parse says it would not send, for the same reasons.
 */
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { adapters } from '../../adapters/registry.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { fixtureFolder, runParseFiles } from '../pipeline/fixture-cases.js';
import { BridgeScene, nonZero, REPO, waitUntil } from './support.js';

interface FixtureConfig {
  sources: Array<Record<string, unknown>>;
  normalize?: Record<string, unknown>;
  recordings?: { roots?: string[] };
}

/** States a row stays in once the bridge is done with it (submitted: the emulator has the body). */
const SETTLED = new Set(['submitted', 'confirmed', 'skipped', 'rejected', 'held', 'failed', 'missing']);

let scene: BridgeScene | null = null;
afterEach(async () => {
  await scene?.stop();
  scene = null;
});

interface Case {
  /** Repository-relative config file whose source, normalize and recordings sections apply. */
  config: string;
  sourceId?: string;
  /** Repository-relative inputs, in the order of their names. */
  inputs: string[];
}

const real = (dir: string, sourceId: string, folder = dir): Case => ({
  config: `test/fixtures/${dir}/callbridge.yaml`,
  sourceId,
  inputs: readdirSync(path.join(REPO, 'test/fixtures', folder))
    .filter((f) => /\.(csv|json|xml)$/.test(f))
    .sort()
    .map((f) => `test/fixtures/${folder}/${f}`),
});

const cases: Array<[string, Case]> = [
  ...adapters.map((a): [string, Case] => {
    const folder = fixtureFolder(a.id);
    return [`${a.id} golden fixtures`, { config: folder.config, inputs: folder.cases.map((c) => c.input).sort() }];
  }),
  // Real PBX output: FreeSWITCH writes one file per leg, so a call is only whole across files.
  ['freeswitch-real json_cdr', real('freeswitch-real', 'fs-json', 'freeswitch-real/json_cdr')],
  ['freeswitch-real xml_cdr', real('freeswitch-real', 'fs-xml', 'freeswitch-real/xml_cdr')],
  ['asterisk-real Master.csv', real('asterisk-real', 'pbx2')],
];

describe('e2e: parse equals the bridge', () => {
  it.each(cases)('%s: the drop folder of a running bridge sends exactly the bodies parse prints', async (name, c) => {
    const fixture = parseYaml(readFileSync(path.join(REPO, c.config), 'utf8')) as FixtureConfig;
    const source = (c.sourceId ? fixture.sources.find((s) => s.id === c.sourceId) : fixture.sources[0]) as Record<string, unknown>;
    const current = new BridgeScene('callbridge-e2e-parse-');
    scene = current;
    const spool = path.join(current.spool, 'drop');
    mkdirSync(spool, { recursive: true });
    await current.start({
      faults: { fetchRecordings: false, appearDelayMs: 100, ratePerSecond: 200 },
      roots: fixture.recordings?.roots ?? [],
      overrides: { normalize: fixture.normalize ?? {} },
      webhooks: false,
      // A quiet period shorter than the bridge takes to import every file would split calls whose legs are in
      // files far apart (a real site waits minutes); 3 s is longer than any import here.
      sources: () => [{ ...source, id: 'fixture', type: 'drop', path: spool, stableMs: 200, rescanMs: 500, groupQuietMs: 3_000, flushEveryMs: 250 }],
    });

    // parse: the same configuration file, the inputs in the order of their names.
    const preview = await parseFiles(current.configFile, c.inputs);
    const sent = preview.lines.filter((l) => l.payload).map((l) => withoutLink(l.payload!));
    expect(sent.length).toBeGreaterThan(0);

    // The bridge: every input dropped at once.
    for (const input of c.inputs) copyFileSync(path.join(REPO, input), path.join(spool, path.basename(input)));
    const bridge = current.bridge;
    await waitUntil(
      async () => {
        const left = readdirSync(spool).filter((f) => f !== 'processed' && f !== 'failed' && !f.startsWith('.'));
        const counts = (await bridge.status()).ledger.counts;
        const rows = Object.values(counts).reduce((a, b) => a + b, 0);
        const unsettled = Object.entries(counts).some(([state, n]) => n > 0 && !SETTLED.has(state));
        return left.length === 0 && rows >= preview.calls && !unsettled;
      },
      { timeoutMs: 40_000, what: `${name}: every dropped call settled`, describe: async () => `${JSON.stringify(nonZero((await bridge.status()).ledger.counts))}\n${bridge.cli.tail(30)}` },
    );
    const received = (await current.emulator.conversations()).map((c) => withoutLink(c.payload));
    expect(sortById(received)).toEqual(sortById(sent));

    // What was not sent, and why, is what parse said: the same number of calls, each reason among parse's lines.
    expect(await bridge.cli.stop()).toEqual({ code: 0, signal: null });
    const ledger = await openSqliteLedger(current.ledgerFile);
    try {
      expect((await ledger.query({})).length).toBe(preview.calls);
      const notSent = await ledger.query({ states: ['skipped', 'rejected', 'held'] });
      const printed = preview.lines.filter((l) => !l.payload).map((l) => `${l.state}: ${l.error}`);
      const unexplained = notSent
        .map((r) => (r.state === 'held' ? `rejected: ${r.reason}; not sent in parse mode (the bridge would hold it)` : `${r.state}: ${r.reason}`))
        .filter((line) => {
          const at = printed.indexOf(line);
          if (at >= 0) printed.splice(at, 1);
          return at < 0;
        });
      expect(unexplained).toEqual([]);
    } finally {
      await ledger.close();
    }
  }, 90_000);
});

interface PreviewLine {
  payload?: Record<string, unknown>;
  error?: string;
  state?: string;
  source?: string;
}

/** runParse in process: its lines, and how many calls its summary line counted. */
async function parseFiles(configFile: string, files: string[]): Promise<{ lines: PreviewLine[]; calls: number }> {
  const run = await runParseFiles({ configFile, sourceId: 'fixture', files });
  expect(run.code).toBe(0);
  const calls = Number(/callbridge parse: (\d+) calls? \(/.exec(run.stderr)?.[1] ?? NaN);
  expect(calls).toBeGreaterThan(0);
  return { lines: run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as PreviewLine), calls };
}

function withoutLink(payload: Record<string, unknown>): Record<string, unknown> {
  const { call_recording_url: url, ...rest } = payload;
  // The link itself differs (each signs with its own secret), but both must have one, or both none.
  return { ...rest, has_recording: typeof url === 'string' && url !== '' };
}

function sortById(payloads: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return [...payloads].sort((a, b) => String(a.call_external_id).localeCompare(String(b.call_external_id)));
}
