import { createReadStream } from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import type { CallRecord } from '../../adapters/call-record.js';
import { getAdapter } from '../../adapters/registry.js';
import { runDetect } from '../../src/cli/detect.js';
import type { Ledger, LedgerRow } from '../../src/ledger/ledger.js';
import { sourcesConfigSchema } from '../../src/sources/config.js';
import { type SqlSource, SqlRunner } from '../../src/sources/sql.js';
import { linesLogger } from '../support/log-lines.js';
import { tempDir } from '../support/tmp.js';
import { openLedger, realPipeline, type RealPipelineOptions } from './support.js';

/** The PBX of the freepbx-real fixture (its README: "pbx4", Fjällsjö Logistik AB, extensions 4001-4005). */
export const FREEPBX_NORMALIZE = {
  timezone: 'Europe/Stockholm',
  defaultCountry: 'SE',
  internalNumbers: ['^40\\d{2}$'],
  owners: {
    map: {
      '4001': 'jonas.wikstrom@pbx4.example.se',
      '4002': 'hanna.ohman@pbx4.example.se',
      '4003': 'viktor.dahl@pbx4.example.se',
      '4004': 'linnea.borg@pbx4.example.se',
      '4005': 'per-erik.sandberg@pbx4.example.se',
    },
  },
};

export const messages = (lines: string[]) => lines.map((l) => (JSON.parse(l) as { message: string }).message);
export const rowsOf = (ledger: Ledger): Promise<LedgerRow[]> => ledger.query({});

/** An sql source as the configuration gives it (defaults filled in). */
export function sqlSourceOf(fields: Record<string, unknown>): SqlSource {
  const [source] = sourcesConfigSchema.parse([{ id: 'pbx4', type: 'sql', timezone: 'Europe/Stockholm', ...fields }]);
  return source as SqlSource;
}

/** What a test holds of a bridge reading one sql source: a real SQLite ledger and pipeline; `cleanup()` stops and removes it. */
export async function sqlParts(source: SqlSource, opts: RealPipelineOptions = {}) {
  const tmp = tempDir('callbridge-sql-');
  const ledger = await openLedger(tmp.dir);
  const { ingestor } = realPipeline(ledger, { normalize: FREEPBX_NORMALIZE, ...opts });
  const { logger, lines } = linesLogger();
  const runner = new SqlRunner(source, { ingestor, ledger, logger });
  return {
    source,
    ledger,
    ingestor,
    runner,
    lines,
    /** Every call the source read, assembled as the bridge would once quiet. */
    settle: () => ingestor.flushQuiet(source, Date.now(), Number.MAX_SAFE_INTEGER),
    cleanup: async () => {
      await runner.stop();
      await ledger.close();
      tmp.cleanup();
    },
  };
}

/** The rows a Master.csv of the same calls gives through the drop folder path (grouped whole), by external id. */
export async function masterCsvRows(file: string, opts: RealPipelineOptions = {}): Promise<Map<string, LedgerRow>> {
  const tmp = tempDir('callbridge-csv-');
  const ledger = await openLedger(tmp.dir);
  try {
    const source = { id: 'csv', adapter: 'asterisk-csv', options: getAdapter('asterisk-csv').configSchema.parse({}) as Record<string, unknown>, timezone: 'Europe/Stockholm', groupQuietMs: 0 };
    const { ingestor } = realPipeline(ledger, { normalize: FREEPBX_NORMALIZE, ...opts });
    await ingestor.ingestWhole(source, { name: path.resolve(file), stream: createReadStream(file) });
    return new Map((await rowsOf(ledger)).map((r) => [r.externalId, r]));
  } finally {
    await ledger.close();
    tmp.cleanup();
  }
}

/**
 * The rows a folder of one-leg-per-file CDRs (FreeSWITCH's json_cdr/) gives as a drop folder reads it: each file's
 * legs stashed, then every call assembled once quiet. By external id.
 */
export async function legFileRows(files: string[], adapterId: string, options: Record<string, unknown>, opts: RealPipelineOptions = {}): Promise<Map<string, LedgerRow>> {
  const tmp = tempDir('callbridge-files-');
  const ledger = await openLedger(tmp.dir);
  try {
    const source = { id: 'files', adapter: adapterId, options: getAdapter(adapterId).configSchema.parse(options) as Record<string, unknown>, timezone: 'Europe/Stockholm', groupQuietMs: 0 };
    const { ingestor } = realPipeline(ledger, { normalize: FREEPBX_NORMALIZE, ...opts });
    for (const file of files) await ingestor.ingestLegs(source, { name: path.resolve(file), stream: createReadStream(file) });
    await ingestor.flushQuiet(source, Date.now(), Number.MAX_SAFE_INTEGER);
    return new Map((await rowsOf(ledger)).map((r) => [r.externalId, r]));
  } finally {
    await ledger.close();
    tmp.cleanup();
  }
}

/**
 * The call as the adapter assembled it, without what only one store has (where it was read, its raw rows, the
 * recording); with `zone`, its wall-clock times as the UTC instants they are there (a timestamptz is read as UTC).
 */
export function callShape(row: LedgerRow, zone?: string): unknown {
  const { location, raw, recording, ...rest } = row.raw as CallRecord;
  void location;
  void raw;
  void recording;
  if (!zone) return rest;
  return JSON.parse(JSON.stringify(rest), (key, value: unknown) =>
    key.endsWith('Time') && typeof value === 'string' && !value.endsWith('Z') ? `${DateTime.fromISO(value, { zone }).toUTC().toISO({ suppressMilliseconds: true })?.replace('.000', '')}` : value,
  );
}

/** `callbridge detect` on these inputs, in process: its exit code, the YAML it prints and its one-line verdicts. */
export async function detectText(paths: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runDetect({
    paths,
    machineZone: 'Europe/Stockholm',
    stdout: { write: (s: string) => ((stdout += s), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: (s: string) => ((stderr += s), true) } as unknown as NodeJS.WritableStream,
  });
  return { code, stdout, stderr };
}
