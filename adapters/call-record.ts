import { z } from 'zod';

/**
 * What an adapter yields: one call as the PBX described it, before any business rules.
 * Normalization (src/pipeline) turns it into the API body.
 *
 * Times are ISO 8601 strings. A time WITH an offset or `Z` is absolute (epoch-based PBX fields);
 * a time WITHOUT one is the PBX's wall-clock time and is interpreted in the source's configured zone.
 */
const partySchema = z.object({
  number: z.string().optional().describe('Number or extension as the PBX wrote it (not yet E.164).'),
  name: z.string().optional().describe('Caller-id / display name, if any.'),
  channel: z.string().optional().describe('Channel, device or trunk name (used by direction rules).'),
  email: z.email().optional().describe('Email, when the PBX knows it.'),
  callerNumber: z
    .string()
    .optional()
    .describe('The caller-id number, when `number` was taken from somewhere else (the channel name) and differs: for messages.'),
});
export type Party = z.infer<typeof partySchema>;

/**
 * Two parties the PBX connected (or tried to): one Dial/Queue/bridge of the call, as the PBX recorded it.
 * A call through a queue, a ring group or a transfer is several; normalization reads them with its rules
 * (which numbers are internal) to find the outside party, the internal party who answered it, and when.
 */
export const connectionSchema = z.object({
  from: partySchema.describe('The side that placed this connection (the caller, or the transferred party).'),
  to: partySchema.describe('The side it rang.'),
  answered: z.boolean(),
  startTime: z.string(),
  answerTime: z.string().optional().describe('When `to` answered (the answered party\'s own time where the PBX wrote one).'),
  endTime: z.string().optional(),
  talkSec: z.number().nonnegative().optional().describe('Seconds from answerTime to endTime, as the PBX counted them.'),
  via: z.string().optional().describe('What rang `to`, for messages: "queue order", "ring group", "transfer".'),
});
export type Connection = z.infer<typeof connectionSchema>;

export const callOutcomes = ['answered', 'no-answer', 'busy', 'failed', 'unknown'] as const;

export const callRecordSchema = z.object({
  externalId: z.string().min(1).describe('Stable id of the whole call (linkedid, uuid, CallSid, globalCallID...).'),
  location: z.string().describe('Where the call came from, for messages: "FILE:LINE" or "hook:<source>".'),
  startTime: z.string().describe('ISO 8601; no offset = PBX local time.'),
  answerTime: z.string().optional(),
  endTime: z.string().optional(),
  durationSec: z.number().nonnegative().optional().describe('Whole call length, seconds.'),
  talkSec: z.number().nonnegative().optional().describe('Answered (billable) seconds.'),
  direction: z.enum(['incoming', 'outgoing', 'internal']).optional().describe('Only when the PBX says it.'),
  from: partySchema,
  to: partySchema,
  ownerExtension: z.string().optional().describe('The internal party, when the PBX says which one it is.'),
  outcome: z.enum(callOutcomes).default('unknown'),
  disposition: z.string().optional().describe('The PBX\'s own disposition text, kept for call_outcome mapping.'),
  recording: z
    .object({
      url: z.string().optional().describe('Remote URL (http/https).'),
      path: z.string().optional().describe('Local file path on the bridge host.'),
      stereo: z.boolean().optional().describe('When the PBX says it (RecordingChannels=2, record_stereo=true).'),
      note: z.string().optional().describe('Why this recording was chosen when the call has more than one (shown by parse).'),
    })
    .optional(),
  connections: z
    .array(connectionSchema)
    .optional()
    .describe(
      'Every connection of the call in the order they started; `from` is then the party that started the call. Without them, from → to is the whole call.',
    ),
  legs: z.number().int().positive().default(1).describe('How many PBX records were merged into this call.'),
  raw: z.unknown().describe('The original fields of every leg, kept in the ledger.'),
});

export type CallRecord = z.infer<typeof callRecordSchema>;
export type CallRecordInput = z.input<typeof callRecordSchema>;
