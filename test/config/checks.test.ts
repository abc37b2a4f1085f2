import { describe, expect, it } from '@jest/globals';
import { validateConfig } from '../../src/config/load.js';
import { configProblems as problems } from './support.js';

const drop = (id: string, adapter: string, more: Record<string, unknown> = {}) => ({ id, type: 'drop', path: '/srv/cdr', adapter, ...more });

describe('the checks the schemas own, worded as the loader always worded them', () => {
  it('time zones and regular expressions of normalize and of a source', () => {
    expect(problems({ normalize: { timezone: 'Europe/Stokholm', trunkPatterns: ['ok', '*'] }, sources: [drop('a', 'cucm', { timezone: 'Mars/Base' })] })).toEqual([
      'normalize.timezone: unknown time zone "Europe/Stokholm"; use an IANA name such as "Europe/Stockholm" or "UTC"',
      'normalize.trunkPatterns[1]: not a valid regular expression: Invalid regular expression: /*/: Nothing to repeat',
      'sources[0].timezone: unknown time zone "Mars/Base"; use an IANA name such as "Europe/Stockholm" or "UTC"',
    ]);
  });

  it('across sources and their adapters: unique ids, known adapters, tails only where the adapter can be tailed', () => {
    const tail = { id: 'b', type: 'tail', path: '/var/log/x.csv', adapter: 'twilio' };
    expect(problems({ sources: [drop('a', 'cucm'), tail, drop('a', 'nosuch')] })).toEqual([
      'sources[1].type: adapter "twilio" cannot be tailed; use type "drop" or "hook"',
      'sources[2].id: "a" is used by another source; ids must be unique',
      expect.stringMatching(/^sources\[2\]\.adapter: unknown adapter "nosuch"; use one of "asterisk-csv", /),
    ]);
  });

  it("a source's options against its adapter, the adapter's example as the valid value, also when the source has other problems", () => {
    expect(problems({ sources: [drop('Bad Id', 'freeswitch-json', { options: { maxDocumentBytes: 'big', recording: { variablez: [] } } })] })).toEqual([
      expect.stringMatching(/^sources\[0\]\.id: use lower-case letters/),
      'sources[0].options.recording: unknown key "variablez"; did you mean variables?',
      'sources[0].options.maxDocumentBytes: expected a number, got "big"; for example 4194304',
    ]);
    expect(problems({ sources: [drop('g', 'generic', { options: { fields: { externalId: '' } } })] })).toEqual([
      'sources[0].options.fields.externalId: must name a source field, e.g. "call_id", or be a template such as "{dir}/{file}.wav", got ""; for example call_id',
      expect.stringMatching(/^sources\[0\]\.options\.fields\.startTime: expected a string, got nothing/),
    ]);
  });

  it("fills in the adapter's defaults in a source's options", () => {
    const config = validateConfig({ sources: [drop('a', 'freeswitch-json')] });
    expect(config.sources[0]?.options).toMatchObject({ decodeValues: true, directionVariable: 'call_direction' });
  });
});
