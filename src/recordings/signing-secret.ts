import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { registerSecret } from '../log/redact.js';

export const SIGNING_SECRET_FILE = 'signing-secret';

/**
 * The key for recording links: `recordings.signingSecret` when configured, otherwise one generated on first start
 * and kept in `<dataDir>/signing-secret` (mode 0600) so links stay valid across restarts. Registered with the
 * redactor either way.
 */
export async function loadOrCreateSigningSecret(config: { dataDir: string; recordings: { signingSecret?: string | undefined } }): Promise<string> {
  const configured = config.recordings.signingSecret;
  if (configured) {
    registerSecret(configured);
    return configured;
  }
  const file = path.join(config.dataDir, SIGNING_SECRET_FILE);
  let secret = await readSecret(file);
  if (secret === null) {
    await mkdir(config.dataDir, { recursive: true });
    const fresh = randomBytes(32).toString('base64url');
    try {
      await writeFile(file, `${fresh}\n`, { mode: 0o600, flag: 'wx' });
      secret = fresh;
    } catch (error) {
      // Another process created it first: use theirs, so both sign alike.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      secret = await readSecret(file);
      if (secret === null) throw new Error(`${file} exists but is empty`);
    }
  }
  const st = await stat(file);
  if ((st.mode & 0o077) !== 0) await chmod(file, 0o600);
  registerSecret(secret);
  return secret;
}

async function readSecret(file: string): Promise<string | null> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    if (text.length === 0) return null;
    if (text.length < 16) throw new Error(`${file} holds a signing secret shorter than 16 characters; delete it to generate a new one`);
    return text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
