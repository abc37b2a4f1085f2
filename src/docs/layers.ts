/**
 * The floors of the house, lowest first. A file may import files of its own folder and of lower floors only;
 * test/architecture/layers.test.ts holds every import to this, and docs/architecture.md lists it.
 */
export const layers: ReadonlyArray<{ floor: number; folders: string[]; holds: string }> = [
  { floor: 0, folders: ['src/errors.ts', 'src/log', 'src/version.ts', 'src/backoff.ts', 'src/telemetry.ts', 'src/sleepers.ts'], holds: 'error classes, the logger and secret redaction, the version, retry delays, what parts report to the metrics, timed waits that can be cut short' },
  { floor: 1, folders: ['adapters', 'src/dstny', 'src/recordings'], holds: 'the adapter contract (CallRecord) and the adapters; the API body, client and gate; recording links, files and audio headers' },
  { floor: 2, folders: ['src/ledger', 'src/emulator'], holds: 'the ledger interface and SQLite; the Dstny emulator (a test double)' },
  { floor: 3, folders: ['src/pipeline', 'src/submit', 'src/prepare'], holds: 'grouping, normalizing and ingesting calls; the submitter; the recording uploader' },
  { floor: 4, folders: ['src/sources', 'src/status'], holds: 'drop folders, tails, CDR tables and hook flushing; the status report and /status, /metrics' },
  { floor: 5, folders: ['src/http'], holds: 'the express app: hooks, recording links, health' },
  { floor: 6, folders: ['src/reconcile'], holds: 'the reconciler, matching, and the Dstny webhook receiver' },
  { floor: 7, folders: ['src/config'], holds: 'the whole configuration: each part\'s schema, YAML, environment' },
  { floor: 8, folders: ['src/bridge'], holds: 'the builders of the parts, their lifecycle, startBridge' },
  { floor: 9, folders: ['src/docs'], holds: 'docs generated from the code: configuration keys, adapters, these floors, the parts' },
  { floor: 10, folders: ['src/cli', 'scripts', 'bench'], holds: 'the command line, scripts and benchmarks' },
];

/** The floor entry a repository path belongs to (the longest folder that contains it), or undefined. */
export function layerOf(file: string): { floor: number; folder: string } | undefined {
  let best: { floor: number; folder: string } | undefined;
  for (const layer of layers) {
    for (const folder of layer.folders) {
      const inside = file === folder || file.startsWith(`${folder}/`);
      if (inside && (!best || folder.length > best.folder.length)) best = { floor: layer.floor, folder };
    }
  }
  return best;
}
