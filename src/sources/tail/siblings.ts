import type { Stats } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { statOrNull } from '../files.js';
import { positionOf, type TailPosition } from './checkpoint.js';
import { type Cursor, fingerprintMatches } from './cursor.js';
import { isSiblingName, siblingCandidates } from './rotation.js';

/**
 * The tailed file rotated or copied: a file in the same folder, named like it, accepted by `accept`, whose first
 * bytes are the ones already read and that is at least as long as our offset. Opened, at our offset; the caller
 * closes it. Null when nothing was read yet (nothing to finish) or none is found.
 */
export async function findSibling(file: string, at: TailPosition, accept: (st: Stats) => boolean): Promise<Cursor | null> {
  if (at.offset === 0) return null;
  const dir = path.dirname(file);
  const base = path.basename(file);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return null;
  }
  const found: Array<{ name: string; st: Stats }> = [];
  for (const name of names) {
    if (!isSiblingName(base, name)) continue;
    const full = path.join(dir, name);
    const st = await statOrNull(full);
    if (st) found.push({ name: full, st });
  }
  for (const { name, st } of siblingCandidates(found, at.offset, accept)) {
    const handle = await open(name, 'r').catch(() => null);
    if (!handle) continue;
    if (await fingerprintMatches(handle, at)) return { ...positionOf(at), dev: st.dev, ino: st.ino, handle, name };
    await handle.close().catch(() => undefined);
  }
  return null;
}
