import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { completeAsteriskCall } from '../../adapters/asterisk-csv/complete.js';
import adapter from '../../adapters/asterisk-csv/index.js';
import type { Row } from '../../adapters/asterisk-csv/row.js';
import type { CallRecord } from '../../adapters/call-record.js';
import { fileInput, parseItems } from './support.js';

/**
 * When the Master.csv rows of an Asterisk call are all written (adapters/asterisk-csv/complete.ts), on the real
 * output of test/fixtures/asterisk-real (12 calls D1–D11, Local channels only; README.md there is the ground
 * truth). The check that matters most: no part of a call that lacks a row ever passes for whole.
 */

/**
 * README §2: D4 (the caller left the queue) and D7 (busy) were answered by nobody, so the caller could have gone
 * on in the dialplan; D6 (blind) and D10 (attended) are transfers. Neither can be known to be over.
 */
const NOT_KNOWN = new Set(['pbx2-1796588706.14', 'pbx2-1796588769.36', 'pbx2-1796588747.30', 'pbx2-1796588811.52']);
const D1 = 'pbx2-1796588649.0';

function properParts<T>(items: T[]): T[][] {
  const parts: T[][] = [];
  for (let mask = 1; mask < (1 << items.length) - 1; mask += 1) parts.push(items.filter((_, i) => mask & (1 << i)));
  return parts;
}

/** A copy of a call's rows with some columns changed. */
function changed(legs: CallRecord[], change: (row: Row) => void): CallRecord[] {
  return legs.map((leg) => {
    const copy = structuredClone(leg);
    change(copy.raw as Row);
    return copy;
  });
}

describe('asterisk-csv: complete on the real Master.csv', () => {
  const groups = new Map<string, CallRecord[]>();

  beforeAll(async () => {
    const options = adapter.configSchema.parse({});
    for (const item of await parseItems(adapter, fileInput(path.resolve('test/fixtures/asterisk-real'), 'Master.csv'), options)) {
      if (item.kind === 'leg') groups.set(item.groupKey, [...(groups.get(item.groupKey) ?? []), item.leg]);
    }
  });

  it('declares the rule', () => {
    expect(adapter.complete).toBe(completeAsteriskCall);
  });

  it('every answered call without a transfer is whole with all its rows; the unanswered and the transfers are not known', () => {
    expect(groups.size).toBe(12);
    for (const [linkedid, legs] of groups) {
      expect([linkedid, completeAsteriskCall(legs)]).toEqual([linkedid, !NOT_KNOWN.has(linkedid)]);
    }
  });

  it('no call passes for whole while one of its rows is missing (every part of every call, whatever the order)', () => {
    const early: string[] = [];
    for (const [linkedid, legs] of groups) {
      for (const part of properParts(legs)) {
        if (completeAsteriskCall(part)) early.push(`${linkedid}: lines ${part.map((l) => l.location.split(':').at(-1)).join(',')}`);
      }
    }
    expect(early).toEqual([]);
  });

  it('a phone or trunk channel (PJSIP/…) may still write rows after a transfer: not known', () => {
    const d1 = groups.get(D1) as CallRecord[];
    expect(completeAsteriskCall(d1)).toBe(true);
    expect(completeAsteriskCall(changed(d1, (row) => row.dstchannel && (row.dstchannel = 'PJSIP/3101-0000000a')))).toBe(false);
  });

  it('a Dial told to go on after the bridge (g, F) is not known; a letter inside an option\'s argument is no option', () => {
    const d1 = groups.get(D1) as CallRecord[];
    const withOptions = (options: string) => changed(d1, (row) => row.lastapp === 'Dial' && (row.lastdata = `Local/3101@desk/n,20,${options}`));
    expect(completeAsteriskCall(withOptions('tTg'))).toBe(false);
    expect(completeAsteriskCall(withOptions('tTF(survey^s^1)'))).toBe(false);
    expect(completeAsteriskCall(withOptions('tTU(grab^go)'))).toBe(true);
  });

  it('the two halves of a Local channel that did not end together have rows to come', () => {
    // D1's caller half (`Local/d1@callgen-…;2`, the Dial row) ended 5 s before its other half, the originator row.
    const d1 = changed(groups.get(D1) as CallRecord[], (row) => row.lastapp === 'Dial' && (row.end = '2026-12-06 21:24:15'));
    expect(completeAsteriskCall(d1)).toBe(false);
  });

  it('rows without linkedid (cdr.conf without newcdrcolumns) are not known', () => {
    const d1 = changed(groups.get(D1) as CallRecord[], (row) => delete row.linkedid);
    expect(completeAsteriskCall(d1)).toBe(false);
    expect(completeAsteriskCall([])).toBe(false);
  });
});
