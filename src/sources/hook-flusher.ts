import { type Logger, silentLogger } from '../log/logger.js';
import type { Ingestor } from '../pipeline/types.js';
import type { SourceConfig } from './config.js';
import { type Loop, PollingRunner } from './polling-runner.js';
import type { SourceRunner } from './runner.js';

/** A source whose legs are stashed until their call is quiet: hooks, and drop folders of one-file-per-leg adapters. */
export type StashingSource = Extract<SourceConfig, { type: 'hook' | 'drop' }>;

/**
 * Assembles the calls of a stashing source every `flushEveryMs`. For a hook source it is the whole running part
 * (posts are taken by the HTTP app, src/http/hooks.ts); a drop folder whose adapter writes one file per leg runs it
 * beside its DropFolderRunner.
 */
export class HookFlushRunner extends PollingRunner implements SourceRunner {
  readonly sourceId: string;
  readonly kind: StashingSource['type'];
  private readonly flushes: Loop;

  constructor(
    readonly source: StashingSource,
    deps: { ingestor: Pick<Ingestor, 'flushQuiet'>; logger?: Logger; now?: () => number },
  ) {
    super({ log: (deps.logger ?? silentLogger()).child({ component: source.type, source: source.id }), now: deps.now });
    this.kind = source.type;
    this.sourceId = source.id;
    this.flushes = this.quietCallsLoop(source, deps.ingestor, { clearsProblem: true });
  }

  /** Assemble the quiet calls now. */
  flushNow(): Promise<void> {
    return this.flushes.runNow();
  }
}
