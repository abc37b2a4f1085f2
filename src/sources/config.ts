import { z } from 'zod';
import { adapters } from '../../adapters/registry.js';
import type { AdapterDefinition } from '../../adapters/types.js';
import { participantChannelSchema, timeZoneSchema } from '../pipeline/config.js';
import { SQL_PROFILE_IDS, SQL_PROFILES, type SqlProfile } from './sql/profiles.js';

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
  z
    .strictObject({
      type: z.literal('sql'),
      ...common,
      adapter: z.string().optional().describe("Adapter id; default the profile's (asterisk-csv, or freeswitch-json for fusionpbx)."),
      url: z
        .string()
        .regex(
          /^(?:(?:mysql|mariadb|postgres|postgresql):\/\/[^/]+\/[^/?]+|sqlite:.+)$/,
          'use mysql://USER:PASSWORD@HOST:PORT/DATABASE, postgres://USER:PASSWORD@HOST:PORT/DATABASE or sqlite:/PATH/TO/master.db (e.g. "mysql://callbridge:${CDR_DB_PASSWORD}@127.0.0.1:3306/asteriskcdrdb")',
        )
        .meta({ secret: true })
        .describe(
          'The CDR database: mysql://USER:PASSWORD@HOST:PORT/DATABASE (MariaDB or MySQL), postgres://USER:PASSWORD@HOST:PORT/DATABASE, or sqlite:/var/log/asterisk/master.db (opened read-only). Write the password as ${ENV_VAR} (percent-encode characters such as @ / : in it); it never appears in logs or /status, which name the host and table only.',
        ),
      profile: z
        .enum(SQL_PROFILE_IDS)
        .describe(
          "The PBX's table: freepbx (FreePBX, Issabel, VitalPBX: asteriskcdrdb.cdr in MariaDB through cdr_adaptive_odbc; recordingfile found under recordingDir/YYYY/MM/DD), asterisk-pgsql (Asterisk's cdr_pgsql table) and asterisk-sqlite (cdr_sqlite3_custom's master.db), read as asterisk-csv rows; fusionpbx (FusionPBX's v_xml_cdr in PostgreSQL, walked by insert_date: each leg's CDR from its json or xml column or from v_xml_cdr_json, read as freeswitch-json reads that leg's file; else the row's columns); generic (any other table: its columns mapped by name by the generic adapter's fields, table and cursor named here).",
        ),
      table: z
        .string()
        .regex(/^[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?$/, 'a table name, optionally with its database (e.g. "cdr" or "asteriskcdrdb.cdr")')
        .optional()
        .describe("Table to read, optionally with its database or schema (asteriskcdrdb.cdr); default the profile's (cdr, or v_xml_cdr for fusionpbx)."),
      query: z
        .string()
        .regex(/^\s*(?:select|with)\b[^;]*;?\s*$/is, 'one SELECT statement (e.g. "SELECT c.*, r.file AS recording FROM cdr c LEFT JOIN recordings r ON r.uniqueid = c.uniqueid")')
        .optional()
        .describe(
          "A SELECT whose rows are read instead of a table (a join, a filter): read as a table of its own, the poll's WHERE and ORDER BY on the cursor applied around it, so its columns must include the cursor (and what the profile reads). Instead of table.",
        ),
      cursor: z
        .string()
        .regex(/^[A-Za-z_][\w$]*$/, 'a column name (e.g. "calldate")')
        .optional()
        .describe("Column the reader walks in order; default the profile's (required for generic: a time the row is written at, or an id handed out in commit order, indexed)."),
      cursorType: z
        .enum(['time', 'serial'])
        .optional()
        .describe('time: a timestamp (rows may commit late, so polls overlap); serial: an id a single writer hands out in commit order. Default the profile\'s, time for generic.'),
      durationColumn: z
        .string()
        .regex(/^[A-Za-z_][\w$]*$/, 'a column name (e.g. "duration")')
        .optional()
        .describe("Column of a row's length in seconds, when the cursor is the call's start (rows of long calls are then looked for longestCallSec back); default the profile's."),
      keyColumns: z
        .array(z.string().regex(/^[A-Za-z_][\w$]*$/, 'a column name'))
        .min(1)
        .optional()
        .describe('Columns that name a row, where the PBX updates rows after writing them; default the profile\'s (every column for Asterisk tables).'),
      pollMs: z.number().int().positive().default(5_000).describe('How often the table is read for new rows, ms.'),
      batchRows: z.number().int().min(10).max(100_000).default(1_000).describe('Rows per query and per ledger commit.'),
      overlapSec: z
        .number()
        .int()
        .nonnegative()
        .default(300)
        .describe(
          'Every poll reads again the rows that ended in the last overlapSec before the newest one read: a row whose transaction committed after later rows were already read (two writers, cdr_adaptive_odbc batches) is found then. Rows read before are recognised and not taken twice.',
        ),
      longestCallSec: z
        .number()
        .int()
        .positive()
        .default(14_400)
        .describe("Longest call expected, s. FreePBX's calldate is a leg's start but the row is written at its end: rows are looked for this far behind the newest start read. A leg longer than this that ends after the reader passed its start by more is missed."),
      statementTimeoutSec: z.number().int().positive().default(30).describe("Longest a query may run in the PBX's database, s."),
      flushEveryMs,
    })
    .superRefine((source, ctx) => {
      if (source.table && source.query) ctx.addIssue(plainProblem('give table or query, not both', ['query']));
      if (source.profile !== 'generic') return;
      const needs = (key: string) => `the generic profile reads the table (or query) and cursor the source names: set ${key}`;
      if (!source.table && !source.query) ctx.addIssue(plainProblem(needs('table'), ['table']));
      if (!source.cursor) ctx.addIssue(plainProblem(needs('cursor'), ['cursor']));
    })
    .transform((source) => ({ ...source, adapter: source.adapter ?? SQL_PROFILES[source.profile].adapter })),
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
  .describe('Where calls come from: drop folders, tails, HTTP hooks and CDR tables.');

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
    // Own keys only: a profile named "constructor" is no profile.
    const profile = type === 'sql' && typeof source.profile === 'string' && Object.hasOwn(SQL_PROFILES, source.profile) ? SQL_PROFILES[source.profile as keyof typeof SQL_PROFILES] : undefined;
    if (typeof adapterId !== 'string' && !profile) return;
    const adapter = adapterOf(profile && adapterId === undefined ? { adapter: profile.adapter } : source);
    if (!adapter) {
      ctx.addIssue(plainProblem(`unknown adapter "${adapterId}"; use one of ${adapters.map((a) => `"${a.id}"`).join(', ')}`, [i, 'adapter']));
      return;
    }
    if (type === 'tail' && !adapter.inputs.tail) ctx.addIssue(plainProblem(`adapter "${adapter.id}" cannot be tailed; use type "drop" or "hook"`, [i, 'type']));
    if (type === 'sql' && !adapter.parseRows) ctx.addIssue(plainProblem(`adapter "${adapter.id}" cannot read table rows; leave adapter out to use the profile's`, [i, 'adapter']));
    const parsed = adapter.configSchema.safeParse(profile && isPlainObject(options) ? withProfileOptions(profile, adapter.id, options) : options, { reportInput: true });
    for (const issue of parsed.success ? [] : parsed.error.issues) ctx.addIssue({ ...issue, path: [i, 'options', ...issue.path] } as z.core.$ZodRawIssue);
  });
}

/** `plain`: worded in full, as the configuration loader shows it. */
const plainProblem = (message: string, path: PropertyKey[]) => ({ code: 'custom' as const, message, path, params: { plain: true } });

/** An sql source's options under its profile's for that PBX, when it reads the rows with the profile's adapter. */
function withProfileOptions(profile: SqlProfile, adapterId: string, options: Record<string, unknown>): Record<string, unknown> {
  return adapterId === profile.adapter ? { ...profile.options, ...options } : options;
}

/** The options as the adapter reads them, its defaults filled in. */
function withAdapterOptions(source: SourceConfig): SourceConfig {
  const options = source.type === 'sql' ? withProfileOptions(SQL_PROFILES[source.profile], source.adapter, source.options) : source.options;
  const parsed = adapterOf(source)?.configSchema.safeParse(options);
  return parsed?.success ? { ...source, options: parsed.data as Record<string, unknown> } : source;
}
