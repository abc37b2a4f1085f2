import { adapters } from '../../adapters/registry.js';
import { configSchema } from '../config/schema.js';
import { envOverrides } from '../config/load.js';
import { adapterTable, documentKeys, keysTable } from './schema-docs.js';

/** The README sections generated from code, by marker name. `npm run docs` writes them; a test fails when stale. */
export function generatedSections(): Record<string, string> {
  return {
    adapters: adapterTable(adapters),
    config: keysTable(documentKeys(configSchema)),
    env: ['| variable | overrides |', '|---|---|', ...envOverrides.map((o) => `| \`${o.env}\` | \`${o.path.join('.')}\` |`)].join('\n'),
  };
}

const marker = (name: string, end = false) => `<!-- generated:${name}${end ? ':end' : ''} -->`;

/** README text with every generated section replaced; throws when a marker is missing. */
export function renderReadme(readme: string): string {
  let out = readme;
  for (const [name, body] of Object.entries(generatedSections())) {
    const start = out.indexOf(marker(name));
    const end = out.indexOf(marker(name, true));
    if (start < 0 || end < start) throw new Error(`README.md lacks the markers ${marker(name)} … ${marker(name, true)}`);
    out = `${out.slice(0, start + marker(name).length)}\n${body}\n${out.slice(end)}`;
  }
  return out;
}
