import { bridgeParts } from '../bridge/start.js';
import { layers } from './layers.js';
import { renderSections } from './markers.js';

export const ARCHITECTURE_FILE = 'docs/architecture.md';

/** The sections of docs/architecture.md generated from the code: the floors and the parts of a running bridge. */
export function architectureSections(): Record<string, string> {
  return {
    floors: [
      '| floor | folders | holds |',
      '|---|---|---|',
      ...[...layers].reverse().map((l) => `| ${l.floor} | ${l.folders.map((f) => `\`${f}\``).join(', ')} | ${l.holds} |`),
    ].join('\n'),
    parts: [
      '| # | part | built by | what it is |',
      '|---|---|---|---|',
      ...bridgeParts.map((p, i) => `| ${i + 1} | \`${p.name}\` | [\`src/bridge/${p.name}.ts\`](../src/bridge/${p.name}.ts) | ${p.summary} |`),
    ].join('\n'),
  };
}

export function renderArchitecture(text: string): string {
  return renderSections(text, architectureSections(), ARCHITECTURE_FILE);
}
