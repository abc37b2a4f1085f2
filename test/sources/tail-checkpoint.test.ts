import { describe, expect, it } from '@jest/globals';
import { encodeCheckpoint, FP_BYTES, parseCheckpoint, positionOf, tailCheckpointKey } from '../../src/sources/tail/checkpoint.js';

const position = { dev: 2049, ino: 1_835_021, offset: 73_412, line: 412, fpLen: FP_BYTES, fp: 'ab'.repeat(32) };

describe('tail checkpoint', () => {
  it('reads a checkpoint as stored in the ledger by earlier versions, so an existing ledger resumes where it was', () => {
    const stored = `{"v":1,"dev":2049,"ino":1835021,"offset":73412,"line":412,"fpLen":512,"fp":"${'ab'.repeat(32)}"}`;
    expect(parseCheckpoint(stored)).toEqual({ v: 1, ...position });
    expect(encodeCheckpoint(position)).toBe(stored);
  });

  it('round-trips a fresh file and a position past the fingerprinted head', () => {
    const fresh = { dev: 1, ino: 2, offset: 0, line: 1, fpLen: 0, fp: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' };
    for (const at of [fresh, position]) expect(parseCheckpoint(encodeCheckpoint(at))).toEqual({ v: 1, ...at });
  });

  it('stores only the position: the open file and the name a cursor carries stay out of the ledger', () => {
    const cursor = { ...position, handle: { fd: 7 }, name: '/var/log/asterisk/cdr-csv/Master.csv' };
    expect(Object.keys(JSON.parse(encodeCheckpoint(cursor)) as object)).toEqual(['v', 'dev', 'ino', 'offset', 'line', 'fpLen', 'fp']);
    expect(positionOf(cursor)).toEqual(position);
  });

  it.each([
    ['no checkpoint yet', null],
    ['not JSON', 'offset=12'],
    ['JSON null', 'null'],
    ['a bare number (an older test value)', '120'],
    ['another version', JSON.stringify({ ...position, v: 2 })],
    ['no version', JSON.stringify(position)],
    ['a missing field', JSON.stringify({ v: 1, ...position, ino: undefined })],
    ['a number written as a string', JSON.stringify({ v: 1, ...position, offset: '73412' })],
    ['a fingerprint that is not a string', JSON.stringify({ v: 1, ...position, fp: null })],
  ])('a value it cannot trust (%s) is no checkpoint: the file is then read anew', (_what, value) => {
    expect(parseCheckpoint(value)).toBeNull();
  });

  it('is keyed by the source id, as in existing ledgers', () => {
    expect(tailCheckpointKey('asterisk-main')).toBe('tail:asterisk-main');
  });
});
