import path from 'node:path';
import { checkPayload } from '../dstny/payload.js';
import type { CallRecord, Party } from '../../adapters/call-record.js';
import { type Channel, type NormalizeConfig, participantChannelFor } from './config.js';
import { compileDirectionRules, type Conversation, decideDirection, type DirectionDecision, type DirectionRules } from './direction.js';
import { type ContactEntry, PhoneIndex, loadContactsCsv, loadOwnersCsv } from './directory.js';
import { OwnerDirectory, type OwnerLookup } from './owners.js';
import { type SplitName, isFullNumber, splitCallerName, toE164 } from './participant.js';
import { type RecordingDecision, type RecordingIo, type RecordingRules, fsRecordingIo, resolveRecording, resolveRecordingWithoutIo } from './recording.js';
import { type CallTimes, resolveCallTimes } from './call-times.js';
import { type DurationInput, decideDuration } from './duration.js';
import { formatUtc } from './fast-utc.js';
import { TimeError } from './zone-offsets.js';
import { mapOutcome, renderTitle } from './title.js';
import type { NormalizeResult, NormalizeSource, Normalizer } from './types.js';

export interface NormalizerDeps {
  config: NormalizeConfig;
  owners: OwnerDirectory;
  contacts?: PhoneIndex<ContactEntry>;
  recordings: Pick<RecordingRules, 'links' | 'linkClock' | 'roots' | 'upload' | 'split' | 'convert'>;
  io?: RecordingIo;
}

/**
 * CallRecord → the exact API body, or a visible reason why not. The steps, in order (the first that
 * refuses decides): times → direction → answered/duration → has a recording → owner → recording file →
 * participant → payload schema. Filters come before the owner so that a call we would never send is
 * `skipped`, not `rejected` for a missing mapping.
 *
 * Speed: a whole file is millions of calls, and most of them need no I/O (the owner is in the local map, the
 * recording is a URL). Those run start to end without an await: only a remote directory look-up or a local
 * recording file switches to the asynchronous path, which runs the same steps.
 */
export class CallNormalizer implements Normalizer {
  private readonly rules: DirectionRules;
  private readonly recordingRules: RecordingRules;
  private readonly io: RecordingIo;

  constructor(private readonly deps: NormalizerDeps) {
    this.rules = compileDirectionRules(deps.config);
    const config = deps.config;
    this.recordingRules = {
      ...deps.recordings,
      waitMinutes: config.recordingWaitMinutes,
      retrySeconds: config.recordingRetrySeconds,
      skipNoRecording: config.skip.noRecording,
    };
    this.io = deps.io ?? fsRecordingIo;
  }

