import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { adapters } from '../../adapters/registry.js';
import { configSchema } from '../../src/config/schema.js';
import { documentKeys } from '../../src/docs/schema-docs.js';
import { renderReadme } from '../../src/docs/readme.js';

const readme = readFileSync('README.md', 'utf8');

describe('README generated from the code', () => {
  it('is up to date with the adapter registry and the config schema (run `npm run docs` if not)', () => {
    expect(renderReadme(readme)).toBe(readme);
  });

  it('lists every registered adapter, linking its own README', () => {
    for (const a of adapters) expect(readme).toContain(`| [\`${a.id}\`](adapters/${a.id}/README.md) |`);
  });

  it('documents every configuration key with a meaning', () => {
    const keys = documentKeys(configSchema);
    expect(keys.length).toBeGreaterThan(80);
    for (const k of keys) {
      expect(readme).toContain(`\`${k.path}\``);
      if (!/\.type$|\)$/.test(k.path) && k.type !== 'one of') expect(`${k.path}: ${k.description}`).not.toMatch(/: $/);
    }
  });
});
