import type { RowSearch } from './ledger.js';

/** What an operator's search text can be, as a ledger matches it (the same for every implementation). */
export interface SearchTerms {
  /** Matched as an external id or conversation id (whole), and as the beginning of an external id. */
  text: string;
  /** Lower-cased, when the text is an email address. */
  email: string | null;
  /** The digits of a phone number without leading zeros (0701234567 → 701234567), matched anywhere in a call's numbers. */
  phoneDigits: string | null;
}

export const DEFAULT_SEARCH_LIMIT = 50;

/** Pure: how a ledger reads `q.text`; null when there is no text to match. */
export function searchTerms(q: Pick<RowSearch, 'text'>): SearchTerms | null {
  const text = q.text?.trim() ?? '';
  if (!text) return null;
  const email = /^[^\s@]+@[^\s@]+$/.test(text) ? text.toLowerCase() : null;
  const digits = /^[+\d\s().\-/]+$/.test(text) ? text.replace(/\D/g, '').replace(/^0+/, '') : '';
  return { text, email, phoneDigits: digits.length >= 4 ? digits : null };
}

/** `value` for a LIKE pattern with `\` as its escape character. */
export function likeEscaped(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
