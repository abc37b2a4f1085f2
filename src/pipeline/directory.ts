import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { toE164 } from './participant.js';

/**
 * Look-up tables keyed by phone number or extension: the owners directory (extension → email) and the
 * participants' contacts. A number is found under every spelling of it: as written, digits only, and E.164.
 */

export function phoneKeys(value: string, defaultCountry: string): string[] {
  const keys = new Set<string>();
  const text = value.trim();
  if (!text) return [];
  keys.add(text);
  const digits = text.replace(/[^\d+]/g, '');
  if (digits) keys.add(digits);
  const e164 = toE164(text, defaultCountry);
  if (e164?.startsWith('+')) keys.add(e164);
  // Dstny sends mobile_number as a bare number (46701234567): an international number without its "+".
  if (/^\d{8,15}$/.test(digits)) {
    const plus = toE164(`+${digits}`, defaultCountry);
    if (plus?.startsWith('+')) keys.add(plus);
  }
  return [...keys];
}

export class PhoneIndex<T> {
  private readonly byKey = new Map<string, T>();
  constructor(private readonly defaultCountry: string) {}

  /** First writer wins: callers add the most authoritative entries first. */
  add(number: string, value: T): void {
    for (const key of phoneKeys(number, this.defaultCountry)) if (!this.byKey.has(key)) this.byKey.set(key, value);
  }

  get(number: string | undefined): T | undefined {
    if (!number) return undefined;
    const exact = this.byKey.get(number.trim());
    if (exact !== undefined) return exact;
    for (const key of phoneKeys(number, this.defaultCountry)) {
      const hit = this.byKey.get(key);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  get size(): number {
    return this.byKey.size;
  }
}

export interface OwnerEntry {
  email: string;
  name?: string;
  /** E.164 when the directory knows the owner's phone. */
  phone?: string;
}

export interface ContactEntry {
  firstName?: string;
  lastName?: string;
  company?: string;
  email?: string;
  externalId?: string;
}

const emailSchema = z.email();

interface CsvRow {
  line: number;
  fields: string[];
}

function readCsv(file: string): CsvRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [`cannot read ${file}: ${(error as Error).message}`]);
  }
  try {
    const records = parse(text, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      comment: '#',
      relax_column_count: true,
      info: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
    return records.map((r) => ({ line: r.info.lines, fields: r.record }));
  } catch (error) {
    throw new ConfigError(file, [`${file}: ${(error as Error).message}`]);
  }
}

/** Owners CSV: `extension,email[,name]`, an optional header line. Every bad line is listed as FILE:LINE. */
export function loadOwnersCsv(file: string): Array<{ extension: string } & OwnerEntry> {
  const rows = readCsv(file);
  const first = rows[0];
  if (first && !first.fields[1]?.includes('@')) rows.shift();
  const problems: string[] = [];
  const out: Array<{ extension: string } & OwnerEntry> = [];
  for (const { line, fields } of rows) {
    const [extension, email, name] = fields;
    if (!extension || !email) {
      problems.push(`${file}:${line}: expected extension,email[,name]`);
      continue;
    }
    if (!emailSchema.safeParse(email).success) {
      problems.push(`${file}:${line}: "${email}" is not an email address`);
      continue;
    }
    out.push(name ? { extension, email, name } : { extension, email });
  }
  if (problems.length) throw new ConfigError(file, problems);
  return out;
}

const contactColumns = ['number', 'first_name', 'last_name', 'company', 'email', 'external_id'] as const;

/** Contacts CSV with a header naming its columns (any order; `number` required). */
export function loadContactsCsv(file: string): Array<{ number: string } & ContactEntry> {
  const rows = readCsv(file);
  const header = rows.shift();
  if (!header) return [];
  const names = header.fields.map((f) => f.toLowerCase().replace(/[\s-]+/g, '_'));
  const col = (name: (typeof contactColumns)[number]) => names.indexOf(name);
  if (col('number') < 0) {
    throw new ConfigError(file, [`${file}:${header.line}: the header must name a "number" column (columns: ${contactColumns.join(',')})`]);
  }
  const problems: string[] = [];
  const out: Array<{ number: string } & ContactEntry> = [];
  for (const { line, fields } of rows) {
    const get = (name: (typeof contactColumns)[number]) => {
      const i = col(name);
      const v = i >= 0 ? fields[i]?.trim() : undefined;
      return v ? v : undefined;
    };
    const number = get('number');
    if (!number) {
      problems.push(`${file}:${line}: no number`);
      continue;
    }
    const email = get('email');
    if (email && !emailSchema.safeParse(email).success) {
      problems.push(`${file}:${line}: "${email}" is not an email address`);
      continue;
    }
    const entry: { number: string } & ContactEntry = { number };
    const firstName = get('first_name');
    const lastName = get('last_name');
    const company = get('company');
    const externalId = get('external_id');
    if (firstName) entry.firstName = firstName;
    if (lastName) entry.lastName = lastName;
    if (company) entry.company = company;
    if (email) entry.email = email;
    if (externalId) entry.externalId = externalId;
    out.push(entry);
  }
  if (problems.length) throw new ConfigError(file, problems);
  return out;
}

/** Dstny `GET /api/v2/users` items → owners by mobile number. Items without an email or a number are ignored. */
export function ownersFromDstnyUsers(users: unknown[], defaultCountry: string): Array<{ number: string } & OwnerEntry> {
  const out: Array<{ number: string } & OwnerEntry> = [];
  for (const item of users) {
    if (!item || typeof item !== 'object') continue;
    const u = item as Record<string, unknown>;
    const email = typeof u.email === 'string' ? u.email : undefined;
    const mobile = typeof u.mobile_number === 'number' ? String(u.mobile_number) : typeof u.mobile_number === 'string' ? u.mobile_number : undefined;
    if (!email || !mobile?.trim() || !emailSchema.safeParse(email).success) continue;
    const name = [u.first_name, u.last_name].filter((p): p is string => typeof p === 'string' && p.trim() !== '').join(' ');
    const entry: { number: string } & OwnerEntry = { number: mobile, email };
    if (name) entry.name = name;
    const phone = phoneKeys(mobile, defaultCountry).find((k) => k.startsWith('+'));
    if (phone) entry.phone = phone;
    out.push(entry);
  }
  return out;
}
