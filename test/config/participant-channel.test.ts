import { describe, expect, it } from '@jest/globals';
import { validateConfig } from '../../src/config/load.js';
import { configProblems } from './support.js';

/** Issue 12: `participantChannel` as one value or one per direction, in normalize and per source. */

const source = (participantChannel?: unknown) => ({
  id: 'asterisk',
  type: 'tail',
  adapter: 'asterisk-csv',
  path: '/var/log/asterisk/cdr-csv/Master.csv',
  ...(participantChannel === undefined ? {} : { participantChannel }),
});

describe('participantChannel: what loads', () => {
  it('a file without it loads as before: right for every call, nothing at the source', () => {
    const config = validateConfig({ sources: [source()] });
    expect(config.normalize.participantChannel).toBe('right');
    expect(config.sources[0]).not.toHaveProperty('participantChannel');
  });

  it('one value, or one per direction, in normalize and at a source, loads as written', () => {
    const byDirection = { incoming: 'left', outgoing: 'right' };
    expect(validateConfig({ normalize: { participantChannel: 'left' } }).normalize.participantChannel).toBe('left');
    expect(validateConfig({ normalize: { participantChannel: byDirection } }).normalize.participantChannel).toEqual(byDirection);
    const twilio = { id: 'twilio', type: 'hook', adapter: 'twilio', participantChannel: 'left' };
    const config = validateConfig({ sources: [source(byDirection), twilio] });
    expect(config.sources.map((s) => s.participantChannel)).toEqual([byDirection, 'left']);
  });
});

describe('participantChannel: a bad value is named by its path, with a valid value', () => {
  it('a word that is not a side', () => {
    expect(configProblems({ normalize: { participantChannel: 'center' } })).toEqual([
      'normalize.participantChannel: must be left or right, got "center"; for example right, or one per direction: { incoming: left, outgoing: right }',
    ]);
  });

  it('a misspelt side gets a "did you mean"', () => {
    expect(configProblems({ normalize: { participantChannel: 'lft' } })).toEqual(['normalize.participantChannel: must be left or right, got "lft"; did you mean left?']);
    expect(configProblems({ normalize: { participantChannel: { incoming: 'Left', outgoing: 'rigth' } } })).toEqual([
      'normalize.participantChannel.incoming: must be left or right, got "Left"; did you mean left?',
      'normalize.participantChannel.outgoing: must be left or right, got "rigth"; did you mean right?',
    ]);
  });

  it('neither a side nor a mapping', () => {
    expect(configProblems({ normalize: { participantChannel: 2 } })).toEqual([
      'normalize.participantChannel: must be left or right, or one per direction, got 2; for example right or { incoming: left, outgoing: right }',
    ]);
    expect(configProblems({ normalize: { participantChannel: ['left', 'right'] } })).toEqual([
      'normalize.participantChannel: must be left or right, or one per direction, got ["left","right"]; for example right or { incoming: left, outgoing: right }',
    ]);
  });

  it('a direction left out, or named as other systems name it', () => {
    expect(configProblems({ normalize: { participantChannel: { incoming: 'left' } } })).toEqual([
      'normalize.participantChannel.outgoing: is missing; give both directions, for example { incoming: left, outgoing: right }',
    ]);
    expect(configProblems({ normalize: { participantChannel: { inbound: 'left', outbound: 'right' } } })).toEqual([
      'normalize.participantChannel: unknown key "inbound"; did you mean incoming?',
      'normalize.participantChannel: unknown key "outbound"; did you mean outgoing?',
    ]);
    expect(configProblems({ normalize: { participantChannel: { incoming: 'left', outgoing: 'right', internal: 'left' } } })).toEqual([
      'normalize.participantChannel: unknown key "internal"; internal calls take the outgoing side; the keys are incoming and outgoing, for example { incoming: left, outgoing: right }',
    ]);
  });

  it("at a source, under the source's path, with the other problems of the file", () => {
    expect(configProblems({ sources: [source({ incoming: 'left', outgoing: 'middle' })], normalize: { participantChannel: 'rihgt' } })).toEqual([
      'normalize.participantChannel: must be left or right, got "rihgt"; did you mean right?',
      'sources[0].participantChannel.outgoing: must be left or right, got "middle"; for example right',
    ]);
  });
});
