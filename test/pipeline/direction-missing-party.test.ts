import { describe, expect, it } from '@jest/globals';
import { type CallRecordInput, callRecordSchema } from '../../adapters/call-record.js';
import { normalizeConfigSchema } from '../../src/pipeline/config.js';
import { compileDirectionRules, decideDirection } from '../../src/pipeline/direction.js';
import { createNormalizer } from '../../src/pipeline/normalizer.js';
import { RecordingLinks } from '../../src/recordings/links.js';

/**
 * A record that names neither party: what a source gives when the record with the parties did not arrive (a
 * recording posted alone) or its field mapping misses the number columns. No rule can place it, so it is kept as
 * rejected with that reason, never skipped as an "external-only call (unknown → unknown)".
 */

const UNKNOWN =
  'caller and callee unknown: the call record has no number and no channel for either party ' +
  '(the record that names them did not arrive, or the source does not map them)';

const rulesOf = (skip: { internal: boolean; external: boolean }) =>
  compileDirectionRules({ internalNumbers: ['^\\d{4}$'], trunkPatterns: ['^PJSIP/telia-'], skip });
const filtering = rulesOf({ internal: true, external: true });
const keeping = rulesOf({ internal: false, external: false });

/** Times and a recording, nothing about the parties: a recording callback that came without its call. */
const recordingOnly: CallRecordInput = {
  externalId: 'CA6c8e0a2b4d6f8a0c2e4b6d8f0a2c4e6b',
  location: 'hook:twilio',
  startTime: '2024-03-06T15:10:02Z',
  endTime: '2024-03-06T15:11:06Z',
  durationSec: 64,
  from: {},
  to: {},
  outcome: 'answered',
  recording: { url: 'https://api.twilio.com/2010-04-01/Accounts/AC7d3f0b9e2c4a6815d0e2b4c6a8f01357/Recordings/REb2c3d4e5f60718293a4b5c6d7e8f90a1.mp3', stereo: true },
  raw: [{ callback: 'recording' }],
};

describe('decideDirection: neither party known', () => {
  it('is rejected as such, whether external-only calls are skipped or kept', () => {
    expect(decideDirection(callRecordSchema.parse(recordingOnly), filtering)).toEqual({ kind: 'reject', reason: UNKNOWN });
    expect(decideDirection(callRecordSchema.parse(recordingOnly), keeping)).toEqual({ kind: 'reject', reason: UNKNOWN });
  });

  it('even when the PBX states a direction: there is still nobody to own the call', () => {
    expect(decideDirection({ ...callRecordSchema.parse(recordingOnly), direction: 'incoming' }, keeping)).toEqual({ kind: 'reject', reason: UNKNOWN });
  });

  it('blank numbers and channels name nobody either', () => {
    expect(decideDirection({ from: { number: '  ', channel: '' }, to: { name: 'Reception' } }, filtering)).toEqual({ kind: 'reject', reason: UNKNOWN });
  });

  it('one party known by its number or channel alone: classified as before', () => {
    expect(decideDirection({ from: { channel: 'PJSIP/telia-0000004f' }, to: {} }, filtering)).toEqual({
      kind: 'skip',
      reason: 'external-only call, no internal party (PJSIP/telia-0000004f → unknown)',
    });
    expect(decideDirection({ from: {}, to: { number: '2004' } }, filtering)).toMatchObject({ kind: 'ok', direction: 'incoming', ownerExtension: '2004' });
  });
});

describe('normalize: a record that names neither party', () => {
  it('is rejected with the reason that says what is missing', async () => {
    const normalizer = createNormalizer(normalizeConfigSchema.parse({ timezone: 'Europe/Stockholm', owners: { map: { '2004': 'anna@example.com' } } }), {
      baseDir: '.',
      links: new RecordingLinks({ publicBaseUrl: 'https://bridge.example.com', secret: 'direction-missing-party-secret-01', ttlHours: 24 }),
      linkClock: 'now',
      roots: [],
    });
    expect(await normalizer.normalize(callRecordSchema.parse(recordingOnly), { id: 'twilio' })).toEqual({ kind: 'rejected', reason: UNKNOWN });
  });
});
