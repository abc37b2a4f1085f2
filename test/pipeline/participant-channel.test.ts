import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { type CallRecord, type CallRecordInput, callRecordSchema } from '../../adapters/call-record.js';
import { type ParticipantChannelSetting, normalizeConfigSchema } from '../../src/pipeline/config.js';
import { createNormalizer } from '../../src/pipeline/normalizer.js';
import type { NormalizeSource } from '../../src/pipeline/types.js';
import { RecordingLinks } from '../../src/recordings/links.js';
import { tempDir } from '../support/tmp.js';
import { REPO_ROOT, runParseCase } from './fixture-cases.js';

/**
 * Issue 12: the participant's stereo channel per direction. A PBX that records the caller's leg (Asterisk MixMonitor
 * on the caller's channel, FreeSWITCH record_session on the A leg, Twilio's parent call) puts the outside party on
 * the left of incoming calls and on the right of outgoing ones; one value for every call cannot say that.
 */

const NOW = Date.parse('2024-06-01T10:06:00Z');

/** An answered call with a stereo recording at a URL (stereo as the PBX said it): the way round `patch` makes it. */
function call(patch: Partial<CallRecordInput> = {}): CallRecord {
  return callRecordSchema.parse({
    externalId: 'call-1',
    location: 'calls.csv:2',
    startTime: '2024-06-01T10:00:00Z',
    answerTime: '2024-06-01T10:00:05Z',
    endTime: '2024-06-01T10:02:05Z',
    talkSec: 120,
    outcome: 'answered',
    from: { number: '0701234567', name: 'Klara Kund' },
    to: { number: '1001' },
    recording: { url: 'https://rec.example.com/call-1.wav', stereo: true },
    raw: {},
    ...patch,
  });
}

const incoming = () => call();
const outgoing = () => call({ from: { number: '1001' }, to: { number: '0701234567' } });

function normalizer(config: Record<string, unknown> = {}) {
  return createNormalizer(normalizeConfigSchema.parse({ owners: { map: { '1001': 'anna@example.com', '1002': 'bo@example.com' } }, ...config }), {
    baseDir: REPO_ROOT,
    links: new RecordingLinks({ publicBaseUrl: 'https://bridge.example.com', secret: 'participant-channel-test-secret', ttlHours: 24 }),
    linkClock: 'now',
    roots: [],
  });
}

/** The body's direction and participant channel (and that it is a body at all). */
async function sent(config: Record<string, unknown>, record: CallRecord, source: NormalizeSource = { id: 'pbx' }) {
  const result = await normalizer(config).normalize(record, source, NOW);
  if (result.kind !== 'payload') throw new Error(`expected a payload, got ${result.kind}: ${result.reason}`);
  return { direction: result.payload.call_direction, channel: result.payload.call_participant_channel };
}

const byDirection: ParticipantChannelSetting = { incoming: 'left', outgoing: 'right' };

