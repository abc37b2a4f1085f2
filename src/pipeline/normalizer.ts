import path from 'node:path';
import { checkPayload } from '../dstny/payload.js';
import type { SourceConfig } from '../sources/config.js';
import type { CallRecord, Party } from './call-record.js';
import type { NormalizeConfig } from './config.js';
import { compileDirectionRules, decideDirection, type DirectionRules } from './direction.js';
import { type ContactEntry, PhoneIndex, loadContactsCsv, loadOwnersCsv } from './directory.js';
import { OwnerDirectory } from './owners.js';
import { isFullNumber, splitCallerName, toE164 } from './participant.js';
import { type RecordingIo, type RecordingRules, fsRecordingIo, resolveRecording } from './recording.js';
import { TimeError, decideDuration, formatUtc, resolveCallTimes } from './times.js';
import { mapOutcome, renderTitle } from './title.js';
import type { NormalizeResult, Normalizer } from './types.js';

export interface NormalizerDeps {
  config: NormalizeConfig;
  owners: OwnerDirectory;
  contacts?: PhoneIndex<ContactEntry>;
  recordings: Pick<RecordingRules, 'publicBaseUrl' | 'signingSecret' | 'linkTtlHours' | 'linkClock' | 'roots'>;
  io?: RecordingIo;
}

/**
 * CallRecord → the exact API body, or a visible reason why not. The steps, in order (the first that
 * refuses decides): times → direction → answered/duration → has a recording → owner → recording file →
 * participant → payload schema. Filters come before the owner so that a call we would never send is
 * `skipped`, not `rejected` for a missing mapping.
 */
export class CallNormalizer implements Normalizer {
  private readonly rules: DirectionRules;

  constructor(private readonly deps: NormalizerDeps) {
    this.rules = compileDirectionRules(deps.config);
  }

  async normalize(call: CallRecord, source: Pick<SourceConfig, 'id' | 'timezone'>, now = Date.now()): Promise<NormalizeResult> {
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

    const length = decideDuration(call, times, { skipUnanswered: config.skip.unanswered, minDurationSec: config.minDurationSec });
    if (length.kind === 'skip') return { kind: 'skipped', reason: length.reason };

    const hasRecording = Boolean(call.recording?.url?.trim() || call.recording?.path?.trim());
    if (!hasRecording && config.skip.noRecording) return { kind: 'skipped', reason: 'no recording' };

    const found = await this.deps.owners.lookup(side.ownerExtension, now);
    if (found.kind === 'unavailable') return { kind: 'held', reason: found.reason, retryAt: found.retryAt };
    let ownerEmail: string | undefined;
    let ownerName: string | undefined;
    let ownerPhone: string | undefined;
    if (found.kind === 'found') {
      ownerEmail = found.owner.email;
      ownerName = found.owner.name;
      ownerPhone = found.owner.phone;
    } else if (side.owner.email) {
      ownerEmail = side.owner.email;
    } else {
      return {
        kind: 'rejected',
        reason: side.ownerExtension ? `no owner for extension ${side.ownerExtension}` : 'no owner: the internal party has no extension',
      };
    }
    ownerName ??= joinName(splitCallerName(side.owner.name));
    if (!ownerPhone && isFullNumber(side.owner.number, config.defaultCountry)) ownerPhone = toE164(side.owner.number, config.defaultCountry);

    const endMs = times.end ?? times.start + length.seconds * 1000;
    const recording = await resolveRecording(
      call,
      endMs,
      now,
      {
        ...this.deps.recordings,
        waitMinutes: config.recordingWaitMinutes,
        retrySeconds: config.recordingRetrySeconds,
        skipNoRecording: config.skip.noRecording,
      },
      this.deps.io ?? fsRecordingIo,
    );
    if (recording.kind === 'skip') return { kind: 'skipped', reason: recording.reason };
    if (recording.kind === 'held' || recording.kind === 'rejected') return recording;
    const stereo = recording.kind === 'ok' ? recording.stereo : false;

    const participant = this.participant(side.participant);
    const outcome = mapOutcome(call.outcome, config.outcomes);
    const title = renderTitle(config.title, {
      direction: side.direction,
      participant: joinName(participant) ?? participant.phone ?? 'unknown',
      participant_name: joinName(participant),
      participant_number: participant.phone,
      owner_name: ownerName,
      owner_email: ownerEmail,
      extension: side.ownerExtension,
      external_id: call.externalId,
      outcome,
    });

    const body = dropUndefined({
      call_external_id: call.externalId,
      call_start_time: formatUtc(times.start),
      call_end_time: times.end !== undefined ? formatUtc(times.end) : undefined,
      call_duration: length.seconds,
      call_recording_url: recording.kind === 'ok' ? recording.url : undefined,
      call_is_stereo: stereo,
      call_direction: side.direction,
      call_title: title,
      call_outcome: outcome,
      call_participant_channel: stereo ? config.participantChannel : undefined,
      owner_email: ownerEmail,
      owner_name: ownerName,
      owner_phone_number: ownerPhone,
      participant_email: participant.email,
      participant_first_name: participant.first,
      participant_last_name: participant.last,
      participant_phone_number: participant.phone,
      participant_company_name: participant.company,
      participant_external_id: participant.externalId,
    });
    const checked = checkPayload(body);
    if (!checked.ok) return { kind: 'rejected', reason: `invalid payload: ${checked.problems.join('; ')}` };
    return { kind: 'payload', payload: checked.payload };
  }

  private participant(party: Party): {
    phone?: string | undefined;
    first?: string | undefined;
    last?: string | undefined;
    email?: string | undefined;
    company?: string | undefined;
    externalId?: string | undefined;
  } {
    const phone = toE164(party.number, this.deps.config.defaultCountry);
    const name = splitCallerName(party.name);
    // The contacts file is curated; the caller-id name is whatever the network sent.
    const contact = this.deps.contacts?.get(party.number);
    return {
      phone,
      first: contact?.firstName ?? (contact?.lastName ? undefined : name.first),
      last: contact?.lastName ?? (contact?.firstName ? undefined : name.last),
      email: contact?.email ?? party.email,
      company: contact?.company ?? name.company,
      externalId: contact?.externalId,
    };
  }
}

function joinName(name: { first?: string | undefined; last?: string | undefined }): string | undefined {
  const text = [name.first, name.last].filter(Boolean).join(' ');
  return text || undefined;
}

function dropUndefined<T extends Record<string, unknown>>(obj: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const key in obj) if (obj[key] !== undefined) out[key] = obj[key];
  return out as Partial<T>;
}

export interface NormalizerFromConfigOptions {
  /** Folder that relative CSV paths in the config are resolved against (the config file's folder). */
  baseDir: string;
  publicBaseUrl: string;
  signingSecret: string;
  linkTtlHours: number;
  linkClock: RecordingRules['linkClock'];
  roots: readonly string[];
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
      publicBaseUrl: opts.publicBaseUrl,
      signingSecret: opts.signingSecret,
      linkTtlHours: opts.linkTtlHours,
      linkClock: opts.linkClock,
      // Resolved as the recordings server resolves them (from the working directory), not from the config file.
      roots: opts.roots,
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
