import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * A number as E.164 when it is a valid full number (with `defaultCountry` for national formats);
 * otherwise exactly as given (an extension, a short code, a number libphonenumber cannot place): we never
 * invent digits. Text with no digit at all ("anonymous", "Restricted") is no number: undefined.
 */
export function toE164(value: string | undefined, defaultCountry: string): string | undefined {
  const text = value?.trim();
  if (!text || !/\d/.test(text)) return undefined;
  // The same extensions and numbers come back call after call; libphonenumber takes ~10 µs per parse.
  let cache = e164Cache.get(defaultCountry);
  if (cache === undefined) {
    cache = new Map();
    e164Cache.set(defaultCountry, cache);
  }
  const known = cache.get(text);
  if (known !== undefined) return known;
  const result = parseE164(text, defaultCountry);
  if (cache.size >= E164_CACHE_LIMIT) cache.clear();
  cache.set(text, result);
  return result;
}

/**
 * Per default country: number as written (trimmed) → E.164 or the text itself. Bounded by what it costs to
 * keep, not by what it saves: every entry is live heap the whole run, and V8 lets the old generation grow to
 * a multiple of the live heap, so 50,000 distinct numbers held ~5 MB live and ~20 MB of peak RSS.
 */
const e164Cache = new Map<string, Map<string, string>>();
const E164_CACHE_LIMIT = 10_000;

function parseE164(text: string, defaultCountry: string): string {
  const cleaned = text.replace(/^(?:tel|sips?):/i, '').replace(/@.*$/, '');
  const parsed = parsePhoneNumberFromString(cleaned, { defaultCountry: defaultCountry.toUpperCase() as CountryCode, extract: false });
  if (parsed?.isValid()) return parsed.number;
  return text;
}

/** True when the text is a valid full phone number (not an extension). */
export function isFullNumber(value: string | undefined, defaultCountry: string): boolean {
  const e164 = toE164(value, defaultCountry);
  return e164 !== undefined && e164.startsWith('+') && e164 !== value?.trim();
}

/**
 * What carriers and PBXs put in the name field when there is no name: CNAM's fixed texts ("WIRELESS CALLER",
 * "CELL PHONE   TX" for a mobile without a listing, "TOLL FREE CALL"), and the Nordic, German, Dutch, French and
 * Finnish words handsets and PBXs show for a hidden number. Compared with the name's remarks in brackets left out,
 * so "Unknown (1234)" is no name either.
 */
const NO_NAME = new RegExp(
  `^(?:${[
    'unknown(?: name| caller| number)?',
    'anonymous(?: caller)?',
    'anonym',
    'restricted(?: number| caller)?',
    'private(?: number| caller| name)?',
    '(?:name )?unavailable',
    'not available',
    '(?:number )?withheld',
    'blocked(?: number| caller)?',
    'no caller ?id',
    'no name',
    'out of area',
    'toll free(?: call(?:er)?)?',
    'wireless caller',
    'cell phone(?: [a-z]{2})?',
    'n\\/a',
    'none',
    'null',
    'undefined',
    'caller',
    'okänd(?: uppringare)?',
    'okänt nummer',
    'dolt nummer',
    'hemligt nummer',
    'skyddat nummer',
    'ukjent(?: nummer)?',
    'skjult nummer',
    'ukendt(?: nummer)?',
    'hemmeligt nummer',
    'unbekannt',
    'anonymer anrufe?r?',
    '(?:rufnummer )?unterdrückt',
    'privat',
    'onbekend(?: nummer)?',
    'anoniem',
    'afgeschermd(?: nummer)?',
    'tuntematon',
    'salainen numero',
    'inconnu',
    '(?:numéro )?masqué',
    'privé',
  ].join('|')})$`,
  'i',
);

export interface SplitName {
  first?: string;
  last?: string;
  /** The caller-id "name" is a company ("Nilsson Bygg AB"): not a person's first and last name. */
  company?: string;
}

/**
 * Legal forms that end a company name, written as registries write them; every dot in them is optional ("B.V." is
 * also "BV", "Inc." also "Inc") and a space may be left out ("Ek.för."). Upper-case spellings are listed only for
 * forms of three letters or more (and "Oy"): carriers send all-caps CNAM ("ACME LTD"), but two capitals are also a
 * US state in CNAM's "CITY ST" ("DENVER CO"), so "Co" stays as written. Two-letter forms are matched as written
 * ("AB", not "Ab": "Ab" is a Dutch first name).
 */
