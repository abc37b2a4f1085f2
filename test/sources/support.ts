import path from 'node:path';
import { z } from 'zod';
import { defineAdapter, type AdapterDefinition } from '../../adapters/types.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { getAdapter } from '../../adapters/registry.js';
import { normalizeConfigSchema, type NormalizeConfig } from '../../src/pipeline/config.js';
import { PipelineIngestor } from '../../src/pipeline/ingestor.js';
import { createNormalizer } from '../../src/pipeline/normalizer.js';
import type { Normalizer } from '../../src/pipeline/types.js';

/** Test-only line adapter: each line "id" (or "bad ...") → one leg; for mechanics until the real adapters land. */
export const lineAdapter = defineAdapter({
  id: 'test-lines',
  summary: 'one call per line (tests)',
  configSchema: z.object({}),
  example: {},
  inputs: { filePatterns: ['*.csv'], contentTypes: ['text/plain'], tail: true },
  async *parse(input) {
    let line = input.firstLine ?? 1;
    let rest = '';
    for await (const chunk of input.stream) {
      rest += String(chunk);
      const parts = rest.split('\n');
      rest = parts.pop() ?? '';
      for (const text of parts) {
        const location = `${input.name}:${line++}`;
        const id = text.trim();
        if (!id) continue;
        if (id.startsWith('bad')) yield { kind: 'error' as const, location, message: 'not a call' };
        else yield { kind: 'leg' as const, groupKey: id, leg: { externalId: id, location, startTime: '2024-01-01T00:00:00Z', from: {}, to: {}, outcome: 'answered' as const, legs: 1, raw: { text } } };
      }
    }
    if (rest.trim()) yield { kind: 'error' as const, location: `${input.name}:${line}`, message: 'last line has no newline' };
  },
  merge(legs) {
    return legs[0]!;
  },
});

const skipAll: Normalizer = { normalize: async () => ({ kind: 'skipped', reason: 'test' }) };

export async function openLedger(dir: string): Promise<Ledger> {
  return openSqliteLedger(path.join(dir, 'ledger.sqlite'));
}

export function pipeline(ledger: Ledger, adapter: AdapterDefinition = lineAdapter as unknown as AdapterDefinition) {
  const ingestor = new PipelineIngestor({ ledger, normalizer: skipAll, windowLegs: 5000, batchSize: 500, adapterFor: () => adapter });
  return { ingestor, getAdapter: () => adapter };
}

export interface RealPipelineOptions {
  normalize?: Partial<NormalizeConfig> & Record<string, unknown>;
  roots?: string[];
  signingSecret?: string;
  publicBaseUrl?: string;
}

/** The real thing: registry adapters, the configured normalizer, the pipeline ingestor. */
export function realPipeline(ledger: Ledger, opts: RealPipelineOptions = {}) {
  const config = normalizeConfigSchema.parse(opts.normalize ?? {});
  const normalizer = createNormalizer(config, {
    baseDir: process.cwd(),
    publicBaseUrl: opts.publicBaseUrl ?? 'http://127.0.0.1:8080',
    signingSecret: opts.signingSecret ?? 'test-signing-secret-0123456789',
    linkTtlHours: 72,
    linkClock: 'now',
    roots: opts.roots ?? [],
  });
  const ingestor = new PipelineIngestor({ ledger, normalizer, windowLegs: config.groupWindowLegs, batchSize: 500 });
  return { ingestor, getAdapter, normalizer };
}

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
