import { describe, expect, it } from '@jest/globals';
import type { Party } from '../../adapters/call-record.js';
import { compileDirectionRules, decideDirection } from '../../src/pipeline/direction.js';

const rules = compileDirectionRules({
  internalNumbers: ['^\\d{3,4}$'],
  trunkPatterns: ['^SIP/trunk-', '^PJSIP/telia'],
  skip: { internal: true, external: true },
});
const keepAll = compileDirectionRules({
  internalNumbers: ['^\\d{3,4}$'],
  trunkPatterns: ['^SIP/trunk-'],
  skip: { internal: false, external: false },
});

type Call = { direction?: 'incoming' | 'outgoing' | 'internal'; from: Party; to: Party; ownerExtension?: string };

describe('decideDirection', () => {
  it.each<[string, Call, ReturnType<typeof compileDirectionRules>, unknown]>([
    ['internal → external is outgoing', { from: { number: '1001' }, to: { number: '0701234567' } }, rules, { direction: 'outgoing', owner: '1001', participant: '0701234567', ext: '1001' }],
    ['external → internal is incoming', { from: { number: '+46701234567' }, to: { number: '1002' } }, rules, { direction: 'incoming', owner: '1002', participant: '+46701234567', ext: '1002' }],
    ['the PBX word wins over the rules', { direction: 'incoming', from: { number: '1001' }, to: { number: '1002' } }, rules, { direction: 'incoming', owner: '1002', participant: '1001', ext: '1002' }],
    ['the PBX names the internal party', { direction: 'outgoing', from: { number: '+4681234567' }, to: { number: '+46701234567' }, ownerExtension: '1005' }, rules, { direction: 'outgoing', owner: '+4681234567', participant: '+46701234567', ext: '1005' }],
    // A short external number (a 3-digit service number via the trunk) looks internal by number; the trunk channel says otherwise.
    ['a trunk channel makes a short number external', { from: { number: '112', channel: 'SIP/trunk-0000a1' }, to: { number: '1001', channel: 'SIP/1001-0000a2' } }, rules, { direction: 'incoming', owner: '1001', participant: '112', ext: '1001' }],
    ['outgoing over a trunk to a short number', { from: { number: '1001', channel: 'PJSIP/1001-01' }, to: { number: '118', channel: 'PJSIP/telia-02' } }, rules, { direction: 'outgoing', owner: '1001', participant: '118', ext: '1001' }],
    ['ownerExtension settles two short numbers', { from: { number: '1001' }, to: { number: '118' }, ownerExtension: '118' }, rules, { direction: 'incoming', owner: '118', participant: '1001', ext: '118' }],
    ['internal-only is skipped', { from: { number: '1001' }, to: { number: '1002' } }, rules, { skip: 'internal call (1001 → 1002)' }],
    ['internal by PBX word is skipped', { direction: 'internal', from: { number: '1001' }, to: { number: '1002' } }, rules, { skip: 'internal call (the PBX says both parties are internal)' }],
    ['external-only is skipped', { from: { number: '+46701234567' }, to: { number: '+4681234567' } }, rules, { skip: 'external-only call, no internal party (+46701234567 → +4681234567)' }],
    ['a forward to a mobile: both legs on the trunk', { from: { number: '0702223344', channel: 'SIP/trunk-1' }, to: { number: '204', channel: 'SIP/trunk-2' } }, rules, { skip: 'external-only call, no internal party (0702223344 → 204 on trunk SIP/trunk-2)' }],
    ['a party with no number is external', { from: { channel: 'SIP/trunk-1' }, to: {} }, rules, { skip: 'external-only call, no internal party (SIP/trunk-1 → unknown)' }],
    ['internal-only kept when not filtered: the caller is ours', { from: { number: '1001' }, to: { number: '1002' } }, keepAll, { direction: 'outgoing', owner: '1001', participant: '1002', ext: '1001' }],
    ['external-only kept when not filtered: the callee is ours', { from: { number: '+46701234567' }, to: { number: '+4681234567' } }, keepAll, { direction: 'incoming', owner: '+4681234567', participant: '+46701234567', ext: '+4681234567' }],
  ])('%s', (_name, call, r, expected) => {
    const d = decideDirection(call, r);
    const got =
      d.kind !== 'ok'
        ? { [d.kind]: d.reason }
        : { direction: d.direction, owner: d.owner.number, participant: d.participant.number, ext: d.ownerExtension };
    expect(got).toEqual(expected);
  });
});
