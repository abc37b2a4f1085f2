import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { link, mkdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/** sha256 (hex) of a file's content, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** YYYY-MM-DD of the bridge host's local date (what an administrator looks for in processed/). */
export function localDate(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** `name`, then `stem-1.ext`, `stem-2.ext`, ... */
export function candidateName(name: string, n: number): string {
  if (n === 0) return name;
  const ext = path.extname(name);
  const stem = ext && ext !== name ? name.slice(0, -ext.length) : name;
  return `${stem}-${n}${ext}`;
}

const LINK_UNSUPPORTED = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'ENOSYS', 'EOPNOTSUPP', 'EMLINK']);

/**
 * Move `file` into `destDir` under its own name, or with a numeric suffix when that name is taken: never overwrites.
 * A hard link + unlink makes "is the name free" and "take it" one step; file systems without hard links (some
 * network mounts) fall back to check-then-rename. A crash between link and unlink leaves the file in both places,
 * which the drop folder then recognises as already imported (content hash) and moves again.
 */
export async function moveNoClobber(file: string, destDir: string): Promise<string> {
  await mkdir(destDir, { recursive: true });
  const name = path.basename(file);
  let useLink = true;
  for (let n = 0; n < 10_000; n++) {
    const dest = path.join(destDir, candidateName(name, n));
    if (useLink) {
      try {
        await link(file, dest);
        await unlink(file);
        return dest;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        if (code === 'EEXIST') continue;
        if (!LINK_UNSUPPORTED.has(code)) throw error;
        useLink = false;
      }
    }
    if (await exists(dest)) continue;
    await rename(file, dest);
    return dest;
  }
  throw new Error(`no free name for ${name} in ${destDir}`);
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

export function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** An error for a log line or lastProblem: its errno code first when it has one (EACCES says what to fix). */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = errnoCode(error);
    return code ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/** The stat of a path, or null when nothing is there: a file not created yet, or renamed away, is a state. */
export async function statOrNull(file: string): Promise<Stats | null> {
  try {
    return await stat(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  }
}
