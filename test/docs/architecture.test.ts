import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ARCHITECTURE_FILE, renderArchitecture } from '../../src/docs/architecture.js';
import { bridgeParts } from '../../src/bridge/start.js';

const architecture = readFileSync(ARCHITECTURE_FILE, 'utf8');

/** Repository paths a document names in backticks or links (placeholders such as `<id>` left out). */
function citedPaths(text: string): string[] {
  const paths = [...text.matchAll(/[`(](?:\.\.\/)?((?:src|adapters|test|bench|scripts|config|docs)\/[\w./-]*[\w/])[`)]/g)].map((m) => m[1] as string);
  return [...new Set(paths)];
}

describe('docs/architecture.md', () => {
  it('is up to date with the parts and the floors (run `npm run docs` if not)', () => {
    expect(renderArchitecture(architecture)).toBe(architecture);
  });

  it('lists every part of a bridge with the module that builds it', () => {
    for (const part of bridgeParts) {
      expect(architecture).toContain(`\`${part.name}\``);
      expect(existsSync(`src/bridge/${part.name}.ts`)).toBe(true);
    }
  });

  it.each([ARCHITECTURE_FILE, 'README.md'])('%s cites only files and folders that exist', (file) => {
    const cited = citedPaths(readFileSync(file, 'utf8'));
    expect(cited.length).toBeGreaterThan(10);
    expect(cited.filter((p) => !existsSync(p))).toEqual([]);
  });
});
