import { adapters } from '../../adapters/registry.js';
import { configSchema } from '../config/schema.js';
import { envOverrides } from '../config/load.js';
import { renderSections } from './markers.js';
import { adapterTable, documentKeys, keysTable } from './schema-docs.js';
import { BridgeMetrics } from '../status/metrics.js';
import { VERSION } from '../version.js';

/** The README sections generated from code, by marker name. `npm run docs` writes them; a test fails when stale. */
export function generatedSections(): Record<string, string> {
  return {
    adapters: adapterTable(adapters),
    config: keysTable(documentKeys(configSchema)),
    metrics: metricsTable(),
    env: ['| variable | overrides |', '|---|---|', ...envOverrides.map((o) => `| \`${o.env}\` | \`${o.path.join('.')}\` |`)].join('\n'),
  };
}

/** README text with every generated section replaced; throws when a marker is missing. */
export function renderReadme(readme: string): string {
  return renderSections(readme, generatedSections(), 'README.md');
}

function metricsTable(): string {
  const rows = new BridgeMetrics(VERSION)
    .describe()
    .map((m) => `| \`${m.name}\` | ${m.type} | ${m.labels.map((l) => `\`${l}\``).join(', ')} | ${m.help.replaceAll('|', '\\|')} |`);
  return ['| metric | type | labels | what it is |', '|---|---|---|---|', ...rows].join('\n');
}
