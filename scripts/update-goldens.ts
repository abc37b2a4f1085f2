/**
 * Regenerates the golden outputs of the adapter contract test:
 *   npx tsx scripts/update-goldens.ts [adapter-id ...]
 * For every case in test/fixtures/<id>/ (see test/pipeline/fixture-cases.ts), runs `callbridge parse` with the
 * folder's callbridge.yaml and writes `<case>.expected.ndjson`.
 *
 * A golden is a claim about correct output, not a recording of whatever the code does: after running this,
 * READ each changed golden (times in UTC, E.164 numbers, owner, direction, reasons) before committing it.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { adapters } from '../adapters/registry.js';
import { REPO_ROOT, fixtureFolder, runParseCase } from '../test/pipeline/fixture-cases.js';

async function main(): Promise<number> {
  const wanted = process.argv.slice(2);
  const known = adapters.map((a) => a.id);
  const unknown = wanted.filter((id) => !known.includes(id));
  if (unknown.length) {
    console.error(`unknown adapter ${unknown.join(', ')}; known: ${known.join(', ')}`);
    return 2;
  }
  let failed = false;
  for (const id of wanted.length ? wanted : known) {
    const folder = fixtureFolder(id);
    for (const problem of folder.problems) {
      console.error(`${id}: ${problem}`);
      failed = true;
    }
    for (const c of folder.cases) {
      const run = await runParseCase(id, folder.config, c.input);
      if (run.code !== 0) {
        console.error(`${c.input}: callbridge parse exited with ${run.code}:\n${run.stderr}`);
        failed = true;
        continue;
      }
      writeFileSync(path.join(REPO_ROOT, c.expected), run.stdout);
      const lines = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { payload?: unknown; state?: string });
      const count = (state: string) => lines.filter((l) => l.state === state).length;
      console.log(
        `${c.expected}: ${lines.filter((l) => l.payload).length} payload(s), ${count('rejected')} rejected, ${count('skipped')} skipped`,
      );
    }
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  },
);
