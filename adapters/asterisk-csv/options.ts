import { z } from 'zod';
import { ALL_COLUMNS, REQUIRED_COLUMNS } from './columns.js';
import { maxLineBytesOption } from '../shared/guarded-csv.js';
import { DATE_PLACEHOLDERS, pathMapOption, recordingTemplateOption } from '../shared/recording-template.js';

const TEMPLATE_NAMES: ReadonlySet<string> = new Set([...ALL_COLUMNS, ...DATE_PLACEHOLDERS]);

/** PJSIP/201-0000001a, SIP/201-…, IAX2/201-… → 201 (Local channels are read by their structure, see channels.ts). */
export const DEFAULT_EXTENSION_FROM_CHANNEL = '^(?:PJSIP|SIP|IAX2|DAHDI)/(\\d{2,6})(?:[-@;/]|$)';

export const asteriskCsvOptionsSchema = z.strictObject({
  columns: z
    .union([z.literal('auto'), z.array(z.enum(ALL_COLUMNS)).min(1)])
    .default('auto')
    .describe(
      'Column layout of Master.csv. "auto": the cdr_csv order (accountcode … amaflags, 16 columns) plus the optional columns cdr.conf enables, told apart by count: 17 = +uniqueid (or +userfield), 18 = +uniqueid,userfield, 19 = +peeraccount,linkedid,sequence, 20 = +uniqueid (or userfield) and those three, 21 = all. Or list the column names in file order.',
    )
    .refine((c) => c === 'auto' || new Set(c).size === c.length, 'a column is listed twice')
    .refine(
      (c) => c === 'auto' || REQUIRED_COLUMNS.every((r) => c.includes(r)),
      `the layout must contain ${REQUIRED_COLUMNS.join(', ')}`,
    ),
  usegmtime: z
    .boolean()
    .default(false)
    .describe('cdr.conf [csv] usegmtime=yes: the times are UTC. They are then passed on with "Z" and the source time zone is not applied.'),
  userfieldIsRecording: z
    .union([z.boolean(), z.literal('auto')])
    .default('auto')
    .describe(
      'The userfield column holds the recording (e.g. Set(CDR(userfield)=${MIXMONITOR_FILENAME})): an http(s) URL or a file path. "auto": when the value names an audio file (.wav, .mp3, .gsm, .ogg, .opus, .flac, .m4a, .wav49); true: any value; false: never.',
    ),
  recordingDir: z
    .string()
    .min(1)
    .optional()
    .describe('Folder that a relative userfield recording path is relative to, e.g. /var/spool/asterisk/monitor.'),
  recordingPathMap: pathMapOption('Asterisk', { from: '/var/spool/asterisk/monitor', to: '/mnt/pbx/monitor' }),
  recordingTemplate: recordingTemplateOption(
    'Recording location when userfield has none: an http(s) URL or a path with placeholders {uniqueid} {linkedid} (uniqueid when absent) {src} {dst} {accountcode} {userfield} … (any column) and {yyyy} {mm} {dd} {hh} {mi} {ss} (the start time as written).',
    TEMPLATE_NAMES,
  ),
  extensionFromChannel: z
    .string()
    .nullable()
    .default(DEFAULT_EXTENSION_FROM_CHANNEL)
    .describe(
      'Regular expression on a device channel (channel/dstchannel, not Local) whose first group is the extension of a phone; that extension is the party number (dst is often a queue, ring group or DID; src may be rewritten for outgoing calls). A trunk whose name matches would read an outside caller as an extension: such an "internal" call is rejected (kept, shown by parse and /status) with a reason naming the channel and its caller id, to retry once normalize.trunkPatterns names the trunk. null: always use src/dst.',
    )
    .superRefine((re, ctx) => {
      if (re === null) return;
      try {
        if (!/\((?!\?)/.test(re)) ctx.addIssue({ code: 'custom', message: 'the expression needs a capture group for the extension' });
        new RegExp(re);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(error as Error).message}` });
      }
    }),
  maxLineBytes: maxLineBytesOption(' (cdr_csv itself writes at most 1 KB per line)'),
});
export type AsteriskCsvOptions = z.infer<typeof asteriskCsvOptionsSchema>;

