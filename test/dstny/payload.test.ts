import { describe, expect, it } from '@jest/globals';
import { checkPayload, documentedSample } from '../../src/dstny/payload.js';

const valid = { ...documentedSample, call_recording_url: 'https://recordings.example.com/a1b2c3d4e5.wav' };

describe('the API body schema mirrors the documented request body', () => {
  it('accepts the documented request sample with a recording URL', () => {
    expect(checkPayload(valid)).toEqual({ ok: true, payload: valid });
  });

  it('refuses the documented sample as printed, because it lacks the required call_recording_url', () => {
    const result = checkPayload(documentedSample);
    expect(result).toEqual({ ok: false, problems: [expect.stringMatching(/^call_recording_url: /)] });
  });

  it.each(['call_external_id', 'call_start_time', 'call_recording_url', 'call_direction', 'owner_email'])(
    'refuses a body without %s, naming the field',
    (field) => {
      const body: Record<string, unknown> = { ...valid };
      delete body[field];
      const result = checkPayload(body);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems).toEqual([expect.stringMatching(new RegExp(`^${field}: `))]);
    },
  );

  it('refuses a body with neither end time nor duration, and accepts either alone', () => {
    const { call_end_time: _end, call_duration: _duration, ...neither } = valid;
    expect(checkPayload(neither)).toEqual({ ok: false, problems: ['call_end_time: either call_end_time or call_duration is required'] });
    expect(checkPayload({ ...neither, call_duration: 60 }).ok).toBe(true);
    expect(checkPayload({ ...neither, call_end_time: '2025-04-17T08:15:00Z' }).ok).toBe(true);
  });

  it.each([
    ['call_direction', 'inbound', 'call_direction'],
    ['call_participant_channel', 'center', 'call_participant_channel'],
    ['owner_email', 'john.doe', 'owner_email'],
    ['participant_email', 'not-an-email', 'participant_email'],
    ['call_recording_url', 'recordings/a.wav', 'call_recording_url'],
    ['call_start_time', '17/04/2025 08:00', 'call_start_time'],
    ['call_duration', 12.5, 'call_duration'],
    ['call_is_stereo', 'yes', 'call_is_stereo'],
  ])('refuses %s = %j', (field, value, named) => {
    const result = checkPayload({ ...valid, [field]: value });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatch(new RegExp(`^${named}: `));
  });

  it('refuses a field the API does not document', () => {
    const result = checkPayload({ ...valid, call_transcript: 'hello' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toContain('call_transcript');
  });
});
