import { isSupportedCountry } from 'libphonenumber-js';
import { IANAZone } from 'luxon';
import { z } from 'zod';

/** Placeholders a `title` template may use (see src/pipeline/title.ts). */
export const titlePlaceholders = [
  'direction',
  'participant',
  'participant_name',
  'participant_number',
  'owner_name',
  'owner_email',
  'extension',
  'external_id',
  'outcome',
] as const;

/**
 * An IANA zone name: normalize's, and a source's own. A misspelt one would otherwise reject every call at run time
 * ("unknown time zone"). `plain`: the problem is worded in full, as the configuration loader shows it.
 */
export const timeZoneSchema = z.string().superRefine((zone, ctx) => {
  if (IANAZone.isValidZone(zone)) return;
  const quoted = JSON.stringify(zone);
  const shown = quoted.length > 60 ? `${quoted.slice(0, 57)}...` : quoted;
  ctx.addIssue({ code: 'custom', message: `unknown time zone ${shown}; use an IANA name such as "Europe/Stockholm" or "UTC"`, params: { plain: true } });
});

/**
 * A country libphonenumber knows: with one it does not ("XX", "SWE", "Sweden") every national number would stay
 * unformatted, call after call, without a word. `plain`: the problem is worded in full.
 */
const countrySchema = z.string().superRefine((country, ctx) => {
  if (isSupportedCountry(country.toUpperCase())) return;
  const quoted = JSON.stringify(country);
  const shown = quoted.length > 40 ? `${quoted.slice(0, 37)}...` : quoted;
  ctx.addIssue({
    code: 'custom',
    message: `unknown country ${shown}; use the two-letter ISO 3166 code of the country the PBX is in, for example SE (Sweden), NO, DK, FI, DE or GB`,
    params: { plain: true },
  });
});

