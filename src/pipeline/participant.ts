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

const NO_NAME = /^(unknown|anonymous|anonym|restricted|private|private number|unavailable|withheld|blocked|no caller ?id|not available|n\/a|none|null|undefined|wireless caller|caller|okänd|dolt nummer|hemligt nummer)$/i;

export interface SplitName {
  first?: string;
  last?: string;
  /** The caller-id "name" is a company ("Nilsson Bygg AB"): not a person's first and last name. */
  company?: string;
}

// Legal-form words that end (or, for a few, start) a company name in caller-id data.
const LEGAL_FORM =
  '(?:AB|HB|KB|Aktiebolag|Oy|Oyj|AS|ASA|A\\/S|ApS|GmbH|AG|KG|e\\.?V\\.?|Ltd\\.?|Limited|LLC|LLP|L\\.?P\\.?|Inc\\.?|Incorporated|Corp\\.?|Corporation|Co\\.?|plc|PLC|B\\.?V\\.?|N\\.?V\\.?|S\\.?A\\.?|SAS|SARL|S\\.?r\\.?l\\.?|S\\.?p\\.?A\\.?|Pty|Sp\\.? z o\\.?o\\.?)';
const COMPANY_FORM = new RegExp(`(?:^|[\\s,])${LEGAL_FORM}$`);
/** Nothing but the legal form ("Inc."): the company's name is before the comma. */
const COMPANY_FORM_ONLY = new RegExp(`^${LEGAL_FORM}$`);

/**
 * Caller-id name → first/last name, or a company, keeping every character of the name (commas, apostrophes,
 * ampersands, quotes, UTF-8): only the split is decided here, nothing is dropped but a remark in brackets
 * ("Bo (night line)"), the quotes that wrap the whole name and quotes left unbalanced by an encoding.
 * - A name ending in a legal form ("Nilsson Bygg AB", `Bygg "Nord" AB`, "Contoso, Inc."), or whose part before a
 *   comma does ("Acme AB, Support"), is a company.
 * - "Person, Company" (the part after the comma ends in a legal form and is more than it) is both:
 *   `Zoë Ström-Lind, "ZSL" Konsult & Co` → Zoë / Ström-Lind / `"ZSL" Konsult & Co`.
 * - "Last, First" (or "Last; First") is reversed: "O'Brien, Kate" → Kate / O'Brien.
 * - Otherwise the first word is the first name and the rest the last name ("Anna van der Berg",
 *   `Karin "KS" Svensson` → Karin / `"KS" Svensson`); one word is a first name.
 * Placeholders ("Unknown", "anonymous"...), names without a letter (a number shown as name), addresses and a
 * trailing "<1234>" are not names.
 */
export function splitCallerName(raw: string | undefined): SplitName {
  if (!raw) return {};
  let name = raw.replace(/<[^>]*>\s*$/, '').trim();
  const wrapped = /^(["'])(.*)\1$/s.exec(name) ?? /^“(.*)”$/s.exec(name);
  if (wrapped) name = (wrapped.length === 3 ? wrapped[2] : wrapped[1]) ?? '';
  name = name.replace(/\([^()]*\)/g, ' ');
  // An odd number of quotes is an encoding's leftover, not a quoted nickname.
  if ((name.match(/"/g)?.length ?? 0) % 2 === 1) name = name.replace(/"/g, '');
  name = name.replace(/[“”]/g, '').replace(/\s+/g, ' ').trim();
  if (!name || !/\p{L}/u.test(name) || NO_NAME.test(name)) return {};
  // A SIP URI or an email is an address, not a name.
  if (/^(sips?|tel):/i.test(name) || /^[^\s@]+@[^\s@]+$/.test(name)) return {};
  const comma = name.search(/[,;]/);
  if (comma > 0) {
    const before = name.slice(0, comma).trim();
    const after = name.slice(comma + 1).trim();
    if (COMPANY_FORM.test(before)) return { company: name };
    if (after && COMPANY_FORM.test(after) && !COMPANY_FORM_ONLY.test(after)) return { ...splitWords(before), company: after };
  }
  if (COMPANY_FORM.test(name)) return { company: name.replace(/\s*,\s*$/, '') };
  if (comma > 0) {
    const last = name.slice(0, comma).trim();
    const first = name.slice(comma + 1).trim();
    if (first && last) return { first, last };
    name = `${first} ${last}`.trim();
  }
  return splitWords(name);
}

/** The first word as first name, the rest as last name. */
function splitWords(name: string): SplitName {
  const space = name.indexOf(' ');
  if (space < 0) return name ? { first: name } : {};
  return { first: name.slice(0, space), last: name.slice(space + 1) };
}
