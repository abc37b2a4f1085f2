import { CallbridgeError } from '../errors.js';

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A time an operator types for `--since` / `--until` (epoch ms): how long ago ("90m", "24h", "7d"), or an ISO 8601
 * date or time, read as UTC unless it names its zone ("2026-12-01", "2026-12-01T14:00", "2026-12-01T14:00+01:00").
 */
export function parseWhen(option: string, text: string, now: number): number {
  const value = text.trim();
  const ago = /^(\d+)\s*([mhd])$/.exec(value);
  if (ago) return now - Number(ago[1]) * UNIT_MS[ago[2]!]!;
  const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(value);
  if (iso) {
    const zoned = iso[1] ? value : value.length === 10 ? `${value}T00:00:00Z` : `${value.replace(' ', 'T')}Z`;
    const ms = Date.parse(zoned);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new CallbridgeError(`${option} "${text}" is not a time: give how long ago (90m, 24h, 7d) or an ISO date or time (2026-12-01, 2026-12-01T14:00, 2026-12-01T14:00+01:00; UTC unless it names its zone)`);
}
