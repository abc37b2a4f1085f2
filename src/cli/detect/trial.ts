import { Readable } from 'node:stream';
import type { AdapterDefinition, ParseItem } from '../../../adapters/types.js';
import type { Sample, Trial } from './types.js';

/** Legs kept from a trial (their numbers and names feed the config); the rest are only counted. */
const KEEP_LEGS = 5_000;

/**
 * The adapter's own parse over the sample, with the options detection would write: the most honest test of a
 * detection is whether the adapter reads the file. Nothing leaves memory; the options are validated by the
 * adapter's schema first (an invalid guess is a detector's bug, said as the trial's error).
 */
export async function tryAdapter(adapter: AdapterDefinition, options: Record<string, unknown>, sample: Sample): Promise<Trial> {
  const trial: Trial = { legs: [], skips: 0, errors: 0 };
  const parsed = adapter.configSchema.safeParse(options);
  if (!parsed.success) {
    trial.errors = 1;
    trial.firstError = { location: sample.name, message: `options ${JSON.stringify(options)} are not valid for ${adapter.id}: ${parsed.error.message}` };
    return trial;
  }
  // A BOM is put back: adapters handle it themselves, and the trial should read the file as the bridge will.
  const text = sample.bom ? `\uFEFF${sample.text}` : sample.text;
  const stream = Readable.from([Buffer.from(text, 'utf8')]);
  for await (const item of adapter.parse({ name: sample.name, stream }, parsed.data)) count(trial, item);
  return trial;
}

function count(trial: Trial, item: ParseItem): void {
  if (item.kind === 'leg') {
    if (trial.legs.length < KEEP_LEGS) trial.legs.push(item.leg);
  } else if (item.kind === 'skip') {
    trial.skips += 1;
    trial.firstSkip ??= item.reason;
  } else {
    trial.errors += 1;
    trial.firstError ??= { location: item.location, message: item.message };
  }
}

/** Records the adapter read (calls or recognised non-calls). */
export function readCount(trial: Trial): number {
  return trial.legs.length + trial.skips;
}

/** "read 12 records: 11 call legs, 1 skipped (CMR file); 2 errors, the first at FILE:3: ..." */
export function describeTrial(adapterId: string, trial: Trial): string {
  const parts = [`${trial.legs.length} call leg${trial.legs.length === 1 ? '' : 's'}`];
  if (trial.skips) parts.push(`${trial.skips} recognised but not calls (${trial.firstSkip})`);
  let text = `the ${adapterId} adapter read ${parts.join(', ')}`;
  if (trial.errors) {
    text += `; ${trial.errors} record${trial.errors === 1 ? '' : 's'} it could not read`;
    if (trial.firstError) text += `, the first at ${trial.firstError.location}: ${trial.firstError.message}`;
  } else text += ', with no errors';
  return text;
}
