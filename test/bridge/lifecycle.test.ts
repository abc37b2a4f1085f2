import { describe, expect, it } from '@jest/globals';
import { type Component, Lifecycle, definePart } from '../../src/bridge/lifecycle.js';
import { linesLogger } from '../support/log-lines.js';

/** A part whose component writes what happens to it into `events`. */
function recordingPart(name: string, events: string[], opts: { failStop?: boolean; failBuild?: boolean; tag?: string } = {}) {
  const who = opts.tag ? `${name}#${opts.tag}` : name;
  return definePart({
    name,
    summary: `the ${name} part`,
    build(): Component {
      if (opts.failBuild) throw new Error(`${who} cannot be built`);
      events.push(`build ${who}`);
      return {
        start: () => void events.push(`start ${who}`),
        stop: () => {
          events.push(`stop ${who}`);
          if (opts.failStop) throw new Error(`${who} failed to stop`);
        },
      };
    },
  });
}

describe('Lifecycle', () => {
  it('starts parts in build order and stops them in reverse, once however often stop is called', async () => {
    const events: string[] = [];
    const life = new Lifecycle(linesLogger().logger);
    for (const name of ['ledger', 'api', 'sources']) await life.build(recordingPart(name, events), {});
    expect(life.names).toEqual(['ledger', 'api', 'sources']);
    await life.start();
    await Promise.all([life.stop(), life.stop()]);
    await life.stop();
    expect(events).toEqual(['build ledger', 'build api', 'build sources', 'start ledger', 'start api', 'start sources', 'stop sources', 'stop api', 'stop ledger']);
  });

  it('stops built parts that never started (building may hold a socket or a file), and goes on past a part that fails to stop', async () => {
    const events: string[] = [];
    const { logger, lines } = linesLogger();
    const life = new Lifecycle(logger);
    await life.build(recordingPart('ledger', events), {});
    await life.build(recordingPart('http', events, { failStop: true }), {});
    await expect(life.build(recordingPart('pipeline', events, { failBuild: true }), {})).rejects.toThrow('pipeline cannot be built');
    await life.stop();
    expect(events).toEqual(['build ledger', 'build http', 'stop http', 'stop ledger']);
    expect(lines.join('')).toContain('error while stopping http');
    await expect(life.build(recordingPart('late', events), {})).rejects.toThrow('stopping');
  });

  it('refuses a second part of the same name', async () => {
    const life = new Lifecycle(linesLogger().logger);
    await life.build(recordingPart('api', []), {});
    await expect(life.build(recordingPart('api', []), {})).rejects.toThrow('part api is built already');
  });

  it('replaces a running part in its place: the new build first, then the old stops and the new starts', async () => {
    const events: string[] = [];
    const life = new Lifecycle(linesLogger().logger);
    for (const name of ['ledger', 'sources', 'http']) await life.build(recordingPart(name, events), {});
    await life.start();
    events.length = 0;
    await life.replace(recordingPart('sources', events, { tag: 'new' }), {});
    expect(events).toEqual(['build sources#new', 'stop sources', 'start sources#new']);
    expect(life.names).toEqual(['ledger', 'sources', 'http']);
    events.length = 0;
    await life.stop();
    expect(events).toEqual(['stop http', 'stop sources#new', 'stop ledger']);
  });

  it('keeps the old part running when the new build fails', async () => {
    const events: string[] = [];
    const life = new Lifecycle(linesLogger().logger);
    await life.build(recordingPart('sources', events), {});
    await life.start();
    await expect(life.replace(recordingPart('sources', events, { failBuild: true, tag: 'bad' }), {})).rejects.toThrow('sources#bad cannot be built');
    await expect(life.replace(recordingPart('nothing', events), {})).rejects.toThrow('no part nothing to replace');
    expect(events).toEqual(['build sources', 'start sources']);
    await life.stop();
    expect(events.at(-1)).toBe('stop sources');
  });

  it('does not start a replacement of a bridge that is built but not started', async () => {
    const events: string[] = [];
    const life = new Lifecycle(linesLogger().logger);
    await life.build(recordingPart('sources', events), {});
    await life.replace(recordingPart('sources', events, { tag: 'new' }), {});
    expect(events).toEqual(['build sources', 'build sources#new', 'stop sources']);
  });
});
