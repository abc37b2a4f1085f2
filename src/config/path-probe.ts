import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

/** What is at a path, and what this process may do with it. */
export interface Probe {
  kind: 'missing' | 'file' | 'folder' | 'other';
  readable: boolean;
  writable: boolean;
  /** A folder may be entered (its files opened); a file: always true. */
  searchable: boolean;
  /** Why it could not be looked at, when that was not "nothing there" (EACCES on a parent, ELOOP...). */
  error?: string;
}

export async function probe(file: string): Promise<Probe> {
  let kind: Probe['kind'];
  try {
    const st = await stat(file);
    kind = st.isFile() ? 'file' : st.isDirectory() ? 'folder' : 'other';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing', readable: false, writable: false, searchable: false };
    return { kind: 'missing', readable: false, writable: false, searchable: false, error: code ?? String(error) };
  }
  // access() asks the kernel with this process's own ids, so a read-only mount or an ACL is answered too.
  const can = (mode: number) =>
    access(file, mode).then(
      () => true,
      () => false,
    );
  return {
    kind,
    readable: await can(constants.R_OK),
    writable: await can(constants.W_OK),
    searchable: kind === 'folder' ? await can(constants.X_OK) : true,
  };
}

/**
 * Whether a folder that is not there can be made (mkdir -p) by this process: its nearest existing ancestor must be
 * a folder we may write to and enter. Returns that ancestor, and what is wrong with it when it is not.
 */
export async function creatableFrom(folder: string): Promise<{ ok: boolean; ancestor: string; why: string }> {
  let dir = path.dirname(path.resolve(folder));
  for (;;) {
    const p = await probe(dir);
    if (p.kind === 'folder') return { ok: p.writable && p.searchable, ancestor: dir, why: 'is not writable' };
    if (p.kind !== 'missing') return { ok: false, ancestor: dir, why: 'is a file' };
    const up = path.dirname(dir);
    if (up === dir) return { ok: false, ancestor: dir, why: 'is not there' };
    dir = up;
  }
}
