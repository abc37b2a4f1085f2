import { describe, expect, it } from '@jest/globals';
import { isFullNumber, toE164 } from '../../src/pipeline/participant.js';

describe('toE164', () => {
  it.each([
    ['0701234567', 'SE', '+46701234567'],
    ['070-123 45 67', 'SE', '+46701234567'],
    ['+46 8 123 456 78', 'SE', '+46812345678'],
    ['0046812345678', 'SE', '+46812345678'],
    ['(201) 555-0123', 'US', '+12015550123'],
    ['+12015550123', 'SE', '+12015550123'],
    ['tel:+46701234567', 'SE', '+46701234567'],
    ['sip:+46701234567@pbx.example.com', 'SE', '+46701234567'],
    // Not a full number: kept exactly as given, never invented.
    ['1003', 'SE', '1003'],
    ['8500', 'SE', '8500'],
    ['*97', 'SE', '*97'],
    ['5551234', 'US', '5551234'],
    ['12345678901234567890', 'SE', '12345678901234567890'],
    // No digit at all: no number.
    ['anonymous', 'SE', undefined],
    ['Restricted', 'US', undefined],
    ['', 'SE', undefined],
    [undefined, 'SE', undefined],
  ])('%s (%s) → %s', (input, country, expected) => {
    expect(toE164(input, country)).toBe(expected);
  });

  it('tells full numbers from extensions', () => {
    expect(isFullNumber('0701234567', 'SE')).toBe(true);
    expect(isFullNumber('1003', 'SE')).toBe(false);
    expect(isFullNumber(undefined, 'SE')).toBe(false);
  });
});

// splitCallerName: test/pipeline/caller-id-names.test.ts
