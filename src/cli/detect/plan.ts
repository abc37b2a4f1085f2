import { type NumberFacts, numberFacts } from './numbers.js';
import { trunkPatternsFor } from './trunks.js';
import type { SqlProfileId } from '../../sources/sql/profiles.js';
import type { Detected, OptionNotes, UnsetOption, Verdict } from './types.js';
import { type ZoneAdvice, adviseZone } from './zone.js';

/** One source of the starter config: the files of one adapter read with the same options. */
export interface PlannedSource {
  id: string;
  adapter: string;
  options: Record<string, unknown>;
  optionNotes: OptionNotes;
  unset: UnsetOption[];
  files: string[];
  /** A drop folder of this adapter would not pick up files named like these. */
  nameNotes: string[];
  /** An sql source on this table instead of a drop folder. */
  database?: { url: string; profile: SqlProfileId };
}

/** The starter config, before it is written out: everything `render` needs, nothing more. */
export interface Plan {
  verdicts: Verdict[];
  sources: PlannedSource[];
  zone: ZoneAdvice;
  numbers: NumberFacts;
  trunkPatterns: string[];
  recordingFolders: string[];
  todo: string[];
}

export interface PlanContext {
  /** This machine's IANA zone: a guess for the PBX's when its files do not tell. */
  machineZone: string | undefined;
}

/** The detected files as sources (one per adapter and options) and the normalize rules their data suggests. */
export function planConfig(verdicts: readonly Verdict[], ctx: PlanContext): Plan {
  const detected = verdicts.filter((v): v is Detected => v.kind === 'detected');
  const sources: PlannedSource[] = [];
  for (const v of detected) {
    // A table is a source of its own: files of its format go to a drop folder beside it.
    const joinable = (s: PlannedSource) => s.adapter === v.adapter && !s.database && !v.database;
    const same = sources.map((s) => ({ s, merged: joinable(s) ? mergeOptions(s.options, v.options) : undefined })).find((m) => m.merged);
    if (same?.merged) {
      same.s.options = same.merged;
      same.s.files.push(v.file);
      Object.assign(same.s.optionNotes, v.optionNotes);
      for (const u of v.unset) if (!same.s.unset.some((o) => o.key === u.key)) same.s.unset.push(u);
      if (v.nameNote && !same.s.nameNotes.length) same.s.nameNotes.push(v.nameNote);
      continue;
    }
    const name = v.database?.profile ?? v.adapter;
    const taken = sources.filter((s) => s.id === name || s.id.startsWith(`${name}-`)).length;
    sources.push({
      ...(v.database ? { database: v.database } : {}),
      id: taken ? `${name}-${taken + 1}` : name,
      adapter: v.adapter,
      options: JSON.parse(JSON.stringify(v.options)) as Record<string, unknown>,
      optionNotes: { ...v.optionNotes },
      unset: [...v.unset],
      files: [v.file],
      nameNotes: v.nameNote ? [v.nameNote] : [],
    });
  }
  const legs = detected.flatMap((v) => v.trial.legs);
  const numbers = numberFacts(legs);
  const trunkPatterns = [...new Set(detected.flatMap((v) => [...v.trunkPatterns, ...trunkPatternsFor(v.adapter, v.trial.legs)]))];
  return {
    verdicts: [...verdicts],
    sources,
    zone: adviseZone(
      detected.map((v) => v.times),
      ctx.machineZone,
      numbers.country?.code,
    ),
    numbers,
    trunkPatterns,
    recordingFolders: [...new Set(detected.flatMap((v) => v.recordingFolders))],
    todo: [...new Set(detected.flatMap((v) => v.todo))],
  };
}

/**
 * The options two files of one adapter can share, or undefined when they need sources of their own. Lists are
 * joined (a recorder device seen in one CUCM file applies to all); maps of values are joined (a generic export's
 * direction and status words, as far as each file shows them); any other value must be the same in both, and a
 * value one file needs and the other leaves at its default is a difference (usegmtime in one Asterisk file only).
 */
export function mergeOptions(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const [x, y] = [a[key], b[key]];
    if (Array.isArray(x) || Array.isArray(y)) {
      if ((x !== undefined && !Array.isArray(x)) || (y !== undefined && !Array.isArray(y))) return undefined;
      out[key] = [...new Set([...((x as unknown[]) ?? []), ...((y as unknown[]) ?? [])])];
    } else if (key === 'values' && isMap(x) && isMap(y)) {
      out[key] = { ...x, ...y };
    } else if (isMap(x) && isMap(y)) {
      const merged = mergeOptions(x, y);
      if (!merged) return undefined;
      out[key] = merged;
    } else if (JSON.stringify(x) === JSON.stringify(y)) {
      out[key] = x;
    } else return undefined;
  }
  return out;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
