import type { StateChange } from '../log/state-change.js';

/**
 * What an operator changes so that a rejected call can be sent, read from the rejection's reason. The reasons
 * are worded in this folder (normalizer.ts, recording.ts, direction.ts, call-times.ts, ingestor.ts); a reason
 * none of these rules know gets the general advice of src/log/state-change.ts.
 */
const FIXES: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^no owner for extension (.+)$/, (m) => `map extension ${m[1]} to its owner's email: normalize.owners.map, normalize.owners.csv or normalize.owners.fromDstnyUsers`],
  [/^no owner: /, () => 'the call has no internal party with an extension: check normalize.internalNumbers and normalize.trunkPatterns'],
  [/ after the call ended$/, () => 'put the recording where the CDR says, or point recordings.roots at its folder; normalize.recordingWaitMinutes is how long the bridge waits for it'],
  [/ is outside recordings\.roots /, () => "add the recording's folder to recordings.roots"],
  [/names no folder the bridge may serve it from$/, () => 'set recordings.roots to the folder the recordings are written to'],
  [/ is not audio the bridge can read: /, () => 'the recording file is not audio: check what the PBX writes there'],
  [/^recording URL is not an http\(s\) URL/, () => 'make the PBX give an http(s) recording URL, or a local path under recordings.roots'],
  [/^invalid payload: /, () => 'the fields named come from the CDR or from the normalize settings that fill them'],
  [/^normalization failed: /, () => 'a fault in callbridge itself: report it with this line'],
  [/^the stored record is not a call record/, () => 'the stored CDR can no longer be read as a call: import its lines again'],
  [/^stashed legs of call /, () => "the stored legs no longer match the adapter's call records: re-import the CDR lines"],
  [/unknown time zone|invalid time/, () => "the call's times: normalize.timezone or the source's timezone, or the CDR's time fields"],
  [/trunkPatterns/, () => 'normalize.trunkPatterns, as the reason says'],
];

export function rejectionFix(reason: string): string | undefined {
  for (const [pattern, fix] of FIXES) {
    const m = pattern.exec(reason);
    if (m) return fix(m);
  }
  return undefined;
}

/** The state change of a row the pipeline rejected, with the fix its reason calls for. */
export function rejectedChange(row: { externalId: string; reason?: string | null; location?: string | null }): StateChange {
  const reason = row.reason ?? 'no reason recorded';
  const fix = rejectionFix(reason);
  return { externalId: row.externalId, to: 'rejected', reason, location: row.location ?? null, ...(fix ? { fix } : {}) };
}
