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
    participantChannel: z.enum(['left', 'right']).default('right').describe('Stereo channel of the participant (call_participant_channel).'),
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