/** Checked here so that a pattern that does not compile is named by its path, not a bare SyntaxError at start. */
const regExpSource = z.string().superRefine((pattern, ctx) => {
  try {
    new RegExp(pattern);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(error as Error).message}`, params: { plain: true } });
  }
});

export type Channel = 'left' | 'right';
export type CallSide = 'incoming' | 'outgoing';
/** One channel for every call, or one per direction (the PBX records the caller on the same side whichever way the call went). */
export type ParticipantChannelSetting = Channel | Record<CallSide, Channel>;

const channels: readonly Channel[] = ['left', 'right'];
const callSides: readonly CallSide[] = ['incoming', 'outgoing'];
const BY_DIRECTION_EXAMPLE = '{ incoming: left, outgoing: right }';

const channelSchema = z.enum(channels as [Channel, ...Channel[]]);

/**
 * `left`, `right`, or `{ incoming, outgoing }`. The check words every problem in full (`plain`): zod's own words for a
 * value that fits neither form ("must be left or right or a mapping") do not show the form by direction, nor a
 * "did you mean" for a misspelt side. It runs as a preprocess so the union still gives the docs and types their shape.
 */
export const participantChannelSchema = z.preprocess(
  (value, ctx) => {
    for (const problem of participantChannelProblems(value)) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path, params: { plain: true } });
    return value;
  },
  z.union([
    channelSchema,
    z.strictObject({
      incoming: channelSchema.describe('Calls from outside.'),
      outgoing: channelSchema.describe('Calls to outside, and internal calls (sent as outgoing from the caller).'),
    }),
  ]),
);

/** What is wrong with a participantChannel value, each problem at its path below the key; none when it is valid. */
function participantChannelProblems(value: unknown): Array<{ path: string[]; message: string }> {
  if (typeof value === 'string') {
    if (channels.includes(value as Channel)) return [];
    const meant = channelMeant(value);
    const next = meant ? `did you mean ${meant}?` : `for example right, or one per direction: ${BY_DIRECTION_EXAMPLE}`;
    return [{ path: [], message: `must be left or right, got ${shown(value)}; ${next}` }];
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [{ path: [], message: `must be left or right, or one per direction, got ${shown(value)}; for example right or ${BY_DIRECTION_EXAMPLE}` }];
  }
  const problems: Array<{ path: string[]; message: string }> = [];
  const given = value as Record<string, unknown>;
  const named = new Set<CallSide>();
  for (const key of Object.keys(given).filter((k) => !callSides.includes(k as CallSide))) {
    const meant = sideMeant(key);
    if (meant) named.add(meant);
    // There is no side for internal calls: they are sent as outgoing (from the caller), so they take that one.
    const internal = key.toLowerCase() === 'internal' ? 'internal calls take the outgoing side; ' : '';
    const next = meant ? `did you mean ${meant}?` : `${internal}the keys are incoming and outgoing, for example ${BY_DIRECTION_EXAMPLE}`;
    problems.push({ path: [], message: `unknown key "${key}"; ${next}` });
  }
  for (const side of callSides) {
    const channel = given[side];
    // A side given under another name ("inbound") was just told: not missing as well.
    if (channel === undefined && !named.has(side)) problems.push({ path: [side], message: `is missing; give both directions, for example ${BY_DIRECTION_EXAMPLE}` });
    if (channel !== undefined && !channels.includes(channel as Channel)) {
      const meant = channelMeant(channel);
      problems.push({ path: [side], message: `must be left or right, got ${shown(channel)}; ${meant ? `did you mean ${meant}?` : 'for example right'}` });
    }
  }
  return problems;
}

/** Of two words the first letter tells which was meant ("L", "lft", "Right"). */
function channelMeant(value: unknown): Channel | undefined {
  const first = typeof value === 'string' ? value.trim().toLowerCase()[0] : undefined;
  return channels.find((c) => first !== undefined && c[0] === first);
}

/** Another word for a direction ("inbound", "in", "Incoming", "outbound"): the one it means. */
function sideMeant(key: string): CallSide | undefined {
  const k = key.toLowerCase();
  if (k === 'in' || k.startsWith('inb') || k.startsWith('inc')) return 'incoming';
  if (k === 'out' || k.startsWith('outb') || k.startsWith('outg') || k.startsWith('outc')) return 'outgoing';
  return undefined;
}

function shown(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The channel the participant is on for a call that went this way. */
export function participantChannelFor(setting: ParticipantChannelSetting, direction: CallSide): Channel {
  return typeof setting === 'string' ? setting : setting[direction];
}

/** Business rules that turn a CallRecord into the API body. */
export const normalizeConfigSchema = z
  .strictObject({
    timezone: timeZoneSchema.default('UTC').describe('IANA zone of PBX clocks (times without an offset), e.g. "Europe/Stockholm".'),
    defaultCountry: countrySchema.default('SE').describe('ISO country for numbers without a country code (E.164 formatting).'),
    internalNumbers: z
      .array(regExpSource)
      .default(['^\\d{2,5}$'])
      .describe('Regular expressions: a number matching one is an internal extension.'),
    trunkPatterns: z
      .array(regExpSource)
      .default([])
      .describe('Regular expressions on channel/trunk names: a party on a matching channel is external.'),
    ownerAfterTransfer: z
      .enum(['first', 'last'])
      .default('first')
      .describe(
        'A call transferred between internal parties has several who talked with the outside party: the owner is the first of them (who took the call) or the last (who ended it).',
      ),
    // prefault, not default: a JSON Schema of the input (the docs) drops the default of a preprocess.
    participantChannel: participantChannelSchema
      .prefault('right')
      .describe(
        'Stereo channel of the participant (call_participant_channel): left or right for every call, or one per direction, e.g. { incoming: left, outgoing: right } when the PBX records the caller on the left. A source\'s own participantChannel wins for its calls.',
      ),
    minDurationSec: z.number().nonnegative().default(1).describe('Shorter calls are skipped with a reason.'),
    skip: z
      .strictObject({
        unanswered: z.boolean().default(true).describe('Skip calls nobody answered.'),
        internal: z.boolean().default(true).describe('Skip internal-only calls (both parties internal).'),
        external: z.boolean().default(true).describe('Skip external-only calls (no internal party).'),
        noRecording: z.boolean().default(true).describe('Skip calls without a recording (the API requires one).'),
      })
      .prefault({}),
    recordingWaitMinutes: z.number().nonnegative().default(30).describe('A local recording not there yet is re-tried this long, then rejected.'),
    recordingRetrySeconds: z
      .number()
      .positive()
      .default(60)
      .describe('While a local recording is not there yet, look again this often, seconds.'),
    owners: z
      .strictObject({
        map: z.record(z.string(), z.email()).default({}).describe('Extension → owner email.'),
        csv: z
          .string()
          .optional()
          .describe('CSV file with columns extension,email[,name] (a header line is allowed); relative to the config file.'),
        fromDstnyUsers: z.boolean().default(false).describe('Also map extensions via Dstny GET /api/v2/users (mobile_number).'),
        refreshMinutes: z.number().positive().default(60).describe('How often the Dstny users directory is refreshed.'),
      })
      .prefault({}),
    contactsCsv: z
      .string()
      .optional()
      .describe('CSV with a header naming number,first_name,last_name,company,email,external_id for participants; relative to the config file.'),
    outcomes: z
      .record(z.string(), z.string())
      .default({ answered: 'Answered', 'no-answer': 'No Answer', busy: 'Busy', failed: 'Failed' })
      .describe('Normalized outcome → call_outcome text.'),
    title: z
      .string()
      .optional()
      .refine((t) => t === undefined || unknownPlaceholders(t).length === 0, {
        error: (issue) =>
          `unknown placeholder ${unknownPlaceholders(String(issue.input))
            .map((p) => `{${p}}`)
            .join(', ')}; use ${titlePlaceholders.map((p) => `{${p}}`).join(', ')}`,
      })
      .describe('call_title template, e.g. "{direction} call {participant}". Unset: Dstny generates one.'),
    groupWindowLegs: z
      .number()
      .int()
      .positive()
      .default(5_000)
      .describe(
        'Whole files: a call is complete when none of its legs appeared in the last N legs (or at the end of the file). Bounds memory; raise it when the legs of one call are further apart in the file.',
      ),
    ingestBatchSize: z.number().int().positive().default(500).describe('Rows written to the ledger per transaction.'),
  })
  .prefault({});
export type NormalizeConfig = z.infer<typeof normalizeConfigSchema>;

function unknownPlaceholders(template: string): string[] {
  const known: readonly string[] = titlePlaceholders;
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] ?? '').filter((name) => !known.includes(name));
}
