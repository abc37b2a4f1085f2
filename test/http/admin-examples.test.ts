/**
 * Every example configuration binds 0.0.0.0 and carries a commented `http.admin` block: uncommented as it stands,
 * with its variables set, it must load and protect /status and /metrics with those credentials.
 */
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/load.js';
import { tempDir } from '../support/tmp.js';

const EXAMPLES = path.resolve('config/examples');
const ENV = {
  DSTNY_API_TOKEN: 'test-token-not-real-0001',
  FS_CDR_PASSWORD: 'fs-cdr-password-not-real',
  TWILIO_HOOK_PASSWORD: 'twilio-password-not-real',
  CALLBRIDGE_ADMIN_TOKEN: 'admin-token-not-real-0001',
  CALLBRIDGE_ADMIN_PASSWORD: 'admin-password-not-real',
};

const tmp = tempDir('callbridge-admin-examples-');
afterAll(() => tmp.cleanup());

/** The lines `  # admin:` and the `  #   key: …` lines under it, with their comment marks taken off. */
function uncommentAdmin(text: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^ {2}# admin:\s*$/.test(l));
  if (start < 0) throw new Error('no commented "  # admin:" line');
  lines[start] = '  admin:';
  for (let i = start + 1; i < lines.length && /^ {2}# {3}\S/.test(lines[i] as string); i++) lines[i] = `    ${(lines[i] as string).slice(6)}`;
  return lines.join('\n');
}

const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));

describe('the admin block of the example configurations', () => {
  it('is in every example that binds 0.0.0.0', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const f of files) {
      const text = readFileSync(path.join(EXAMPLES, f), 'utf8');
      expect({ f, host: /^ {2}host: (\S+)/m.exec(text)?.[1] }).toEqual({ f, host: '0.0.0.0' });
      expect({ f, commented: /^ {2}# admin:$/m.test(text) }).toEqual({ f, commented: true });
    }
  });

  it.each(files)('%s: loads without it (loopback only) and, uncommented, with the token and the basic credentials', (f) => {
    const dir = path.join(tmp.dir, path.basename(f, '.yaml'));
    cpSync(EXAMPLES, dir, { recursive: true });
    const file = path.join(dir, f);
    expect(loadConfig(file, { ...ENV }).config.http.admin).toBeUndefined();
    writeFileSync(file, uncommentAdmin(readFileSync(file, 'utf8')));
    expect(loadConfig(file, { ...ENV }).config.http.admin).toEqual({
      token: ENV.CALLBRIDGE_ADMIN_TOKEN,
      username: 'ops',
      password: ENV.CALLBRIDGE_ADMIN_PASSWORD,
    });
  });
});
