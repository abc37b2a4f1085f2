import { describe, expect, it } from '@jest/globals';
import { closest, editDistance } from '../../src/config/suggest.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and a swap of neighbours as one each, case-blind', () => {
    expect(editDistance('rateLimt', 'rateLimit')).toBe(1);
    expect(editDistance('dailyQuotta', 'dailyQuota')).toBe(1);
    expect(editDistance('recordigns', 'recordings')).toBe(1);
    expect(editDistance('Datadir', 'dataDir')).toBe(0);
    expect(editDistance('host', 'port')).toBe(2);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('closest', () => {
  const keys = ['id', 'type', 'path', 'adapter', 'options', 'timezone', 'groupQuietMs', 'pollMs', 'startAt'];
  it('names the key a misspelt one most likely meant', () => {
    expect(closest('adaptor', keys)).toBe('adapter');
    expect(closest('optoins', keys)).toBe('options');
    expect(closest('idx', keys)).toBe('id');
    expect(closest('timeZone', keys)).toBe('timezone');
    expect(closest('lg', ['dataDir', 'log', 'dstny'])).toBe('log');
  });
  it('names none when nothing is close, nor another word as short as a one- or two-letter one', () => {
    expect(closest('color', keys)).toBeUndefined();
    expect(closest('x', ['a', 'b'])).toBeUndefined();
    expect(closest('ip', ['id'])).toBeUndefined();
  });
});
