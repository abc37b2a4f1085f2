import { z } from 'zod';

export const twilioOptionsSchema = z
  .strictObject({
    recordingExtension: z
      .enum(['mp3', 'wav', 'none'])
      .default('mp3')
      .describe('Appended to RecordingUrl (Twilio serves the file as .mp3 or .wav; the bare URL answers with metadata). "none" keeps the URL as sent.'),
    directionValues: z
      .record(z.string(), z.enum(['incoming', 'outgoing']))
      .default({
        inbound: 'incoming',
        'outbound-api': 'outgoing',
        'outbound-dial': 'outgoing',
        'trunking-originating': 'incoming',
        'trunking-terminating': 'outgoing',
      })
      .describe('Twilio Direction → call direction. An unlisted value leaves the direction to the normalize rules.'),
    ownerRule: z
      .enum(['direction', 'own-numbers'])
      .default('direction')
      .describe(
        'Which party is ours (ownerExtension): "direction" = To for incoming calls, From for outgoing ones; "own-numbers" = the party whose number is in ownNumbers.',
      ),
    ownNumbers: z
      .array(z.string().min(1))
      .default([])
      .describe('The account\'s own numbers / client identities (e.g. "+46850001000", "client:alice"), for ownerRule "own-numbers".'),
    groupChildCalls: z
      .boolean()
      .default(false)
      .describe(
        'Group a <Dial> child call (ParentCallSid) with its parent call instead of keeping it as a call of its own; the children then tell whether, and which listed party, answered the parent\'s <Dial>.',
      ),
    maxDocumentBytes: z
      .number()
      .int()
      .positive()
      .default(256 * 1024)
      .describe('A callback body (or file line) larger than this is refused with a located error; real callbacks are about 1 KiB.'),
  })
  .superRefine((o, ctx) => {
    if (o.ownerRule === 'own-numbers' && o.ownNumbers.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['ownNumbers'], message: 'ownerRule "own-numbers" needs at least one number in ownNumbers' });
    }
  });

export type TwilioOptions = z.infer<typeof twilioOptionsSchema>;
