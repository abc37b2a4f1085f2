/** .dockerignore keeps local state out of the build context, and nothing a Dockerfile COPY needs. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../e2e/support.js';
import { readDockerfile, shellWords } from './dockerfile.js';

const patterns = readFileSync(path.join(REPO, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));

/** Docker's matching, for the pattern forms used here: `*` within a name, anchored at the context root. */
function ignored(file: string): string | undefined {
  const parts = file.replace(/^\.\//, '').split('/');
  return patterns.find((p) => {
    const re = new RegExp(`^${p.replace(/^\//, '').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
    return parts.some((_, i) => re.test(parts.slice(0, i + 1).join('/')));
  });
}

describe('.dockerignore', () => {
  const image = readDockerfile(path.join(REPO, 'Dockerfile'));
  const fromContext = image.stages
    .flatMap((s) => s.instructions)
    .filter((i) => i.keyword === 'COPY')
    .map((i) => shellWords(i.args))
    .filter((words) => !words.some((w) => w.startsWith('--from=')))
    .flatMap((words) => words.filter((w) => !w.startsWith('--')).slice(0, -1));

  it('keeps every file the Dockerfile copies from the context', () => {
    expect(fromContext).toEqual(expect.arrayContaining(['package.json', 'src', 'config']));
    expect(fromContext.map((f) => [f, ignored(f)]).filter(([, p]) => p)).toEqual([]);
  });

  it('leaves out local state and secrets: node_modules, dist, the sandbox data and spool, ledgers, .env files', () => {
    for (const f of ['node_modules', 'dist', 'data/callbridge.sqlite', 'spool/asterisk/Master.csv', 'callbridge.sqlite-wal', '.env', '.git']) {
      expect({ f, ignored: ignored(f) !== undefined }).toEqual({ f, ignored: true });
    }
  });
});
