/**
 * Real FreePBX-style CDRs (test/fixtures/asterisk-freepbx: the Master.csv a real Asterisk 22 wrote with FreePBX's
 * contexts — queue members `Local/<ext>@from-queue`, ring groups `Local/<ext>@from-internal`, phones behind
 * `Local/<ext>@phones`, a blind transfer with `##`). FreePBX keeps the recording in the CDR table's recordingfile
 * column, not in Master.csv, so this checks who the conversation was between, as the README's ground truth says.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import adapter, { asteriskCsvOptionsSchema } from '../../adapters/asterisk-csv/index.js';
import type { CallRecord } from '../../adapters/call-record.js';
import { compileDirectionRules, decideDirection } from '../../src/pipeline/direction.js';
import { parseWhole } from '../../src/pipeline/ingestor.js';
import type { SourceConfig } from '../../src/sources/config.js';

const MASTER = path.resolve('test/fixtures/asterisk-freepbx/Master.csv');

async function calls(): Promise<CallRecord[]> {
  const source = { id: 'freepbx', type: 'drop', adapter: 'asterisk-csv', options: asteriskCsvOptionsSchema.parse({}) } as unknown as SourceConfig;
  const out: CallRecord[] = [];
  for await (const item of parseWhole(adapter, source, { name: 'Master.csv', stream: createReadStream(MASTER) }, 5000)) if (item.kind === 'call') out.push(item.call);
  return out;
}

function decide(call: CallRecord, ownerAfterTransfer: 'first' | 'last') {
  const rules = compileDirectionRules({ internalNumbers: ['^40\\d{2}$'], trunkPatterns: [], skip: { internal: true, external: true }, ownerAfterTransfer });
  const d = decideDirection(call, rules);
  if (d.kind !== 'ok') return d.reason;
  // A call of one connection is read as from → to, and its own answer counts.
  const c = d.conversation ?? (call.answerTime ? { answered: true as const, answerTime: call.answerTime } : { answered: false as const, detail: undefined });
  const answered = c.answered ? `answered ${c.answerTime.slice(11)}` : `unanswered${c.detail ? ` (${c.detail})` : ''}`;
  return `${d.direction} ${d.owner.number} ↔ ${d.participant.number} ${d.participant.name ?? ''} ${answered}`.replace(/ +/g, ' ');
}

// From the README's table "The calls (truth)": what happened, and the line each call starts on.
const TRUTH: Array<{ what: string; location: string; first: string; last?: string }> = [
  { what: 'B1 "Ingrid Falk" calls the DID of 4002, answered after 2 s', location: 'Master.csv:1', first: 'incoming 4002 ↔ +46761112233 Ingrid Falk answered 22:07:10' },
  { what: 'B2 4004 dials 0761234567, answered after 3 s', location: 'Master.csv:4', first: 'outgoing 4004 ↔ 0761234567 answered 22:07:25' },
  { what: 'B3 "Magnus Öst" calls the DID of 4005, never answered', location: 'Master.csv:7', first: 'incoming 4005 ↔ +46135556677 Magnus Öst unanswered' },
  { what: 'B4 ring group 4600: 4002 and 4003 ring, 4003 answers', location: 'Master.csv:11', first: 'incoming 4003 ↔ +46702223344 Sofia Ahlberg answered 22:08:05' },
  { what: 'B5 queue 4700 (linear): 4004 rings out, 4005 answers at 22:08:23', location: 'Master.csv:18', first: 'incoming 4005 ↔ +46186667788 Fredrik Alm answered 22:08:23' },
  { what: 'B6 queue 4700: 4004 and 4005 ring, the caller hangs up after 12 s', location: 'Master.csv:25', first: 'incoming 4004 ↔ +46457123123 Lena Strand unanswered (queue 4700 rang 4004, 4005; nobody answered)' },
  { what: 'B7 internal: 4001 calls 4005', location: 'Master.csv:32', first: 'internal call (4001 → 4005)' },
  { what: 'B8 "Norrlandsfrakt AB" calls 4001, who blind-transfers to 4003', location: 'Master.csv:35', first: 'incoming 4001 ↔ +46611200300 Norrlandsfrakt AB answered 22:09:06', last: 'incoming 4003 ↔ +46611200300 Norrlandsfrakt AB answered 22:09:06' },
  { what: 'B9 `Café "Älven", Umeå` calls the DID of 4001', location: 'Master.csv:40', first: 'incoming 4001 ↔ +46901234567 Café "Älven", Umeå answered 22:09:30' },
  { what: 'B10 4002 dials 0135550000: busy', location: 'Master.csv:43', first: 'outgoing 4002 ↔ 0135550000 unanswered' },
];

describe('real FreePBX-style Master.csv (queues, ring groups, Local channels)', () => {
  it.each(TRUTH)('$what', async ({ location, first, last }) => {
    const call = (await calls()).find((c) => c.location === location) as CallRecord;
    expect(decide(call, 'first')).toBe(first);
    expect(decide(call, 'last')).toBe(last ?? first);
  });

  it('ten calls in 46 rows, one per linkedid', async () => {
    const all = await calls();
    expect(all.map((c) => c.location)).toEqual(TRUTH.map((t) => t.location));
    expect(all.reduce((n, c) => n + c.legs, 0)).toBe(46);
  });
});
