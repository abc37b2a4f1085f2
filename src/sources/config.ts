import { z } from 'zod';
import { adapters } from '../../adapters/registry.js';
import type { AdapterDefinition } from '../../adapters/types.js';
import { participantChannelSchema, timeZoneSchema } from '../pipeline/config.js';

/** Hook authentication, per source. Secrets are redacted from logs and status. */
export const hookAuthSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }).describe('No authentication (only behind a trusted network).'),
  z.strictObject({ type: z.literal('bearer'), token: z.string().min(16).meta({ secret: true }).describe('Expected `Authorization: Bearer <token>`.') }),
  z.strictObject({
    type: z.literal('basic'),
    username: z.string().min(1).describe('Expected HTTP basic auth user name.'),
    password: z.string().min(8).meta({ secret: true }).describe('Expected HTTP basic auth password.'),
  }),
  z.strictObject({
    type: z.literal('hmac'),
    secret: z.string().min(16).meta({ secret: true }).describe('HMAC-SHA256 key; the signature covers `<timestamp>.<raw body>`.'),
    signatureHeader: z.string().default('x-callbridge-signature').describe('Header carrying `sha256=<hex>`.'),
    timestampHeader: z.string().default('x-callbridge-timestamp').describe('Header carrying unix seconds.'),
    toleranceSec: z.number().int().positive().default(300).describe('Requests older or newer than this are refused (403) as replays; the exact same signed request again inside the window is answered 200 as a repeat, and nothing is taken again.'),
  }),
  z.strictObject({
    type: z.literal('twilio'),
    authToken: z.string().min(16).meta({ secret: true }).describe("The Twilio account's auth token: X-Twilio-Signature (HMAC-SHA1 of the URL and the form fields) is checked with it."),
  }),
]);

const common = {
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, - and _ (e.g. "asterisk-main")')
    .describe('Unique source id; hooks are posted to /hooks/<id>.'),
  adapter: z.string().describe('Adapter id (see `callbridge adapters`).'),
  options: z.record(z.string(), z.unknown()).default({}).describe("The adapter's own options (validated by the adapter's schema)."),
  timezone: timeZoneSchema.optional().describe('IANA zone of the PBX clock for times without an offset; default normalize.timezone.'),
  participantChannel: participantChannelSchema
    .optional()
    .describe(
      "Stereo channel of the participant in this source's recordings: left, right, or e.g. { incoming: left, outgoing: right }; default normalize.participantChannel. For a site whose PBXs record differently.",
    ),
  groupQuietMs: z
    .number()
    .int()
    .nonnegative()
    .default(120_000)
    .describe(
      'Tails and hooks (and drop folders of adapters that write one file per leg): a call whose records cannot show it is whole is complete when no leg of it arrived for this long, ms; calls the records show whole leave at once (each adapter README, "When a call is complete").',
    ),
};

/** Tails and hooks stash legs until their call is quiet; this is how often the quiet ones are assembled. */
const flushEveryMs = z
  .number()
  .int()
  .positive()
  .default(5_000)
  .describe('Tails, hooks (and drop folders of adapters that write one file per leg): how often stashed legs are checked for calls quiet for groupQuietMs, ms.');

export const sourceConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('drop'),
    ...common,
    path: z.string().describe('Folder watched for CDR files; processed/ and failed/ are created inside it.'),
    stableMs: z.number().int().nonnegative().default(2_000).describe('A file is complete when size and mtime did not change for this long, ms.'),
    rescanMs: z.number().int().positive().default(10_000).describe('Periodic rescan, for network mounts where watch events are lost, ms.'),
    flushEveryMs,
  }),
  z.strictObject({
    type: z.literal('tail'),
    ...common,
    path: z.string().describe('Append-only CDR file to follow (e.g. /var/log/asterisk/cdr-csv/Master.csv).'),
    pollMs: z.number().int().positive().default(1_000).describe('How often the file is checked for growth, rotation and truncation, ms.'),
    startAt: z
      .enum(['beginning', 'end'])
      .default('beginning')
      .describe('Where to start when there is no checkpoint yet: "beginning" imports the whole file, "end" only calls written from now on.'),
    rotatedGraceMs: z
      .number()
      .int()
      .nonnegative()
      .default(2_000)
      .describe('After a rotation, the old file is read until it did not grow for this long (the PBX may still write to it briefly), ms.'),
    flushEveryMs,
  }),
  z.strictObject({
    type: z.literal('hook'),
    ...common,
    // `auth` too: written as one string ("Bearer abc…") it is a credential.
    auth: hookAuthSchema.meta({ secret: true }).default({ type: 'none' }),
    maxBodyBytes: z.number().int().positive().default(5 * 1024 * 1024).describe('Larger bodies get 413.'),
    flushEveryMs,
  }),
]);
export type SourceConfig = z.infer<typeof sourceConfigSchema>;
export type HookAuth = z.infer<typeof hookAuthSchema>;

/** The configured sources, checked across fields: unique ids, a known adapter that can read them, its options. */
export const sourcesConfigSchema = z
  .array(sourceConfigSchema)
  // Also when sources have other problems (a bad type, say): one run lists every problem.
  .superRefine(checkSources, { when: () => true })
  .overwrite((sources) => sources.map(withAdapterOptions))
  // prefault, not default: a JSON Schema of the input drops the default of anything holding a preprocess
  // (participantChannel's), and the docs and the config problems read their defaults from it.
  .prefault([])
  .describe('Where calls come from: drop folders, tails and HTTP hooks.');

/** The adapter a source names, if there is one by that id. */
export function adapterOf(source: unknown): AdapterDefinition | undefined {
  const id = isPlainObject(source) ? source.adapter : undefined;
  return typeof id === 'string' ? adapters.find((a) => a.id === id) : undefined;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Reads the sources as given: with `when` above, one of them may be anything, not yet a SourceConfig. */
function checkSources(sources: unknown, ctx: z.RefinementCtx): void {
  if (!Array.isArray(sources)) return;
  const ids = new Set<string>();
  sources.forEach((source: unknown, i) => {
    if (!isPlainObject(source)) return;
    const { id, type, adapter: adapterId, options = {} } = source;
    if (typeof id === 'string' && ids.has(id)) ctx.addIssue(plainProblem(`"${id}" is used by another source; ids must be unique`, [i, 'id']));
    if (typeof id === 'string') ids.add(id);
    if (typeof adapterId !== 'string') return;
    const adapter = adapterOf(source);
    if (!adapter) {
      ctx.addIssue(plainProblem(`unknown adapter "${adapterId}"; use one of ${adapters.map((a) => `"${a.id}"`).join(', ')}`, [i, 'adapter']));
      return;
    }
    if (type === 'tail' && !adapter.inputs.tail) ctx.addIssue(plainProblem(`adapter "${adapter.id}" cannot be tailed; use type "drop" or "hook"`, [i, 'type']));
    const parsed = adapter.configSchema.safeParse(options, { reportInput: true });
    for (const issue of parsed.success ? [] : parsed.error.issues) ctx.addIssue({ ...issue, path: [i, 'options', ...issue.path] } as z.core.$ZodRawIssue);
  });
}

/** `plain`: worded in full, as the configuration loader shows it. */
const plainProblem = (message: string, path: PropertyKey[]) => ({ code: 'custom' as const, message, path, params: { plain: true } });

/** The options as the adapter reads them, its defaults filled in. */
function withAdapterOptions(source: SourceConfig): SourceConfig {
  const parsed = adapterOf(source)?.configSchema.safeParse(source.options);
  return parsed?.success ? { ...source, options: parsed.data as Record<string, unknown> } : source;
}
