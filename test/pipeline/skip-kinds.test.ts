/**
 * The kinds of skip reason the metrics label calls with: each rule that skips, run for real by the normalizer,
 * gives a reason its kind is recognised from (a rule whose wording changes makes this fail, not the metric say
 * "other").
 */
import { describe, expect, it } from '@jest/globals';
import { type CallRecordInput, callRecordSchema } from '../../adapters/call-record.js';
import { normalizeConfigSchema } from '../../src/pipeline/config.js';
import { createNormalizer } from '../../src/pipeline/normalizer.js';
import { type SkipKind, skipKindOf } from '../../src/pipeline/skip-kinds.js';
import { RecordingLinks } from '../../src/recordings/links.js';

const answered: CallRecordInput = {
  externalId: 'c1',
  location: 'Master.csv:1',
  startTime: '2024-06-01 12:00:00',
  answerTime: '2024-06-01 12:00:08',
  endTime: '2024-06-01 12:05:08',
  durationSec: 308,
  talkSec: 300,
  from: { number: '0701234567', channel: 'SIP/trunk-00000001' },
  to: { number: '1001', channel: 'SIP/1001-00000002' },
  outcome: 'answered',
  recording: { url: 'https://rec.example.com/c1.wav' },
  raw: { line: 1 },
};

const normalizer = createNormalizer(
  normalizeConfigSchema.parse({ timezone: 'Europe/Stockholm', trunkPatterns: ['^SIP/trunk-'], owners: { map: { '1001': 'alice@example.com' } }, minDurationSec: 5 }),
  { baseDir: '.', links: new RecordingLinks({ publicBaseUrl: 'https://bridge.example.com', secret: 'skip-kinds-secret-0123456789', ttlHours: 24 }), linkClock: 'now', roots: [] },
);

describe('skipKindOf', () => {
  it.each<[SkipKind, Partial<CallRecordInput>]>([
    ['unanswered', { outcome: 'no-answer', talkSec: 0, answerTime: undefined }],
    ['internal', { from: { number: '1002' }, to: { number: '1001' } }],
    ['external-only', { from: { number: '0701234567', channel: 'SIP/trunk-1' }, to: { number: '0801234567', channel: 'SIP/trunk-2' } }],
    ['short', { talkSec: 3, durationSec: 3, answerTime: undefined, endTime: undefined }],
    ['short', { talkSec: 0, durationSec: 0, answerTime: '2024-06-01 12:00:00', endTime: '2024-06-01 12:00:00' }],
    ['no-length', { talkSec: undefined, durationSec: undefined, endTime: undefined, answerTime: undefined }],
    ['no-length', { answerTime: undefined, talkSec: undefined, durationSec: undefined, endTime: '2024-06-01 11:59:00' }],
    ['no-recording', { recording: undefined }],
  ])('%s: the normalizer skips the call with a reason of that kind', async (kind, patch) => {
    const result = await normalizer.normalize(callRecordSchema.parse({ ...answered, ...patch }), { id: 'pbx' }, Date.parse('2024-06-01T10:06:00Z'));
    expect(result.kind).toBe('skipped');
    expect(skipKindOf(result.kind === 'skipped' ? result.reason : null)).toBe(kind);
  });

  it('a reason no rule writes is "other", never a new label value', () => {
    expect(skipKindOf('filtered by a custom rule (call 1234 to +4670...)')).toBe('other');
    expect(skipKindOf(null)).toBe('other');
  });
});
