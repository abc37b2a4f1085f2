import { type Logger, silentLogger } from '../log/logger.js';
import type { Ingestor } from '../pipeline/types.js';
import type { SourceConfig } from './config.js';
import { type SourceRunner, unrefTimer } from './runner.js';

/** A source whose legs are stashed until their call is quiet: hooks, and drop folders of one-file-per-leg adapters. */
export type StashingSource = Extract<SourceConfig, { type: 'hook' | 'drop' }>;

/**
 * Assembles the calls of a stashing source every `flushEveryMs`. For a hook source it is the whole running part
 * (posts are taken by the HTTP app, src/http/hooks.ts); a drop folder whose adapter writes one file per leg runs it
 * beside its DropFolderRunner.
 */
export class HookFlushRunner implements SourceRunner {
  readonly sourceId: string;
  readonly kind: StashingSource['type'];
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private stopping = false;
  /** See SourceRunner: set by this runner only. */
  running = false;
  lastProblem: string | null = null;

  constructor(
    readonly source: StashingSource,
    private readonly deps: { ingestor: Pick<Ingestor, 'flushQuiet'>; logger?: Logger; now?: () => number },
  ) {
    this.kind = source.type;
    this.sourceId = source.id;
    this.log = (deps.logger ?? silentLogger()).child({ component: source.type, source: source.id });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.stopping = false;
    this.running = true;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.flushing) await this.flushing;
    this.running = false;
  }

  /** Assemble the quiet calls now. */
  async flushNow(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.flushing = (async () => {
      try {
        await this.deps.ingestor.flushQuiet(this.source, (this.deps.now ?? Date.now)());
        this.lastProblem = null;
      } catch (error) {
        const text = `assembling quiet calls failed, will retry: ${error instanceof Error ? error.message : String(error)}`;
        if (text !== this.lastProblem) this.log.warn(text);
        this.lastProblem = text;
      }
    })().finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }

  private schedule(): void {
    if (this.stopping) return;
    this.timer = unrefTimer(() => {
      void this.flushNow().finally(() => this.schedule());
    }, this.source.flushEveryMs);
  }
}
