/** Regenerate the README's adapter table, configuration reference and environment table: `npm run docs`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderReadme } from '../src/docs/readme.js';

const before = readFileSync('README.md', 'utf8');
const after = renderReadme(before);
if (after !== before) writeFileSync('README.md', after);
process.stdout.write(after === before ? 'README.md is up to date\n' : 'README.md updated\n');
