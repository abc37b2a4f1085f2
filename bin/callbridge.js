#!/usr/bin/env -S node --max-old-space-size=1024
// The `callbridge` command. From a checkout it runs the TypeScript sources through tsx; from a built install
// (no src/, as in the Docker image) the compiled dist/. The heap flag is the same as `npm start`'s: V8 otherwise
// sizes heap growth by the host's RAM.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/src/cli/main.js');
}
