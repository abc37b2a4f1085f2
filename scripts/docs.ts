/** Regenerate the sections of README.md and docs/architecture.md written from the code: `npm run docs`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { ARCHITECTURE_FILE, renderArchitecture } from '../src/docs/architecture.js';
import { renderReadme } from '../src/docs/readme.js';

for (const [file, render] of [
  ['README.md', renderReadme],
  [ARCHITECTURE_FILE, renderArchitecture],
] as const) {
  const before = readFileSync(file, 'utf8');
  const after = render(before);
  if (after !== before) writeFileSync(file, after);
  process.stdout.write(`${file} ${after === before ? 'is up to date' : 'updated'}\n`);
}