const END_FORMS = [
  // Swedish
  'AB', 'HB', 'KB', 'Aktiebolag', 'AKTIEBOLAG', 'Ek. för.', 'ek. för.', 'EK. FÖR.', 'Ekonomisk förening', 'ekonomisk förening',
  // Norwegian, Danish, Icelandic
  'AS', 'ASA', 'ANS', 'NUF', 'ApS', 'APS', 'A/S', 'I/S', 'K/S', 'P/S', 'IVS', 'A.m.b.A.', 'ehf.', 'hf.',
  // German, Austrian, Swiss (also ends "GmbH & Co. KG"; "UG (haftungsbeschränkt)" ends in "UG" once its brackets are set aside)
  'GmbH', 'GMBH', 'gGmbH', 'mbH', 'AG', 'KG', 'KGaA', 'OHG', 'GbR', 'UG', 'e.V.', 'e.K.', 'eG', 'SE', 'Sàrl',
  // Dutch, Belgian
  'B.V.', 'N.V.', 'V.O.F.', 'C.V.', 'U.A.', 'BVBA', 'CVBA', 'SPRL', 'SRL',
  // English
  'Ltd.', 'LTD.', 'Limited', 'LIMITED', 'LLC', 'L.L.C.', 'LLP', 'L.P.', 'Inc.', 'INC.', 'Incorporated', 'INCORPORATED',
  'Corp.', 'CORP.', 'Corporation', 'CORPORATION', 'Co.', 'PLC', 'plc', 'Pty', 'PTY',
  // French, Spanish, Portuguese, Italian
  'S.A.', 'SAS', 'SASU', 'SARL', 'S.A.R.L.', 'EURL', 'SNC', 'S.L.', 'S.L.U.', 'Lda.', 'Ltda.', 'S.r.l.', 'S.p.A.', 'S.n.c.',
  // Finnish, Baltic, Polish, Czech
  'Oy', 'OY', 'Oyj', 'OYJ', 'OÜ', 'UAB', 'SIA', 'Sp. z o.o.', 's.r.o.', 'a.s.',
];
/** Legal forms written first ("AB Volvo", "Oy Karl Fazer Ab", "Brf Solrosen", "UAB Telia"). */
const START_FORMS = ['AB', 'Aktiebolaget', 'AKTIEBOLAGET', 'Oy', 'OY', 'A/S', 'Brf', 'BRF', 'UAB', 'SIA'];

function formPattern(forms: readonly string[]): string {
  const escaped = forms.map((f) => f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/\\\./g, '\\.?').replace(/ /g, '\\s?'));
  return `(?:${escaped.join('|')})`;
}

const LEGAL_FORM = formPattern(END_FORMS);
const COMPANY_FORM = new RegExp(`(?:^|[\\s,])${LEGAL_FORM}$`, 'u');
const COMPANY_START = new RegExp(`^${formPattern(START_FORMS)}\\s\\S`, 'u');
/** Nothing but the legal form ("Inc."): the company's name is before the comma. */
const COMPANY_FORM_ONLY = new RegExp(`^${LEGAL_FORM}$`, 'u');

/**
 * Words that start a last name: "Ludwig van Beethoven", "Jean de la Fontaine", "Erik af Klint", "Seán Ó Briain".
 * Only where a word comes before and after them, so "Van Morrison" keeps "Van" as his first name.
 */
const PARTICLES = new Set([
  'van', 'von', 'vom', 'der', 'den', 'dem', 'ten', 'ter', 'te', 'tot', "van't", "'t", 'zu', 'zum', 'zur', 'af', 'av',
  'de', 'del', 'della', 'delle', 'dello', 'dei', 'degli', 'di', 'da', 'das', 'do', 'dos', 'du', 'des', 'la', 'le', 'lo', 'les',
  'ó', 'ua', 'ní', 'nic', 'mac', 'mhic', 'uí', 'al', 'el', 'bin', 'binti', 'bint', 'ibn',
]);

/**
 * Caller-id name → first/last name, or a company. No word of the name is ever dropped: only the split is decided
 * here, and every word the caller id showed is in the first name, the last name or the company, in its order
 * (for a person, "first last" reads as the caller id did, but for "Last, First"). Not part of the name: a trailing
 * "<1234>" (the number), quotes around the whole name, and quotes or brackets left unbalanced by an encoding.
 * - A name ending in a legal form ("Nilsson Bygg AB", `Bygg "Nord" AB`, "Contoso, Inc.", "Müller UG
 *   (haftungsbeschränkt)"), starting with one ("AB Volvo"), or whose part before a comma does ("Acme AB, Support"),
 *   is a company, quotes and all.
 * - "Person, Company" (the part after the comma is a company and more than its legal form) is both:
 *   `Zoë Ström-Lind, "ZSL" Konsult & Co` → Zoë / Ström-Lind / `"ZSL" Konsult & Co`.
 * - "Last, First" (or "Last; First") is reversed: "O'Brien, Kate" → Kate / O'Brien; particles written after the
 *   first name go back to the last name ("Berg, Vincent van der" → Vincent / van der Berg).
 * - Otherwise the first word is the first name and the rest the last name; all-caps CNAM ("SVENSSON ANNA") is
 *   often last name first, but nothing in it says so: its order is kept.
 * - A quoted nickname or a remark in brackets stays with the word before it: `Robert "Bob" Smith` → `Robert "Bob"`
 *   / Smith, "Maria (reception) Berg" → "Maria (reception)" / Berg. The conversation shows "first last", so it reads
 *   exactly as the caller id did, and the last name holds the family name alone, as a contact's does (and as
 *   `Smith, Robert "Bob"` gives); the nickname and the remark are what tells this caller apart, so they are kept.
 * - A particle starts the last name, and the words before it are the first name: "Anna Maria von Essen" → Anna Maria /
 *   von Essen. (A Spanish "María García de la Vega" gets "María García" as first name: the Dutch and German middle
 *   names of Dstny's markets are the commoner case, and no word is lost either way.)
 * Placeholders ("Unknown", "WIRELESS CALLER"...), names without a letter (a number shown as name) and addresses
 * are not names.
 */
