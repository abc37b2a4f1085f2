import { z } from 'zod';

/**
 * The body of `POST /api/v2/conversations`, field for field as documented in
 * "Create a new call conversation". Unknown fields are refused: the API contract is the whole list.
 */
const isoDateTime = z.iso.datetime({ offset: true });

export const conversationPayloadSchema = z
  .strictObject({
    call_external_id: z.string().min(1).describe('Unique identifier for the call (external system ID).'),
    call_start_time: isoDateTime.describe('Timestamp when the call started. Format: ISO 8601.'),
    call_end_time: isoDateTime.optional().describe('Timestamp when the call ended. Optional if call_duration is provided.'),
    call_duration: z.number().int().nonnegative().optional().describe('Duration of the call in seconds. Optional if call_end_time is provided.'),
    call_recording_url: z.url().describe('Publicly accessible URL to the call recording. Must respond with HTTP 200.'),
    call_is_stereo: z.boolean().optional().describe('True if the audio is recorded in stereo. Defaults to false.'),
    call_direction: z.enum(['incoming', 'outgoing']).describe("Direction of the call: 'incoming' or 'outgoing'."),
    call_title: z.string().optional().describe('Optional call title or subject.'),
    call_outcome: z.string().optional().describe("Outcome of the call (e.g., 'Won', 'No Answer', 'Busy')."),
    call_participant_channel: z.enum(['left', 'right']).optional().describe("Audio channel the participant is on. Defaults to 'right'."),
    owner_email: z.email().describe('Email of the user who owns the call (required).'),
    owner_name: z.string().optional().describe('Full name of the owner. If omitted, inferred from email.'),
    owner_phone_number: z.string().optional().describe('Phone number of the owner.'),
    participant_email: z.email().optional().describe('Email of the call participant.'),
    participant_first_name: z.string().optional().describe('First name of the participant.'),
    participant_last_name: z.string().optional().describe('Last name of the participant.'),
    participant_phone_number: z.string().optional().describe('Phone number of the participant.'),
    participant_company_name: z.string().optional().describe('Company or organization the participant belongs to.'),
    participant_external_id: z.string().optional().describe('External contact ID for the participant in your system.'),
  })
  .refine((p) => p.call_end_time !== undefined || p.call_duration !== undefined, {
    message: 'either call_end_time or call_duration is required',
    path: ['call_end_time'],
  });

export type ConversationPayload = z.infer<typeof conversationPayloadSchema>;

/**
 * The documented request sample, verbatim. Note: the docs' own sample omits `call_recording_url`,
 * which the same page lists as required; we follow the field list (a call without a recording is useless
 * to Dstny), so this sample alone is refused and `documentedSample + a recording URL` is the canonical body.
 */
export const documentedSample: Omit<ConversationPayload, 'call_recording_url'> = {
  call_external_id: 'a1b2c3d4e5',
  call_start_time: '2025-04-17T08:00:00Z',
  call_end_time: '2025-04-17T08:15:00Z',
  call_duration: 900,
  call_is_stereo: false,
  call_direction: 'outgoing',
  call_title: 'Quarterly Review',
  call_outcome: 'Won',
  call_participant_channel: 'right',
  owner_email: 'john.doe@example.com',
  owner_name: 'John Doe',
  owner_phone_number: '+46701234567',
  participant_email: 'client@example.org',
  participant_first_name: 'Client',
  participant_last_name: 'Smith',
  participant_phone_number: '+46709876543',
  participant_company_name: 'Client AB',
  participant_external_id: 'external-1234',
};

/** One line per problem, each naming the field: `owner_email: Invalid email address`. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`);
}

export type PayloadCheck = { ok: true; payload: ConversationPayload } | { ok: false; problems: string[] };

export function checkPayload(body: unknown): PayloadCheck {
  const result = conversationPayloadSchema.safeParse(body);
  return result.success ? { ok: true, payload: result.data } : { ok: false, problems: describeIssues(result.error) };
}
