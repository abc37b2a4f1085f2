import { describe, expect, it } from '@jest/globals';
import { type SplitName, splitCallerName } from '../../src/pipeline/participant.js';

/**
 * Caller-id names as PBXs and carriers send them (CNAM, caller_id_name, Twilio CallerName, 3CX display names)
 * → what the conversation shows as participant first name, last name and company.
 */
const ROWS: ReadonlyArray<readonly [string | undefined, SplitName]> = [
  // Swedish
  ['Alice Andersson', { first: 'Alice', last: 'Andersson' }],
  ['"Alice Andersson"', { first: 'Alice', last: 'Andersson' }],
  ['Andersson, Alice', { first: 'Alice', last: 'Andersson' }],
  ['  Andersson ,  Alice  ', { first: 'Alice', last: 'Andersson' }],
  ['Svensson, Anna', { first: 'Anna', last: 'Svensson' }],
  ['Nilsson; Per', { first: 'Per', last: 'Nilsson' }],
  ['Åsa Öberg', { first: 'Åsa', last: 'Öberg' }],
  ['Per-Olof Ström', { first: 'Per-Olof', last: 'Ström' }],
  ['Anna-Karin Sjöström Lind', { first: 'Anna-Karin', last: 'Sjöström Lind' }],
  ['Erik af Klint', { first: 'Erik', last: 'af Klint' }],
  ['Abba Andersson', { first: 'Abba', last: 'Andersson' }],
  ['Cher', { first: 'Cher' }],
  ['Smith,', { first: 'Smith' }],
  // All-caps CNAM is often last name first, but nothing says so: the order is kept, and a comma still reverses it.
  ['SVENSSON ANNA', { first: 'SVENSSON', last: 'ANNA' }],
  ['SMITH JOHN', { first: 'SMITH', last: 'JOHN' }],
  ['SVENSSON,ANNA', { first: 'ANNA', last: 'SVENSSON' }],
  // A quoted nickname or a bracketed remark stays with the word before it: "first last" reads as the caller id did.
  ['Karin "KS" Svensson', { first: 'Karin "KS"', last: 'Svensson' }],
  ['Svensson, Karin "KS"', { first: 'Karin "KS"', last: 'Svensson' }],
  ['Robert "Bob" Smith', { first: 'Robert "Bob"', last: 'Smith' }],
  ['Smith, Robert "Bob"', { first: 'Robert "Bob"', last: 'Smith' }],
  ['Robert "Bobby Joe" Smith', { first: 'Robert "Bobby Joe"', last: 'Smith' }],
  ['Robert „Bob“ Smith', { first: 'Robert "Bob"', last: 'Smith' }],
  ['Ek, Bo\n(night line)', { first: 'Bo (night line)', last: 'Ek' }],
  ['Maria (reception) Berg', { first: 'Maria (reception)', last: 'Berg' }],
  ['Maria (sales, north) Berg', { first: 'Maria (sales, north)', last: 'Berg' }],
  ['(Reception)', { first: 'Reception' }],
  // Quotes around the whole name, or left unpaired by an encoding, are no nickname; neither is an unpaired bracket.
  ["'Bob'", { first: 'Bob' }],
  ["O'Brien, Kate", { first: 'Kate', last: "O'Brien" }],
  ['"Karin Svensson', { first: 'Karin', last: 'Svensson' }],
  ['“Karin Svensson”', { first: 'Karin', last: 'Svensson' }],
  ['Anna Maria (reception', { first: 'Anna', last: 'Maria reception' }],
  ['Alice <100>', { first: 'Alice' }],
  // Particles start the last name; the words before them are the first name.
  ['Ludwig van Beethoven', { first: 'Ludwig', last: 'van Beethoven' }],
  ['Vincent van der Berg', { first: 'Vincent', last: 'van der Berg' }],
  ['Anna van der Berg', { first: 'Anna', last: 'van der Berg' }],
  ['Jan Peter van den Heuvel', { first: 'Jan Peter', last: 'van den Heuvel' }],
  ['Berg, Vincent van der', { first: 'Vincent', last: 'van der Berg' }],
  ['Anna von Essen', { first: 'Anna', last: 'von Essen' }],
  ['Karl-Theodor zu Guttenberg', { first: 'Karl-Theodor', last: 'zu Guttenberg' }],
  ['Jean de la Fontaine', { first: 'Jean', last: 'de la Fontaine' }],
  ['Leonardo da Vinci', { first: 'Leonardo', last: 'da Vinci' }],
  ['Maria dos Santos', { first: 'Maria', last: 'dos Santos' }],
  ['João Pedro da Silva', { first: 'João Pedro', last: 'da Silva' }],
  ['Seán Ó Briain', { first: 'Seán', last: 'Ó Briain' }],
  ['Máire Ní Bhriain', { first: 'Máire', last: 'Ní Bhriain' }],
  ['Ahmed El Sayed', { first: 'Ahmed', last: 'El Sayed' }],
  // A particle as the first word is a first name.
  ['Van Morrison', { first: 'Van', last: 'Morrison' }],
  // Other countries, letters intact.
  ['Søren Kierkegaard', { first: 'Søren', last: 'Kierkegaard' }],
  ['Hans-Jürgen Weiß', { first: 'Hans-Jürgen', last: 'Weiß' }],
  ['Marijke IJsselstein', { first: 'Marijke', last: 'IJsselstein' }],
  ['Päivi Mäkelä', { first: 'Päivi', last: 'Mäkelä' }],
  ['Marie-Claire Dubois', { first: 'Marie-Claire', last: 'Dubois' }],
  // Companies are not people: the whole name, quotes and brackets included.
  ['Nilsson Bygg AB', { company: 'Nilsson Bygg AB' }],
  ['Kustvind Service AB', { company: 'Kustvind Service AB' }],
  ['Göteborgs Rör Aktiebolag', { company: 'Göteborgs Rör Aktiebolag' }],
  ['Lind & Son HB', { company: 'Lind & Son HB' }],
  ['Ekholm & Dotter KB', { company: 'Ekholm & Dotter KB' }],
  ['HSB Riksförbund ek. för.', { company: 'HSB Riksförbund ek. för.' }],
  ['Lantmännen Ek. för.', { company: 'Lantmännen Ek. för.' }],
  ['AB Volvo', { company: 'AB Volvo' }],
  ['Bygg "Nord" AB', { company: 'Bygg "Nord" AB' }],
  ['Acme AB, Support', { company: 'Acme AB, Support' }],
  ['Equinor ASA', { company: 'Equinor ASA' }],
  ['Fjordkraft AS', { company: 'Fjordkraft AS' }],
  ['Mærsk Line A/S', { company: 'Mærsk Line A/S' }],
  ['Jensens Bøfhus ApS', { company: 'Jensens Bøfhus ApS' }],
  ['Müller GmbH', { company: 'Müller GmbH' }],
  ['Müller & Söhne GmbH', { company: 'Müller & Söhne GmbH' }],
  ['Müller GmbH (Zentrale)', { company: 'Müller GmbH (Zentrale)' }],
  ['Siemens AG', { company: 'Siemens AG' }],
  ['Schmidt Logistik GmbH & Co. KG', { company: 'Schmidt Logistik GmbH & Co. KG' }],
  ['Weber OHG', { company: 'Weber OHG' }],
  ['Becker Bau UG (haftungsbeschränkt)', { company: 'Becker Bau UG (haftungsbeschränkt)' }],
  ['Sportverein Grün-Weiß e.V.', { company: 'Sportverein Grün-Weiß e.V.' }],
  ['Bakkerij de Vries B.V.', { company: 'Bakkerij de Vries B.V.' }],
  ['Philips Nederland BV', { company: 'Philips Nederland BV' }],
  ['ING Groep N.V.', { company: 'ING Groep N.V.' }],
  ['Heineken NV', { company: 'Heineken NV' }],
  ['Van Dijk V.O.F.', { company: 'Van Dijk V.O.F.' }],
  ['"Acme Ltd."', { company: 'Acme Ltd.' }],
  ['Northwind Traders Limited', { company: 'Northwind Traders Limited' }],
  ['ACME WIDGETS LTD', { company: 'ACME WIDGETS LTD' }],
  ['Fabrikam LLC', { company: 'Fabrikam LLC' }],
  ['Contoso, Inc.', { company: 'Contoso, Inc.' }],
  ['Adventure Works Inc', { company: 'Adventure Works Inc' }],
  ['Tailspin Corp', { company: 'Tailspin Corp' }],
  ['Wingtip Toys PLC', { company: 'Wingtip Toys PLC' }],
  ['Smith & Jones LLP', { company: 'Smith & Jones LLP' }],
  ['Société Générale SA', { company: 'Société Générale SA' }],
  ['Boulangerie Paul SARL', { company: 'Boulangerie Paul SARL' }],
  ['Transports Martin SAS', { company: 'Transports Martin SAS' }],
  ['Nokia Oyj', { company: 'Nokia Oyj' }],
  ['Hesburger Oy', { company: 'Hesburger Oy' }],
  ['Oy Karl Fazer Ab', { company: 'Oy Karl Fazer Ab' }],
  ['Ferrari S.p.A.', { company: 'Ferrari S.p.A.' }],
  ['Polska Sp. z o.o.', { company: 'Polska Sp. z o.o.' }],
  // A person at a company (FreeSWITCH's real caller-id name from the samples).
  ['Zoë Ström-Lind, "ZSL" Konsult & Co', { first: 'Zoë', last: 'Ström-Lind', company: '"ZSL" Konsult & Co' }],
  ['Anna Svensson, AB Volvo', { first: 'Anna', last: 'Svensson', company: 'AB Volvo' }],
  // Placeholders, numbers and addresses are no name.
  ['Unknown', {}],
  ['Unknown (1234)', {}],
  ['anonymous', {}],
  ['ANONYMOUS', {}],
  ['Private Number', {}],
  ['"Restricted"', {}],
  ['unavailable', {}],
  ['UNAVAILABLE', {}],
  ['WIRELESS CALLER', {}],
  ['CELL PHONE   TX', {}],
  ['TOLL FREE CALL', {}],
  ['Okänd', {}],
  ['Dolt nummer', {}],
  ['Ukjent nummer', {}],
  ['Unbekannt', {}],
  ['Onbekend', {}],
  ['Tuntematon', {}],
  ['+46701234567', {}],
  ['0701234567', {}],
  ['<1003>', {}],
  ['sip:alice@example.com', {}],
  ['alice@example.com', {}],
  ['""', {}],
  ['', {}],
  [undefined, {}],
];

/**
 * The name's words, compared without the quotes and brackets around them, the separating commas, and the
 * trailing "<1234>" (the caller's number, not its name).
 */
function words(text: string): string[] {
  return text
    .replace(/<[^>]*>\s*$/, '')
    .split(/[\s,;]+/)
    .map((word) => word.replace(/^["'“”„(]+|["'“”„)]+$/g, ''))
    .filter((word) => word !== '')
    .sort();
}

describe('splitCallerName', () => {
  it.each(ROWS)('%j → %j', (input, expected) => {
    expect(splitCallerName(input)).toEqual(expected);
  });

  // Every word the caller id showed is in first name, last name or company (no more, no fewer): a placeholder gives
  // no name at all, but a name is never shortened.
  it.each(ROWS.filter(([input, expected]) => input !== undefined && Object.keys(expected).length > 0))('%j loses no word', (input) => {
    const split = splitCallerName(input);
    const shown = [split.first, split.last, split.company].filter((part) => part !== undefined).join(' ');
    expect(words(shown)).toEqual(words(input ?? ''));
  });
});
