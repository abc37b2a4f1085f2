import { describe, expect, it } from '@jest/globals';
import type { CallRecord, Connection, Party } from '../../adapters/call-record.js';
import { compileDirectionRules, decideDirection } from '../../src/pipeline/direction.js';

/** A party by number (and channel). */
const p = (number: string, channel?: string): Party => (channel ? { number, channel } : { number });
const outside = p('+46701234567', 'PJSIP/trunk-01');
const c = (from: Party, to: Party, answer: string | undefined, end: string, extra: Partial<Connection> = {}): Connection => ({
  from,
  to,
  answered: answer !== undefined,
  startTime: '2024-05-02T10:00:00',
  ...(answer ? { answerTime: `2024-05-02T${answer}` } : {}),
  endTime: `2024-05-02T${end}`,
  ...extra,
});

const rules = (ownerAfterTransfer: 'first' | 'last' = 'first') =>
  compileDirectionRules({ internalNumbers: ['^\\d{4}$'], trunkPatterns: ['^PJSIP/trunk-'], skip: { internal: true, external: true }, ownerAfterTransfer });

type Call = Pick<CallRecord, 'from' | 'to' | 'connections' | 'endTime'> & Partial<Pick<CallRecord, 'answerTime'>>;

function decide(call: Call, r = rules()) {
  const d = decideDirection(call, r);
  if (d.kind !== 'ok') return { [d.kind]: d.reason };
  return { direction: d.direction, owner: d.owner.number, participant: d.participant.number, conversation: d.conversation };
}

describe('decideDirection over connections', () => {
  const blind: Call = {
    from: outside,
    to: p('2001'),
    endTime: '2024-05-02T10:09:00',
    connections: [c(outside, p('2001'), '10:00:05', '10:01:00', { talkSec: 55 }), c(outside, p('2002'), '10:01:06', '10:09:00', { talkSec: 474 })],
  };

  it('a blind transfer: the first who answered owns it by default, the last with ownerAfterTransfer last; talk from the first answer', () => {
    expect(decide(blind)).toEqual({ direction: 'incoming', owner: '2001', participant: '+46701234567', conversation: { answered: true, answerTime: '2024-05-02T10:00:05', talkSec: undefined } });
    expect(decide(blind, rules('last'))).toMatchObject({ owner: '2002', conversation: { answerTime: '2024-05-02T10:00:05' } });
  });

  it('an outgoing call the agent transferred: the outside party is the one called, the owners the agent and the transfer target', () => {
    const call: Call = {
      from: p('2001'),
      to: p('0736512480'),
      endTime: '2024-05-02T10:05:00',
      connections: [c(p('2001'), p('0736512480'), '10:00:03', '10:02:00'), c(p('0736512480'), p('2003'), '10:02:05', '10:05:00')],
    };
    expect(decide(call)).toMatchObject({ direction: 'outgoing', owner: '2001', participant: '0736512480' });
    expect(decide(call, rules('last'))).toMatchObject({ direction: 'outgoing', owner: '2003', participant: '0736512480' });
  });

  it('an internal consultation during an attended transfer is not a party to the conversation', () => {
    const call: Call = {
      from: outside,
      to: p('2001'),
      endTime: '2024-05-02T10:05:00',
      connections: [
        c(outside, p('2001'), '10:00:02', '10:01:00'),
        c(p('2001'), p('2002'), '10:00:40', '10:01:00'),
        c(outside, p('2002'), '10:01:00', '10:05:00', { talkSec: 240 }),
      ],
    };
    expect(decide(call)).toMatchObject({ owner: '2001', participant: '+46701234567' });
    expect(decide(call, rules('last'))).toMatchObject({ owner: '2002' });
  });

  it('one connection that spans the conversation gives its own talk seconds', () => {
    const call: Call = { from: outside, to: p('2001'), endTime: '2024-05-02T10:01:00', connections: [c(p('2009'), p('2001'), '09:59:00', '10:00:00'), c(outside, p('2001'), '10:00:05', '10:01:00', { talkSec: 54 })] };
    expect(decide(call)).toMatchObject({ conversation: { answered: true, answerTime: '2024-05-02T10:00:05', talkSec: 54 } });
  });

  it('a queue nobody answered says what rang', () => {
    const call: Call = {
      from: outside,
      to: p('2001'),
      endTime: '2024-05-02T10:00:40',
      connections: [c(outside, p('2001'), undefined, '10:00:15', { via: 'queue sales' }), c(outside, p('2002'), undefined, '10:00:40', { via: 'queue sales' })],
    };
    expect(decide(call)).toEqual({ direction: 'incoming', owner: '2001', participant: '+46701234567', conversation: { answered: false, detail: 'queue sales rang 2001, 2002; nobody answered' } });
  });

  it('one connection answered when the call was (or never) says no more than from → to', () => {
    const call: Call = { from: p('2001'), to: p('0701111111'), endTime: '2024-05-02T10:00:02', connections: [c(p('2001'), p('0701111111'), undefined, '10:00:02')] };
    expect(decide(call)).toEqual({ direction: 'outgoing', owner: '2001', participant: '0701111111', conversation: undefined });
  });

  it('one connection answered later than the call (click-to-call: the agent first, then the customer) gives the later answer', () => {
    const call: Call & { answerTime: string } = {
      from: p('2001', 'Local/2001@from-internal-0000001e;1'),
      to: p('0701111111'),
      answerTime: '2024-05-02T10:00:02',
      endTime: '2024-05-02T10:01:00',
      connections: [c(p('2001'), p('0701111111'), '10:00:06', '10:01:00', { talkSec: 54 })],
    };
    expect(decide(call)).toMatchObject({ direction: 'outgoing', conversation: { answered: true, answerTime: '2024-05-02T10:00:06', talkSec: 54 } });
  });

  it('no outside party, or no internal one: from → to decides, as for one record', () => {
    const internal: Call = { from: p('2001'), to: p('2002'), endTime: '2024-05-02T10:01:00', connections: [c(p('2001'), p('2002'), '10:00:02', '10:01:00')] };
    expect(decide(internal)).toEqual({ skip: 'internal call (2001 → 2002)' });
    const forwarded: Call = { from: outside, to: p('2004', 'PJSIP/trunk-02'), endTime: '2024-05-02T10:01:00', connections: [c(outside, p('2004', 'PJSIP/trunk-02'), '10:00:02', '10:01:00')] };
    expect(decide(forwarded)).toEqual({ skip: 'external-only call, no internal party (+46701234567 → 2004 on trunk PJSIP/trunk-02)' });
  });

  it('an "internal" call whose extension was read from a trunk\'s channel name is rejected (kept to retry), saying what to fix', () => {
    const call: Call = { from: { number: '4600', channel: 'PJSIP/4600-01', callerNumber: '+46701234567' }, to: p('2001'), endTime: '2024-05-02T10:01:00' };
    const d = decideDirection(call, rules());
    expect(d).toEqual({
      kind: 'reject',
      reason:
        "looks like an internal call only because 4600 was read from the channel name PJSIP/4600-01 by the adapter's extension pattern, while its caller id is the outside number +46701234567: " +
        'if PJSIP/4600 is a trunk, add it to normalize.trunkPatterns (or narrow the extension pattern), then run callbridge retry',
    });
    // With the trunk named, the same call is an incoming call.
    const fixed = compileDirectionRules({ internalNumbers: ['^\\d{4}$'], trunkPatterns: ['^PJSIP/4600-'], skip: { internal: true, external: true } });
    expect(decide(call, fixed)).toMatchObject({ direction: 'incoming', owner: '2001', participant: '+46701234567' });
  });
});