describe('normalize.participantChannel', () => {
  it('one per direction: the outside party is left on an incoming call, right on an outgoing one', async () => {
    expect(await sent({ participantChannel: byDirection }, incoming())).toEqual({ direction: 'incoming', channel: 'left' });
    expect(await sent({ participantChannel: byDirection }, outgoing())).toEqual({ direction: 'outgoing', channel: 'right' });
    // the other way round too: nothing in it assumes which side is which
    const swapped = { participantChannel: { incoming: 'right', outgoing: 'left' } };
    expect(await sent(swapped, incoming())).toEqual({ direction: 'incoming', channel: 'right' });
    expect(await sent(swapped, outgoing())).toEqual({ direction: 'outgoing', channel: 'left' });
  });

  it('one value is every call, as before; unset is right', async () => {
    for (const record of [incoming(), outgoing()]) {
      expect((await sent({ participantChannel: 'left' }, record)).channel).toBe('left');
      expect((await sent({}, record)).channel).toBe('right');
    }
  });

  it('the direction the PBX says counts, not the numbers', async () => {
    // From an internal-looking number, yet the PBX says incoming (a call in from a short service number).
    const said = call({ from: { number: '118' }, to: { number: '1001' }, direction: 'incoming', ownerExtension: '1001' });
    expect(await sent({ participantChannel: byDirection }, said)).toEqual({ direction: 'incoming', channel: 'left' });
  });

  it('an internal call (skip.internal off) is sent as outgoing from the caller, so it takes the outgoing side', async () => {
    const internal = call({ from: { number: '1001' }, to: { number: '1002' } });
    const config = { participantChannel: { incoming: 'left', outgoing: 'right' }, skip: { internal: false } };
    expect(await sent(config, internal)).toEqual({ direction: 'outgoing', channel: 'right' });
    expect(await sent({ ...config, participantChannel: { incoming: 'right', outgoing: 'left' } }, internal)).toEqual({ direction: 'outgoing', channel: 'left' });
    // as the PBX says it, too
    expect(await sent(config, call({ from: { number: '1001' }, to: { number: '1002' }, direction: 'internal' }))).toEqual({ direction: 'outgoing', channel: 'right' });
  });

  it('an external-only call (skip.external off, forwarded through the PBX) is sent as incoming, so it takes the incoming side', async () => {
    const forwarded = call({ from: { number: '0701234567' }, to: { number: '0812345678' } });
    const config = { participantChannel: byDirection, skip: { external: false }, owners: { map: { '0812345678': 'desk@example.com' } } };
    expect(await sent(config, forwarded)).toEqual({ direction: 'incoming', channel: 'left' });
  });

  it('a mono recording names no channel, whatever the setting', async () => {
    const result = await normalizer({ participantChannel: byDirection }).normalize(call({ recording: { url: 'https://rec.example.com/m.wav', stereo: false } }), { id: 'pbx' }, NOW);
    if (result.kind !== 'payload') throw new Error(`expected a payload, got ${result.kind}`);
    expect(result.payload.call_is_stereo).toBe(false);
    expect(result.payload).not.toHaveProperty('call_participant_channel');
  });
});

describe("a source's own participantChannel", () => {
  it("wins over normalize's for that source's calls only", async () => {
    const twilio: NormalizeSource = { id: 'twilio', participantChannel: byDirection };
    const recorder: NormalizeSource = { id: 'recorder', participantChannel: 'left' };
    const plain: NormalizeSource = { id: 'asterisk' };
    const config = { participantChannel: 'right' };
    expect(await sent(config, incoming(), twilio)).toEqual({ direction: 'incoming', channel: 'left' });
    expect(await sent(config, outgoing(), twilio)).toEqual({ direction: 'outgoing', channel: 'right' });
    expect(await sent(config, outgoing(), recorder)).toEqual({ direction: 'outgoing', channel: 'left' });
    expect(await sent(config, incoming(), plain)).toEqual({ direction: 'incoming', channel: 'right' });
  });

  it('a single value at the source beats a per-direction one in normalize', async () => {
    expect((await sent({ participantChannel: byDirection }, incoming(), { id: 'cucm', participantChannel: 'right' })).channel).toBe('right');
  });
});

/**
 * Real FreeSWITCH 1.10.12 output (test/fixtures/freeswitch-real/, README "B1"): Mikael Åkesson (+46406280450, whose
 * "voice" is a 440 Hz tone) calls in, Sara Lund (5003, 800 Hz) answers; record_session ran on the PBX leg of the
 * incoming call with RECORD_STEREO=true. Which channel holds the caller is read from the recording itself.
 */
