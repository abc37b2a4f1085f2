import path from 'node:path';
import type { Ledger } from '../../src/ledger/ledger.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { getAdapter } from '../../adapters/registry.js';
import type { z } from 'zod';
import { normalizeConfigSchema } from '../../src/pipeline/config.js';
import { PipelineIngestor } from '../../src/pipeline/ingestor.js';
import { createNormalizer } from '../../src/pipeline/normalizer.js';
import { RecordingLinks } from '../../src/recordings/links.js';

export async function openLedger(dir: string): Promise<Ledger> {
  return openSqliteLedger(path.join(dir, 'ledger.sqlite'));
}

export interface RealPipelineOptions {
  /** The `normalize:` section as written in a config file (defaults filled in). */
  normalize?: z.input<typeof normalizeConfigSchema>;
  roots?: string[];
  signingSecret?: string;
  publicBaseUrl?: string;
}

/** The real thing: registry adapters, the configured normalizer, the pipeline ingestor. */
export function realPipeline(ledger: Ledger, opts: RealPipelineOptions = {}) {
  const config = normalizeConfigSchema.parse(opts.normalize ?? {});
  const normalizer = createNormalizer(config, {
    baseDir: process.cwd(),
    links: new RecordingLinks({ publicBaseUrl: opts.publicBaseUrl ?? 'http://127.0.0.1:8080', secret: opts.signingSecret ?? 'test-signing-secret-0123456789', ttlHours: 72 }),
    linkClock: 'now',
    roots: opts.roots ?? [],
  });
  const ingestor = new PipelineIngestor({ ledger, normalizer, adapterFor: getAdapter, windowLegs: config.groupWindowLegs, batchSize: 500 });
  return { ingestor, getAdapter, normalizer };
}

/**
 * One Asterisk cdr_csv line (Master.csv with uniqueid and userfield enabled: 18 columns), call `i`:
 * extension 1001 calls an outside number; the recording (a URL by default, or a path) is in userfield;
 * uniqueid `1704189600.<i>` is the call id.
 */
export function asteriskLine(i: number, recording = `https://pbx.example.com/rec/${i}.wav`): string {
  const start = new Date(Date.UTC(2024, 0, 2, 8, 0, 0) + i * 7_000);
  const fmt = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
  const answer = new Date(start.getTime() + 5_000);
  const end = new Date(start.getTime() + 65_000);
  const fields = [
    '', '1001', `+4687${String(100000 + (i % 900000)).padStart(6, '0')}`, 'from-internal', '"Alice Andersson" <1001>',
    `PJSIP/1001-${i.toString(16).padStart(8, '0')}`, `PJSIP/trunk-${i.toString(16).padStart(8, '0')}`, 'Dial', 'PJSIP/trunk',
    fmt(start), fmt(answer), fmt(end), '65', '60', 'ANSWERED', 'DOCUMENTATION', asteriskId(i), recording,
  ];
  return `${fields.map((f, n) => (n === 12 || n === 13 ? f : `"${f.replace(/"/g, '""')}"`)).join(',')}\n`;
}
export const asteriskId = (i: number) => `1704189600.${i}`;
export const asteriskLines = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => asteriskLine(from + k)).join('');

/** Asterisk source options and normalize rules under which the generated calls become pending rows. */
export const asteriskOptions = { userfieldIsRecording: true };
export const asteriskNormalize = { timezone: 'Europe/Stockholm', owners: { map: { '1001': 'alice@example.com' } } };

/** Rows in the ledger, all states. */
export async function rowCount(ledger: Ledger): Promise<number> {
  const stats = await ledger.stats();
  return Object.values(stats.counts).reduce((a, b) => a + b, 0);
}

/** Poll `check` until it is true or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000, everyMs = 25): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
