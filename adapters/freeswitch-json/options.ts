import { z } from 'zod';
import { callOutcomes } from '../call-record.js';
import { pathMapOption } from '../shared/recording-template.js';

export const DEFAULT_RECORDING_VARIABLES = [
  'recording_url',
  'record_url',
  'recording_file',
  '${record_path}/${record_name}',
  'cc_record_filename',
  'record_file',
];

/** Options shared by freeswitch-json and freeswitch-xml (the XML adapter leaves out `decodeValues`). */
export const freeswitchOptionsSchema = z.strictObject({
  decodeValues: z
    .boolean()
    .default(true)
    .describe(
      'URL-decode the values of `variables` (json_cdr.conf `encode-values`, true by default in FreeSWITCH). Set false only when encode-values=false.',
    ),
  directionVariable: z
    .string()
    .min(1)
    .default('call_direction')
    .describe(
      'Channel variable that states the business direction (FusionPBX sets call_direction). FreeSWITCH\'s own `direction` is the switch\'s view of one channel and is never used as the call direction.',
    ),
  directionValues: z
    .record(z.string(), z.enum(['incoming', 'outgoing', 'internal']))
    .default({ inbound: 'incoming', outbound: 'outgoing', local: 'internal' })
    .describe('Value of directionVariable → call direction. Unlisted values leave the direction to the normalize rules.'),
  recording: z
    .strictObject({
      variables: z
        .array(z.string().min(1))
        .default(DEFAULT_RECORDING_VARIABLES)
        .describe(
          'Variables holding the recording, first non-empty wins: a name, or a template such as "${record_path}/${record_name}" (used when all its variables are set). An http(s) value is a URL, anything else a path.',
        ),
      fromApplications: z
        .boolean()
        .default(true)
        .describe('Also take the file of a `record_session` (app_log, execute_on_answer*, execute_on_pre_answer*) or `uuid_record … start FILE` (api_on_answer*).'),
      pathMap: pathMapOption('FreeSWITCH', { from: '/var/lib/freeswitch/recordings', to: '/mnt/fs-recordings' }),
    })
    .prefault({})
    .describe('Where the recording of a call is found.'),
  outcomes: z
    .record(z.string(), z.enum(callOutcomes))
    .default({})
    .describe('Extra or overriding hangup_cause → outcome entries for unanswered legs, e.g. {CALL_REJECTED: no-answer}.'),
  maxDocumentBytes: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024)
    .describe('A CDR document (or NDJSON line) larger than this is refused with a located error; real CDRs are 10–100 KiB.'),
});

export type FreeswitchOptions = z.infer<typeof freeswitchOptionsSchema>;
export type FreeswitchExtractOptions = Omit<FreeswitchOptions, 'decodeValues'>;