describe('real data: FreeSWITCH record_session in stereo, through `callbridge parse`', () => {
  const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/freeswitch-real');
  const B1 = ['a_4e79588c-77ce-444b-b0f2-3e132b8be50c', 'a_a6caeed6-e329-44d7-8a05-9061ff1d8200', 'cfb93277-4d46-4fa7-be40-75f5c7c87897', 'a_5268d38b-31c6-4b1e-b41d-654ed99d711d'];
  const RECORDING = path.join(FIXTURE, 'recordings/2026-12-06/a6caeed6-e329-44d7-8a05-9061ff1d8200.wav');
  let tmp: ReturnType<typeof tempDir>;
  let input: string;

  beforeAll(() => {
    tmp = tempDir('cb-participant-channel-');
    input = path.join(tmp.dir, 'b1.ndjson');
    writeFileSync(input, B1.map((f) => `${readFileSync(path.join(FIXTURE, 'json_cdr', `${f}.cdr.json`), 'utf8').trim()}\n`).join(''));
  });
  afterAll(() => tmp.cleanup());

  /** The fixture's configuration with `edit` applied, written beside the input. */
  function configWith(name: string, edit: (config: { normalize: Record<string, unknown>; sources: Array<Record<string, unknown>> }) => void): string {
    const config = parseYaml(readFileSync(path.join(FIXTURE, 'callbridge.yaml'), 'utf8')) as { normalize: Record<string, unknown>; sources: Array<Record<string, unknown>> };
    edit(config);
    const dir = path.join(tmp.dir, name);
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'callbridge.yaml');
    writeFileSync(file, stringifyYaml(config));
    return file;
  }

  async function b1Channel(config: string): Promise<unknown> {
    const run = await runParseCase('freeswitch-json', config, input);
    expect(run.code).toBe(0);
    const payloads = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { payload?: Record<string, unknown> }).payload)
      .filter((p) => p !== undefined);
    expect(payloads.map((p) => [p.call_direction, p.participant_phone_number, p.call_is_stereo])).toEqual([['incoming', '+46406280450', true]]);
    return payloads[0]?.call_participant_channel;
  }

  it('the recording: the caller on one channel, the agent on the other', () => {
    const { left, right } = tonesByChannel(RECORDING);
    expect({ left, right }).toEqual({ left: 440, right: 800 });
  });

  it('with { incoming: left, outgoing: right } the participant channel is the one the caller speaks on', async () => {
    const channel = await b1Channel(configWith('by-direction', (c) => (c.normalize.participantChannel = { incoming: 'left', outgoing: 'right' })));
    const tones = tonesByChannel(RECORDING);
    expect(tones[channel as 'left' | 'right']).toBe(440);
  });

  it("the config without it is unchanged: right, for every call", async () => {
    expect(await b1Channel(configWith('default', () => undefined))).toBe('right');
  });

  it("the source's own value wins over normalize's", async () => {
    const config = configWith('source-wins', (c) => {
      c.normalize.participantChannel = { incoming: 'left', outgoing: 'right' };
      const fsJson = c.sources.find((s) => s.id === 'fs-json');
      if (fsJson) fsJson.participantChannel = 'right';
    });
    expect(await b1Channel(config)).toBe('right');
  });
});

/** The strongest of two probe tones (Goertzel) on each channel of a 16-bit PCM stereo WAV, over its loud part. */
function tonesByChannel(file: string): { left: number; right: number } {
  const wav = readFileSync(file);
  let offset = 12;
  let format: { channels: number; rate: number; bits: number } | undefined;
  let data: Buffer | undefined;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('ascii', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    const body = wav.subarray(offset + 8, offset + 8 + size);
    if (id === 'fmt ') format = { channels: body.readUInt16LE(2), rate: body.readUInt32LE(4), bits: body.readUInt16LE(14) };
    if (id === 'data') data = body;
    offset += 8 + size + (size % 2);
  }
  if (!format || !data || format.channels !== 2 || format.bits !== 16) throw new Error(`${file}: not a 16-bit stereo PCM WAV`);
  const frames = Math.floor(data.length / 4);
  const channel = (c: number) => Array.from({ length: frames }, (_, i) => data.readInt16LE(i * 4 + c * 2));
  const strongest = (samples: number[]) => ([440, 800] as const).reduce((best, hz) => (power(samples, hz, format.rate) > power(samples, best, format.rate) ? hz : best));
  return { left: strongest(channel(0)), right: strongest(channel(1)) };
}

function power(samples: number[], hz: number, rate: number): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let previous = 0;
  let beforePrevious = 0;
  for (const sample of samples) {
    const current = sample + coefficient * previous - beforePrevious;
    beforePrevious = previous;
    previous = current;
  }
  return previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
}