  normalize(call: CallRecord, source: NormalizeSource, now = Date.now()): Promise<NormalizeResult> {
    try {
      const state = this.prepare(call, source);
      if (!(state instanceof Prepared)) return Promise.resolve(state);
      const found = this.deps.owners.lookupLocal(state.side.ownerExtension);
      if (found === undefined) return this.continueAsync(call, state, now, undefined);
      const refused = this.takeOwner(state, found);
      if (refused) return Promise.resolve(refused);
      const recording = resolveRecordingWithoutIo(call, this.recordingRules);
      if (recording === undefined) return this.continueAsync(call, state, now, found);
      return Promise.resolve(this.finish(call, state, recording));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The same steps as `normalize`, for a call that needs the remote owner directory or a local recording file. */
  private async continueAsync(call: CallRecord, state: Prepared, now: number, found: OwnerLookup | undefined): Promise<NormalizeResult> {
    if (found === undefined) {
      found = await this.deps.owners.lookup(state.side.ownerExtension, now);
      const refused = this.takeOwner(state, found);
      if (refused) return refused;
    }
    const endMs = state.times.end ?? state.times.start + state.seconds * 1000;
    const recording = await resolveRecording(call, state.side.direction, endMs, now, this.recordingRules, this.io);
    return this.finish(call, state, recording);
  }

  /** Times → direction → duration → has a recording: a result when one of them refuses, else what the next steps need. */
  private prepare(call: CallRecord, source: NormalizeSource): NormalizeResult | Prepared {
    const config = this.deps.config;
    const zone = source.timezone ?? config.timezone;

    let times;
    try {
      times = resolveCallTimes(call, zone);
    } catch (error) {
      if (error instanceof TimeError) return { kind: 'rejected', reason: error.message };
      throw error;
    }

    const side = decideDirection(call, this.rules);
    if (side.kind === 'skip') return { kind: 'skipped', reason: side.reason };
    if (side.kind === 'reject') return { kind: 'rejected', reason: side.reason };

    // A call of several connections is as long as its outside party was connected, not as its first record.
    const talk = side.conversation ? conversationLength(call, side.conversation, zone, times) : { call, times };
    const length = decideDuration(talk.call, talk.times, { skipUnanswered: config.skip.unanswered, minDurationSec: config.minDurationSec });
    if (length.kind === 'skip') return { kind: 'skipped', reason: length.reason };

    const hasRecording = Boolean(call.recording?.url?.trim() || call.recording?.path?.trim());
    if (!hasRecording && config.skip.noRecording) return { kind: 'skipped', reason: 'no recording' };
    // A PBX that records the caller on one side has the participant there on incoming calls only: hence a side per direction.
    const channel = participantChannelFor(source.participantChannel ?? config.participantChannel, side.direction);
    return new Prepared(times, side, length.seconds, talk.call.outcome, channel);
  }

  /** The owner's email, name and phone into `state`; a result when the call cannot have an owner (yet). */
  private takeOwner(state: Prepared, found: OwnerLookup): NormalizeResult | undefined {
    const config = this.deps.config;
    const side = state.side;
    if (found.kind === 'unavailable') return { kind: 'held', reason: found.reason, retryAt: found.retryAt };
    if (found.kind === 'found') {
      state.ownerEmail = found.owner.email;
      state.ownerName = found.owner.name;
      state.ownerPhone = found.owner.phone;
    } else if (side.owner.email) {
      state.ownerEmail = side.owner.email;
    } else {
      return {
        kind: 'rejected',
        reason: side.ownerExtension ? `no owner for extension ${side.ownerExtension}` : 'no owner: the internal party has no extension',
      };
    }
    state.ownerName ??= joinName(callerName(side.owner.name));
    if (!state.ownerPhone && isFullNumber(side.owner.number, config.defaultCountry)) state.ownerPhone = toE164(side.owner.number, config.defaultCountry);
    return undefined;
  }

  /** Recording decision → participant, title, the body, and the payload schema's verdict on it. */
  private finish(call: CallRecord, state: Prepared, recording: RecordingDecision): NormalizeResult {
    if (recording.kind === 'skip') return { kind: 'skipped', reason: recording.reason };
    if (recording.kind === 'held' || recording.kind === 'rejected') return recording;
    const config = this.deps.config;
    const { times, side } = state;
    const stereo = recording.kind === 'ok' ? recording.stereo : false;

    const participant = this.participant(side.participant);
    const outcome = mapOutcome(state.outcome, config.outcomes);
    // renderTitle gives no title without a template: the values are only gathered for one.
    const title = config.title
      ? renderTitle(config.title, {
          direction: side.direction,
          participant: joinName(participant) ?? participant.phone ?? 'unknown',
          participant_name: joinName(participant),
          participant_number: participant.phone,
          owner_name: state.ownerName,
          owner_email: state.ownerEmail,
          extension: side.ownerExtension,
          external_id: call.externalId,
          outcome,
        })
      : undefined;

    // Only the fields that have a value, in the order of the API's field list.
    const body: Record<string, unknown> = { call_external_id: call.externalId, call_start_time: formatUtc(times.start) };
    if (times.end !== undefined) body.call_end_time = formatUtc(times.end);
    body.call_duration = state.seconds;
    if (recording.kind === 'ok' && recording.url !== undefined) body.call_recording_url = recording.url;
    body.call_is_stereo = stereo;
    body.call_direction = side.direction;
    if (title !== undefined) body.call_title = title;
    if (outcome !== undefined) body.call_outcome = outcome;
    if (stereo) body.call_participant_channel = state.participantChannel;
    if (state.ownerEmail !== undefined) body.owner_email = state.ownerEmail;
    if (state.ownerName !== undefined) body.owner_name = state.ownerName;
    if (state.ownerPhone !== undefined) body.owner_phone_number = state.ownerPhone;
    if (participant.email !== undefined) body.participant_email = participant.email;
    if (participant.first !== undefined) body.participant_first_name = participant.first;
    if (participant.last !== undefined) body.participant_last_name = participant.last;
    if (participant.phone !== undefined) body.participant_phone_number = participant.phone;
    if (participant.company !== undefined) body.participant_company_name = participant.company;
    if (participant.externalId !== undefined) body.participant_external_id = participant.externalId;
    const checked = checkPayload(body);
    if (!checked.ok) return { kind: 'rejected', reason: `invalid payload: ${checked.problems.join('; ')}` };
    // Its recording is made ready first: merged or converted, uploaded.
    return recording.kind === 'ok' && recording.local && (recording.work !== undefined || this.recordingRules.upload)
      ? { kind: 'payload', payload: checked.payload, prepare: true }
      : { kind: 'payload', payload: checked.payload };
  }

  private participant(party: Party): ParticipantFields {
    const phone = toE164(party.number, this.deps.config.defaultCountry);
    const name = callerName(party.name);
    // The contacts file is curated; the caller-id name is whatever the network sent.
    const contacts = this.deps.contacts;
    const contact = contacts ? contacts.get(party.number) : undefined;
    if (!contact) return { phone, first: name.first, last: name.last, email: party.email, company: name.company, externalId: undefined };
    return {
      phone,
      first: contact.firstName ?? (contact.lastName ? undefined : name.first),
      last: contact.lastName ?? (contact.firstName ? undefined : name.last),
      email: contact.email ?? party.email,
      company: contact.company ?? name.company,
      externalId: contact.externalId,
    };
  }
}

interface ParticipantFields {
  phone: string | undefined;
  first: string | undefined;
  last: string | undefined;
  email: string | undefined;
  company: string | undefined;
  externalId: string | undefined;
}

/** What the steps before the owner found, and the owner once known. */
class Prepared {
  ownerEmail: string | undefined;
  ownerName: string | undefined;
  ownerPhone: string | undefined;
  constructor(
    readonly times: CallTimes,
    readonly side: Extract<DirectionDecision, { kind: 'ok' }>,
    /** The call's length, as decideDuration settled it. */
    readonly seconds: number,
    readonly outcome: CallRecord['outcome'],
    /** Of a stereo recording: the source's participantChannel, else normalize's, for this call's direction. */
    readonly participantChannel: Channel,
  ) {}
}

/** What decideDuration reads, for a call whose connections said when, and whether, its outside party was answered. */
function conversationLength(call: CallRecord, conversation: Conversation, zone: string, times: CallTimes): { call: DurationInput; times: CallTimes } {
  if (!conversation.answered) {
    // Nobody of ours answered the outside party: as long as it waited, whatever answered it (an IVR, a consultation).
    const waited: CallTimes = times.end === undefined ? { start: times.start } : { start: times.start, end: times.end };
    return { call: { outcome: call.outcome === 'answered' ? 'no-answer' : call.outcome, unansweredDetail: conversation.detail }, times: waited };
  }
  const answer = resolveCallTimes({ startTime: call.startTime, answerTime: conversation.answerTime }, zone).answer;
  return { call: { outcome: 'answered', talkSec: conversation.talkSec }, times: { ...times, answer } };
}

/**
 * splitCallerName, remembered: the same caller-id names (agents, regular customers) come back call after call.
 * The results are shared, so they are frozen.
 */
function callerName(raw: string | undefined): Readonly<SplitName> {
  if (!raw) return NO_SPLIT_NAME;
  let split = callerNames.get(raw);
  if (split === undefined) {
    split = Object.freeze(splitCallerName(raw));
    if (callerNames.size >= CALLER_NAME_CACHE_LIMIT) callerNames.clear();
    callerNames.set(raw, split);
  }
  return split;
}

const NO_SPLIT_NAME: Readonly<SplitName> = Object.freeze({});
const callerNames = new Map<string, Readonly<SplitName>>();
const CALLER_NAME_CACHE_LIMIT = 20_000;

function joinName(name: { first?: string | undefined; last?: string | undefined }): string | undefined {
  const { first, last } = name;
  if (first && last) return `${first} ${last}`;
  return first || last || undefined;
}

export interface NormalizerFromConfigOptions {
  /** Folder that relative CSV paths in the config are resolved against (the config file's folder). */
  baseDir: string;
  links: RecordingRules['links'];
  linkClock: RecordingRules['linkClock'];
  roots: readonly string[];
  /** recordings.delivery is upload (default: serve). */
  upload?: boolean;
  split?: RecordingRules['split'];
  /** recordings.convert (default: off). */
  convert?: RecordingRules['convert'];
  /** Dstny users (`listUsers`); leave out for no network (parse mode). Used only when owners.fromDstnyUsers. */
  fetchUsers?: () => Promise<unknown[]>;
  onDirectoryError?: (error: unknown) => void;
  io?: RecordingIo;
}

/** Build a normalizer from the `normalize:` section, reading the owners and contacts CSVs (throws ConfigError). */
export function createNormalizer(config: NormalizeConfig, opts: NormalizerFromConfigOptions): CallNormalizer {
  const resolve = (file: string) => path.resolve(opts.baseDir, file);
  const ownerOpts: ConstructorParameters<typeof OwnerDirectory>[0] = {
    defaultCountry: config.defaultCountry,
    map: config.owners.map,
    refreshMinutes: config.owners.refreshMinutes,
  };
  if (config.owners.csv) ownerOpts.csv = loadOwnersCsv(resolve(config.owners.csv));
  if (config.owners.fromDstnyUsers && opts.fetchUsers) ownerOpts.fetchUsers = opts.fetchUsers;
  if (opts.onDirectoryError) ownerOpts.onRefreshError = opts.onDirectoryError;
  const deps: NormalizerDeps = {
    config,
    owners: new OwnerDirectory(ownerOpts),
    recordings: {
      links: opts.links,
      linkClock: opts.linkClock,
      // Resolved as the recordings server resolves them (from the working directory), not from the config file.
      roots: opts.roots,
      upload: opts.upload === true,
      split: opts.split,
      convert: opts.convert ?? 'off',
    },
  };
  if (config.contactsCsv) {
    const contacts = new PhoneIndex<ContactEntry>(config.defaultCountry);
    for (const { number, ...entry } of loadContactsCsv(resolve(config.contactsCsv))) contacts.add(number, entry);
    deps.contacts = contacts;
  }
  if (opts.io) deps.io = opts.io;
  return new CallNormalizer(deps);
}
