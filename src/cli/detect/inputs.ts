import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** A folder of one-file-per-leg CDRs (FreeSWITCH's json_cdr/) can hold millions: a few hundred tell the format. */
export const MAX_FILES_PER_FOLDER = 200;

export type Input = { kind: 'file'; file: string } | { kind: 'problem'; file: string; message: string };

/**
 * The files behind the paths given: a file is itself, a folder its files (not its subfolders: a drop folder's
 * processed/ and failed/ hold what was already read; hidden files are a writer's temporary ones).
 */
export async function expandInputs(paths: readonly string[]): Promise<{ inputs: Input[]; notes: string[] }> {
  const inputs: Input[] = [];
  const notes: string[] = [];
  for (const given of paths) {
    let kind: 'file' | 'folder' | 'other';
    try {
      const s = await stat(given);
      kind = s.isFile() ? 'file' : s.isDirectory() ? 'folder' : 'other';
    } catch (error) {
      inputs.push({ kind: 'problem', file: given, message: `cannot read it: ${reason(error)}` });
      continue;
    }
    if (kind === 'file') inputs.push({ kind: 'file', file: given });
    else if (kind === 'other') inputs.push({ kind: 'problem', file: given, message: 'not a regular file or a folder' });
    else {
      let names: string[];
      try {
        names = (await readdir(given, { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name).sort();
      } catch (error) {
        inputs.push({ kind: 'problem', file: given, message: `cannot list the folder: ${reason(error)}` });
        continue;
      }
      if (!names.length) inputs.push({ kind: 'problem', file: given, message: 'the folder has no files (subfolders are not looked into)' });
      if (names.length > MAX_FILES_PER_FOLDER) {
        notes.push(`${given}: ${names.length} files; the first ${MAX_FILES_PER_FOLDER} (by name) were looked at`);
      }
      for (const name of names.slice(0, MAX_FILES_PER_FOLDER)) inputs.push({ kind: 'file', file: path.join(given, name) });
    }
  }
  return { inputs, notes };
}

/** The first `maxBytes` of a file, and its whole size. */
export async function readHead(file: string, maxBytes: number): Promise<{ bytes: Uint8Array; size: number }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.min(size, maxBytes));
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { bytes: buffer.subarray(0, filled), size };
  } finally {
    await handle.close();
  }
}

export function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}
