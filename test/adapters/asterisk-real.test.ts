/**
 * Contract test over real Asterisk output (test/fixtures/asterisk-real: Master.csv and recordings exactly as a real
 * Asterisk 22.10.1 wrote them, with Local channels for queues, ring groups, transfers and AMI click-to-call).
 * A new user's configuration (adapter defaults, time zone, internal numbers, owners) must give every call as the
 * README's ground truth says (asterisk-real-truth.ts).
 */
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml, stringify } from 'yaml';
import { getAdapter } from '../../adapters/registry.js';
import { loadConfig } from '../../src/config/load.js';
import type { CallRecord } from '../../adapters/call-record.js';
import { parseWhole } from '../../src/pipeline/ingestor.js';
import { REPO_ROOT, runParseCase } from '../pipeline/fixture-cases.js';
import { ALL_CALLS, REAL_CONFIG, REAL_MASTER, SENT, SKIPPED, type SentCall } from './asterisk-real-truth.js';

type Line = { payload?: Record<string, unknown>; note?: string; error?: string; source?: string; state?: string };

async function parseReal(configFile = REAL_CONFIG): Promise<Line[]> {
  const run = await runParseCase('asterisk-csv', configFile, REAL_MASTER);
  expect(run.code).toBe(0);
  return run.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
}

const tmp = mkdtempSync(path.join(tmpdir(), 'cb-asterisk-real-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('real Asterisk 22 CDRs (Local channels, queues, ring groups, transfers, click-to-call)', () => {
  it('parse gives one line per call, in file order: every answered outside call a payload, the rest skipped with the reason', async () => {
    const lines = await parseReal();
    expect(lines).toHaveLength(ALL_CALLS.length);
    lines.forEach((line, i) => {
      const truth = ALL_CALLS[i] as (typeof ALL_CALLS)[number];
      if ('payload' in truth) {
        const { call_recording_url: url, ...payload } = line.payload ?? {};
        expect({ scenario: truth.scenario, payload }).toEqual({ scenario: truth.scenario, payload: truth.payload });
        expect(url).toMatch(/^https:\/\/callbridge\.example\.com\/recordings\/[\w-]+\.[\w-]+$/);
        if (truth.note) expect(line.note).toMatch(truth.note);
        else expect(line.note).toBeUndefined();
      } else {
        expect({ scenario: truth.scenario, line }).toEqual({
          scenario: truth.scenario,
          line: { error: truth.reason, source: `${REAL_MASTER}:${truth.line}`, state: 'skipped' },
        });
      }
    });
  });

  it('each call sends the recording of its caller row (the userfield), found through the path map', async () => {
    const { config } = loadConfig(path.join(REPO_ROOT, REAL_CONFIG));
    const source = config.sources[0] as (typeof config.sources)[number];
    const calls: CallRecord[] = [];
    for await (const item of parseWhole(getAdapter('asterisk-csv'), source, { name: 'Master.csv', stream: createReadStream(path.join(REPO_ROOT, REAL_MASTER)) }, 5000)) {
      if (item.kind === 'call') calls.push(item.call);
    }
    const byId = new Map(calls.map((c) => [c.externalId, c]));
    for (const truth of SENT) {
      const call = byId.get(truth.payload.call_external_id as string);
      expect({ scenario: truth.scenario, path: call?.recording?.path }).toEqual({ scenario: truth.scenario, path: `./2026/12/06/${truth.recording}` });
    }
  });

  it('normalize.ownerAfterTransfer: last gives a transferred call to the last internal party; nothing else changes', async () => {
    const doc = parseYaml(readFileSync(path.join(REPO_ROOT, REAL_CONFIG), 'utf8')) as { normalize: Record<string, unknown> };
    doc.normalize.ownerAfterTransfer = 'last';
    const file = path.join(tmp, 'last.yaml');
    writeFileSync(file, stringify(doc));
    const lines = await parseReal(file);
    const owners = lines.filter((l) => l.payload).map((l) => [l.payload?.call_external_id, l.payload?.owner_email]);
    expect(owners).toEqual(SENT.map((t: SentCall) => [t.payload.call_external_id, t.lastOwner ?? t.payload.owner_email]));
    expect(lines.filter((l) => l.state === 'skipped').map((l) => l.error)).toEqual(SKIPPED.map((s) => s.reason));
  });
});
