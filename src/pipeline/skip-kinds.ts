/**
 * Why calls are skipped, as few kinds as an operator filters on: the reasons themselves name numbers and lengths,
 * too many values for a metric's label. Each kind is recognised from the reason the rule that skips writes
 * (direction.ts, duration.ts, recording.ts, the normalizer); test/pipeline/skip-kinds.test.ts runs those rules.
 */
export const skipKinds = ['internal', 'external-only', 'unanswered', 'short', 'no-length', 'no-recording', 'adapter', 'other'] as const;
export type SkipKind = (typeof skipKinds)[number];

const byReason: Array<[RegExp, SkipKind]> = [
  [/^internal call\b/, 'internal'],
  [/^external-only call\b/, 'external-only'],
  [/^unanswered call\b/, 'unanswered'],
  [/^(zero-length call|call shorter than minDurationSec)\b/, 'short'],
  [/^(no end time and no duration|end time is before start time)\b/, 'no-length'],
  [/^no recording\b/, 'no-recording'],
];

/** The kind of a normalize rule's skip reason; `other` for one no rule here knows. */
export function skipKindOf(reason: string | null | undefined): SkipKind {
  for (const [re, kind] of byReason) if (re.test(reason ?? '')) return kind;
  return 'other';
}
