import { getAdapter } from '../../adapters/registry.js';
import type { Config } from '../config/schema.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Logger } from '../log/logger.js';
import { PipelineIngestor } from '../pipeline/ingestor.js';
import { type CallNormalizer, createNormalizer } from '../pipeline/normalizer.js';
import type { RecordingRules } from '../pipeline/recording.js';
import { renormalizeDueHeld } from '../pipeline/renormalize.js';
import type { Normalizer, PipelineSource } from '../pipeline/types.js';
import type { RecordingLinks } from '../recordings/links.js';
import { definePart } from './lifecycle.js';
import type { Telemetry } from '../telemetry.js';

export interface BuildNormalizerOptions {
  config: Pick<Config, 'normalize' | 'recordings'>;
  /** The config file's folder: relative CSV paths of the normalize section are resolved against it. */
  configDir: string;
  links: RecordingLinks;
  /** `now` on a bridge; `call-end` where the same input must give the same output (parse). */
  linkClock: RecordingRules['linkClock'];
  /** The Dstny users directory, where there is network (owners.fromDstnyUsers). */
  users?: { listUsers(): Promise<unknown[]> };
  logger?: Logger;
}

/**
 * The one way a normalizer is made: by the bridge, `parse`, `retry` and `check-config` alike, so a preview and
 * a running bridge cannot read the same configuration differently.
 */
export function buildNormalizer(deps: BuildNormalizerOptions): CallNormalizer {
  const { config, users, logger } = deps;
  return createNormalizer(config.normalize, {
    baseDir: deps.configDir,
    links: deps.links,
    linkClock: deps.linkClock,
    roots: config.recordings.roots,
    upload: config.recordings.delivery === 'upload',
    split: config.recordings.split,
    convert: config.recordings.convert,
    ...(users ? { fetchUsers: () => users.listUsers() } : {}),
    ...(logger ? { onDirectoryError: (error: unknown) => logger.warn('the Dstny users directory could not be refreshed; the last copy is used', { error }) } : {}),
  });
}

/** The source of a ledger row by id, for normalizing it again (the row keeps only the id). */
export function sourceLookup(config: Pick<Config, 'sources'>): (id: string) => PipelineSource | undefined {
  return (id) => config.sources.find((s) => s.id === id);
}

export const pipelinePart = definePart({
  name: 'pipeline',
  summary: 'Adapter, grouping of legs, normalizer and recording links: a record in, a ledger row out. Held calls (recording not written yet) are looked at again when due.',
  build(deps: Omit<BuildNormalizerOptions, 'linkClock'> & { config: Config; ledger: Ledger; logger: Logger; telemetry: Telemetry; onDue?: () => void }) {
    const { config, ledger, logger } = deps;
    // One ingestor for the bridge's life (it keeps each source's stash and flush from interleaving); a reload
    // swaps the normalizer and the source list it reads from.
    let current = { normalizer: buildNormalizer({ ...deps, linkClock: 'now' }), sourceFor: sourceLookup(config) };
    const normalizer: Normalizer = { normalize: (...args) => current.normalizer.normalize(...args) };
    const sourceFor: ReturnType<typeof sourceLookup> = (id) => current.sourceFor(id);
    const ingestor = new PipelineIngestor({
      ledger,
      normalizer,
      adapterFor: getAdapter,
      windowLegs: config.normalize.groupWindowLegs,
      batchSize: config.normalize.ingestBatchSize,
      logger,
      telemetry: deps.telemetry,
      ...(deps.onDue ? { onDue: deps.onDue } : {}),
    });
    let heldTimer: NodeJS.Timeout | undefined;
    return {
      normalizer,
      ingestor,
      links: deps.links,
      /**
       * Normalize with `next` from now on: owner and contact files are read again. Throws (and keeps the
       * current normalizer) when they cannot be read.
       */
      reconfigure(next: Pick<BuildNormalizerOptions, 'config' | 'configDir'> & { config: Pick<Config, 'sources'> }) {
        current = { normalizer: buildNormalizer({ ...deps, ...next, linkClock: 'now' }), sourceFor: sourceLookup(next.config) };
      },
      start() {
        heldTimer = setInterval(() => {
          renormalizeDueHeld({ ledger, normalizer, sourceFor, logger }, Date.now()).catch((error: unknown) => logger.error('re-checking held calls failed', { error }));
        }, config.normalize.recordingRetrySeconds * 1000);
      },
      stop() {
        clearInterval(heldTimer);
      },
    };
  },
});
