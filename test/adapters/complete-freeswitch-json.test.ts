import { readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { CallRecord } from '../../adapters/call-record.js';
import { completeFreeswitchCall } from '../../adapters/freeswitch-json/complete.js';
import type { FsRaw } from '../../adapters/freeswitch-json/extract-leg.js';
import jsonAdapter from '../../adapters/freeswitch-json/index.js';
import xmlAdapter from '../../adapters/freeswitch-xml/index.js';
import type { AdapterDefinition } from '../../adapters/types.js';
import { fileInput, parseItems } from './support.js';

/**
 * When a FreeSWITCH call is whole (adapters/freeswitch-json/complete.ts), on the real CDRs of
 * test/fixtures/freeswitch-real (ten calls B1–B10, one CDR per channel; README.md there is the ground truth).
 * A call is whole when its A leg and every channel its legs name are in. The check that matters most: no part of a
 * call that lacks a leg ever passes for whole, whatever order the files come in.
 */

const DIR = 'test/fixtures/freeswitch-real';

/**
 * B1–B7: every channel names only channels of its own call. B8–B10 (and the groups of legs that name no leg of
 * their call) name channels of another group (README: the attended transfer's consultation call, the loopback
 * inside a loopback, the queue agent's desk phone), so they are never known to be whole: they wait for their
 * quiet period.
 */
const WHOLE = new Set([
  'a6caeed6-e329-44d7-8a05-9061ff1d8200',
  '8fb0e1e1-65db-46d9-80cf-5fa621cd0719',
  'a5f2de60-cc65-400b-80ab-b6747e85ecf9',
  '7ab3f7a6-1c3b-4796-95cf-3c0f82c3684e',
  '89b798a8-0750-491c-9727-40aae41464a9',
  '53db8ca3-10ec-4a26-a6df-e70eb171969c',
  'fecf2006-5cc0-4238-9a8a-3d106e7a73d6',
]);

/** Every selection of a group's legs but the whole group and none (a group has at most 8 legs here). */
function properParts<T>(items: T[]): T[][] {
  const parts: T[][] = [];
  for (let mask = 1; mask < (1 << items.length) - 1; mask += 1) parts.push(items.filter((_, i) => mask & (1 << i)));
  return parts;
}

describe.each([
  { adapter: jsonAdapter as AdapterDefinition, folder: 'json_cdr' },
  { adapter: xmlAdapter as AdapterDefinition, folder: 'xml_cdr' },
])('$adapter.id: complete on the real CDRs', ({ adapter, folder }) => {
  const groups = new Map<string, CallRecord[]>();

  beforeAll(async () => {
    const dir = path.join(DIR, folder);
    const options = adapter.configSchema.parse({});
    for (const name of readdirSync(dir).sort()) {
      for (const item of await parseItems(adapter, fileInput(dir, name), options)) {
        if (item.kind === 'leg') groups.set(item.groupKey, [...(groups.get(item.groupKey) ?? []), item.leg]);
      }
    }
  });

  it('declares the rule', () => {
    expect(adapter.complete).toBe(completeFreeswitchCall);
  });

  it('B1–B7 are whole once every leg is in, in any order; B8–B10 and the groups apart from their calls are not', () => {
    expect(groups.size).toBe(13);
    for (const [key, legs] of groups) {
      expect([key, completeFreeswitchCall(legs)]).toEqual([key, WHOLE.has(key)]);
      expect([key, completeFreeswitchCall([...legs].reverse())]).toEqual([key, WHOLE.has(key)]);
    }
  });

  it('no call passes for whole while one of its legs is missing (every part of every call)', () => {
    const early: string[] = [];
    for (const [key, legs] of groups) {
      for (const part of properParts(legs)) {
        if (completeFreeswitchCall(part)) early.push(`${key}: ${part.map((l) => (l.raw as FsRaw).uuid.slice(0, 8)).join(',')}`);
      }
    }
    expect(early).toEqual([]);
  });

  it('a ring group: the phone that lost the race is waited for, named only in the caller\'s originated_legs (B3)', () => {
    const b3 = groups.get('a5f2de60-cc65-400b-80ab-b6747e85ecf9') as CallRecord[];
    const loser = (leg: CallRecord) => ['fea0a7c4', '22db5b0c'].includes((leg.raw as FsRaw).uuid.slice(0, 8));
    expect(b3.filter(loser)).toHaveLength(2);
    expect(completeFreeswitchCall(b3.filter((leg) => !loser(leg)))).toBe(false);
  });

  it('a leg whose document is not there to read is not known to be whole', () => {
    const b1 = (groups.get('a6caeed6-e329-44d7-8a05-9061ff1d8200') as CallRecord[]).map((leg) => structuredClone(leg));
    expect(completeFreeswitchCall(b1)).toBe(true);
    (b1[0]?.raw as Partial<FsRaw>).cdr = undefined;
    expect(completeFreeswitchCall(b1)).toBe(false);
    expect(completeFreeswitchCall([])).toBe(false);
  });
});