export function splitCallerName(raw: string | undefined): SplitName {
  if (!raw) return {};
  let name = raw.replace(/<[^>]*>\s*$/, '').replace(/[“”„‟]/g, '"').replace(/\s+/g, ' ').trim();
  const wrapped = /^"([^"]*)"$/.exec(name) ?? /^'(.*)'$/.exec(name);
  if (wrapped) name = wrapped[1] ?? '';
  // An odd number of quotes, or brackets that do not pair, are an encoding's leftover, not a nickname or a remark.
  if (count(name, '"') % 2 === 1) name = name.replace(/"/g, '');
  if (count(name, '(') !== count(name, ')')) name = name.replace(/[()]/g, ' ');
  name = name.replace(/\s+/g, ' ').replace(/^[\s,;]+|[\s,;]+$/g, '');
  if (!name || !/\p{L}/u.test(name)) return {};
  // A name that is nothing but a remark ("(Reception)") is that remark.
  if (!withoutRemarks(name)) name = name.replace(/[()]/g, ' ').replace(/\s+/g, ' ').trim();
  if (NO_NAME.test(withoutRemarks(name).replace(/"/g, '').trim())) return {};
  // A SIP URI or an email is an address, not a name.
  if (/^(sips?|tel):/i.test(name) || /^[^\s@]+@[^\s@]+$/.test(name)) return {};
  const comma = topLevelSeparator(name);
  if (comma > 0) {
    const before = name.slice(0, comma).trim();
    const after = name.slice(comma + 1).trim();
    if (isCompany(before)) return { company: name };
    if (after && isCompany(after) && !COMPANY_FORM_ONLY.test(withoutRemarks(after))) return { ...splitPerson(before), company: after };
  }
  if (isCompany(name)) return { company: name };
  if (comma > 0) return lastCommaFirst(name.slice(0, comma).trim(), name.slice(comma + 1).trim());
  return splitPerson(name);
}

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}

/** The name with its remarks in brackets set aside: what legal forms and placeholders are looked for in. */
function withoutRemarks(name: string): string {
  let text = name;
  for (let previous = ''; previous !== text; ) {
    previous = text;
    text = text.replace(/\([^()]*\)/g, ' ');
  }
  return text.replace(/\s+/g, ' ').trim();
}

function isCompany(text: string): boolean {
  const bare = withoutRemarks(text);
  return COMPANY_FORM.test(text) || COMPANY_FORM.test(bare) || COMPANY_START.test(bare);
}

/** Where the first comma or semicolon outside quotes and brackets is ("Maria (sales, north) Berg" has none), or -1. */
function topLevelSeparator(name: string): number {
  let quoted = false;
  let depth = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if ((c === ',' || c === ';') && depth === 0) return i;
  }
  return -1;
}

/** The name's words, a quoted part or a remark in brackets counting as one ("Bobby Joe" in quotes). */
function unitsOf(name: string): string[] {
  const units: string[] = [];
  let current = '';
  let quoted = false;
  let depth = 0;
  for (const c of name) {
    if (c === ' ' && !quoted && depth === 0) {
      if (current) units.push(current);
      current = '';
      continue;
    }
    current += c;
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
  }
  if (current) units.push(current);
  return units;
}

/** A nickname or remark: `"Bob"`, `'Bob'`, "(reception)". */
function isAside(unit: string): boolean {
  return unit.startsWith('"') || unit.startsWith('(') || /^'.+'$/.test(unit);
}

function isParticle(unit: string): boolean {
  return PARTICLES.has(unit.toLowerCase());
}

/** A person's name in reading order: first name, then last name from the first particle or the second word. */
function splitPerson(name: string): SplitName {
  const units = unitsOf(name);
  let end = 0;
  while (end < units.length && isAside(units[end] ?? '')) end++;
  end++;
  while (end < units.length && isAside(units[end] ?? '')) end++;
  const particle = units.findIndex((unit, i) => i >= end && i < units.length - 1 && isParticle(unit));
  if (particle > end) end = particle;
  const first = units.slice(0, end).join(' ');
  const last = units.slice(end).join(' ');
  if (!first) return {};
  return last ? { first, last } : { first };
}

/** "Last, First": particles written after the first name ("Berg, Vincent van der") belong to the last name. */
function lastCommaFirst(last: string, first: string): SplitName {
  if (!first) return splitPerson(last);
  if (!last) return splitPerson(first);
  const units = unitsOf(first);
  let keep = units.length;
  while (keep > 1 && isParticle(units[keep - 1] ?? '')) keep--;
  if (keep === units.length) return { first, last };
  return { first: units.slice(0, keep).join(' '), last: `${units.slice(keep).join(' ')} ${last}` };
}
