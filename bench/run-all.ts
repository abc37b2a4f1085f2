/**
 * `npm run bench`: every benchmark in turn, each printing its ratios measured side by side in one run.
 * Exits non-zero when any goal is missed. Arguments after `--` are not passed on: run a benchmark alone to size it.
 */
import { spawnSync } from 'node:child_process';

const benches = ['bench/ledger.ts', 'bench/ledger-scale.ts', 'bench/parse.ts', 'bench/bridge.ts', 'bench/latency.ts', 'bench/recordings.ts', 'bench/sql-source.ts', 'bench/backlog.ts'];
const failed: string[] = [];
for (const bench of benches) {
  console.log(`\n=== ${bench} ===`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', bench], { stdio: 'inherit' });
  if (run.status !== 0) failed.push(bench);
}
console.log(failed.length ? `\ngoals missed in: ${failed.join(', ')}` : '\nevery goal met');
process.exit(failed.length ? 1 : 0);
