import type { AdapterDefinition } from '../../adapters/types.js';
import type { SourceConfig } from './config.js';

/**
 * Whether a source stashes each leg and assembles a call once it is quiet (or complete), rather than grouping legs
 * within one input: hooks and tails always (a call's legs come in separate posts and lines), a drop folder when
 * its adapter's PBX writes one file per leg. `callbridge parse` asks the same question, so it groups as the bridge does.
 */
export function stashesLegs(type: SourceConfig['type'], adapter: Pick<AdapterDefinition, 'inputs'>): boolean {
  return type !== 'drop' || adapter.inputs.legsAcrossFiles === true;
}
