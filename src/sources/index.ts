import type { AdapterDefinition } from '../../adapters/types.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Locks } from '../ledger/locks.js';
import type { Logger } from '../log/logger.js';
import type { Ingestor } from '../pipeline/types.js';
import type { SourceConfig } from './config.js';
import { DropFolderRunner } from './drop.js';
import { HookFlushRunner } from './hook-flusher.js';
import { LockedRunner } from './locked.js';
import { stashesLegs } from './stashes-legs.js';
import type { SourceRunner } from './runner.js';
import { TailRunner } from './tail.js';
import { SqlRunner } from './sql.js';

export type { SourceRunner } from './runner.js';
export { LockedRunner } from './locked.js';
export { DropFolderRunner } from './drop.js';
export { TailRunner } from './tail.js';
export { HookFlushRunner } from './hook-flusher.js';
export { SqlRunner } from './sql.js';

export interface SourceDeps {
  ingestor: Ingestor;
  ledger: Ledger;
  getAdapter: (id: string) => Pick<AdapterDefinition, 'id' | 'inputs'>;
  logger?: Logger;
  now?: () => number;
  /** The PBX clock's zone for sources that name none (normalize.timezone). */
  zone?: string;
  /** Replicas on one ledger: a drop folder, tail or CDR table is then read by the one replica holding its lock. */
  locks?: Locks;
}

/**
 * The runners of the configured sources. Hook sources get the runner that assembles their quiet calls; a drop
 * folder whose adapter writes one file per leg (`inputs.legsAcrossFiles`) gets one too, beside its folder runner.
 */
export function createSourceRunners(sources: readonly SourceConfig[], deps: SourceDeps): SourceRunner[] {
  const { locks } = deps;
  // Hooks are taken by every replica; assembling their quiet calls twice only finds the call already there.
  return runnersOf(sources, deps).map((runner) => (locks?.shared && runner.kind !== 'hook' ? new LockedRunner(runner, locks, deps.logger) : runner));
}

function runnersOf(sources: readonly SourceConfig[], deps: SourceDeps): SourceRunner[] {
  return sources.flatMap((source): SourceRunner[] => {
    switch (source.type) {
      case 'drop':
        return stashesLegs(source.type, deps.getAdapter(source.adapter))
          ? [new DropFolderRunner(source, deps), new HookFlushRunner(source, deps)]
          : [new DropFolderRunner(source, deps)];
      case 'tail':
        return [new TailRunner(source, deps)];
      case 'hook':
        return [new HookFlushRunner(source, deps)];
      case 'sql':
        return [new SqlRunner(source, deps)];
    }
  });
}

