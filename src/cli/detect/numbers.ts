import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { CallRecord, Party } from '../../../adapters/call-record.js';

/**
 * What the parties' numbers say, as the adapters read them: which are extensions (normalize.internalNumbers),
 * whose they are (the owners template, with the names the PBX shows), and which country the PBX is in
 * (normalize.defaultCountry, from the numbers written with a country code).
 */
export interface NumberFacts {
  /** Extensions seen, in numeric order, with the name shown most often for each. */
  extensions: Array<{ extension: string; name?: string }>;
  /** Regular expressions for normalize.internalNumbers, and how they were found; undefined when no extension was seen. */
  internal?: { patterns: string[]; comment: string };
  /** Owners the PBX itself names (Twilio's own numbers, a generic export's agent column) that are not extensions. */
  otherOwners: string[];
  country?: { code: string; comment: string };
  /** National numbers (a leading 0) were seen: defaultCountry matters for them. */
  national: boolean;
}

// An extension: 2 to 6 digits, not starting with 0 (0046, 0112 are the start of outside numbers).
const EXTENSION = /^[1-9]\d{1,5}$/;

export function numberFacts(legs: readonly CallRecord[]): NumberFacts {
  const names = new Map<string, Map<string, number>>();
  const owners = new Set<string>();
  const countries = new Map<string, number>();
  let national = false;
  const see = (party: Party) => {
    const number = party.number?.trim();
    if (!number) return;
    if (EXTENSION.test(number)) {
      const seen = names.get(number) ?? new Map<string, number>();
      const name = party.name?.trim();
      if (name) seen.set(name, (seen.get(name) ?? 0) + 1);
      names.set(number, seen);
      return;
    }
    if (/^0[1-9]\d{5,}$/.test(number)) national = true;
    const international = number.startsWith('+') ? number : /^00[1-9]\d{6,}$/.test(number) ? `+${number.slice(2)}` : undefined;
    const country = international ? parsePhoneNumberFromString(international)?.country : undefined;
    if (country) countries.set(country, (countries.get(country) ?? 0) + 1);
  };
  for (const leg of legs) {
    see(leg.from);
    see(leg.to);
    for (const c of leg.connections ?? []) {
      see(c.from);
      see(c.to);
    }
    const owner = leg.ownerExtension?.trim();
    if (owner && !EXTENSION.test(owner)) owners.add(owner);
    else if (owner && !names.has(owner)) names.set(owner, new Map());
  }
  const extensions = [...names.entries()]
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([extension, seen]) => {
      const name = [...seen.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
      return name ? { extension, name } : { extension };
    });
  const facts: NumberFacts = { extensions, otherOwners: [...owners].sort(), national };
  if (extensions.length) {
    const lengths = extensions.map((e) => e.extension.length);
    const [min, max] = [Math.min(...lengths), Math.max(...lengths)];
    const shown = extensions.slice(0, 8).map((e) => e.extension).join(', ') + (extensions.length > 8 ? ', ...' : '');
    facts.internal = {
      patterns: [min === max ? `^\\d{${min}}$` : `^\\d{${min},${max}}$`],
      comment: `extensions seen: ${shown} (${min === max ? min : `${min} to ${max}`} digits)`,
    };
  }
  const top = [...countries.entries()].sort((a, b) => b[1] - a[1])[0];
  if (top) {
    const total = [...countries.values()].reduce((a, b) => a + b, 0);
    facts.country = { code: top[0], comment: `${top[1]} of ${total} numbers with a country code are ${top[0]}'s` };
  }
  return facts;
}
