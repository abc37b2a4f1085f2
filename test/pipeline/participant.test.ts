import { describe, expect, it } from '@jest/globals';
import { isFullNumber, splitCallerName, toE164 } from '../../src/pipeline/participant.js';

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

describe('splitCallerName', () => {
  it.each([
    ['Alice Andersson', { first: 'Alice', last: 'Andersson' }],
    ['"Alice Andersson"', { first: 'Alice', last: 'Andersson' }],
    ['Andersson, Alice', { first: 'Alice', last: 'Andersson' }],
    ['  Andersson ,  Alice  ', { first: 'Alice', last: 'Andersson' }],
    ['Anna van der Berg', { first: 'Anna', last: 'van der Berg' }],
    ['Åsa Öberg', { first: 'Åsa', last: 'Öberg' }],
    ['Cher', { first: 'Cher' }],
    ["'Bob'", { first: 'Bob' }],
    ['Alice <100>', { first: 'Alice' }],
    ['Smith,', { first: 'Smith' }],
    // The whole name is kept: a quoted nickname is part of it; quoting left over from an encoding is not.
    ['Svensson, Karin "KS"', { first: 'Karin "KS"', last: 'Svensson' }],
    ['Karin "KS" Svensson', { first: 'Karin', last: '"KS" Svensson' }],
    ["O'Brien, Kate", { first: 'Kate', last: "O'Brien" }],
    ['"Karin Svensson', { first: 'Karin', last: 'Svensson' }],
    ['“Karin Svensson”', { first: 'Karin', last: 'Svensson' }],
    ['Nilsson; Per', { first: 'Per', last: 'Nilsson' }],
    ['Ek, Bo\n(night line)', { first: 'Bo', last: 'Ek' }],
    ['Maria (reception) Berg', { first: 'Maria', last: 'Berg' }],
    // Companies are not people.
    ['Nilsson Bygg AB', { company: 'Nilsson Bygg AB' }],
    ['"Acme Ltd."', { company: 'Acme Ltd.' }],
    ['Müller GmbH', { company: 'Müller GmbH' }],
    ['Contoso, Inc.', { company: 'Contoso, Inc.' }],
    ['Bygg "Nord" AB', { company: 'Bygg "Nord" AB' }],
    ['Müller & Söhne GmbH', { company: 'Müller & Söhne GmbH' }],
    ['Acme AB, Support', { company: 'Acme AB, Support' }],
    // A person at a company (FreeSWITCH's real caller-id name from the samples).
    ['Zoë Ström-Lind, "ZSL" Konsult & Co', { first: 'Zoë', last: 'Ström-Lind', company: '"ZSL" Konsult & Co' }],
    ['Abba Andersson', { first: 'Abba', last: 'Andersson' }],
    ['Unknown', {}],
    ['anonymous', {}],
    ['ANONYMOUS', {}],
    ['Private Number', {}],
    ['"Restricted"', {}],
    ['unavailable', {}],
    ['+46701234567', {}],
    ['0701234567', {}],
    ['<1003>', {}],
    ['sip:alice@example.com', {}],
    ['alice@example.com', {}],
    ['""', {}],
    ['', {}],
    [undefined, {}],
  ])('%j → %j', (input, expected) => {
    expect(splitCallerName(input)).toEqual(expected);
  });
});
