import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runCheckConfig } from '../../src/cli/check-config.js';
import { capture } from '../support/capture.js';
import { type S3TestServer, startS3Server } from '../support/s3-server.js';
import { tempDir } from '../support/tmp.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** check-config as an administrator runs it: the real CLI, credentials only in the environment, s3rver on loopback. */
describe('check-config reaches the upload bucket with the bridge\'s credentials', () => {
  let s3: S3TestServer;
  const tmp = tempDir('callbridge-check-bucket-');
  beforeAll(async () => {
    s3 = await startS3Server();
    mkdirSync(path.join(tmp.dir, 'rec'));
  });
  afterAll(async () => {
    await s3.stop();
    tmp.cleanup();
  });

  function run(bucket: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
    const config = path.join(tmp.dir, `${bucket}.yaml`);
    writeFileSync(
      config,
      `dataDir: ${path.join(tmp.dir, 'data')}
recordings:
  roots: [${path.join(tmp.dir, 'rec')}]
  delivery: upload
  upload: { endpoint: "${s3.endpoint}", bucket: ${bucket}, forcePathStyle: true, requestTimeoutSeconds: 3 }
`,
    );
    // No instance metadata look-ups (they would leave loopback), no ~/.aws of the machine.
    const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp.dir, AWS_EC2_METADATA_DISABLED: 'true' };
    return new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'check-config', '--config', config], { cwd: REPO, env: { ...base, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, out: stdout + stderr });
      });
    });
  }
  const keys = () => ({ AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey });

  it('passes when the bucket exists and the key may use it', async () => {
    const { code, out } = await run(s3.bucket, keys());
    expect(out).toContain(': OK');
    expect(code).toBe(0);
    expect(s3.requests.some((r) => r.method === 'HEAD' && r.path.replace(/\/$/, '') === `/${s3.bucket}`)).toBe(true);
  });

  it('names a bucket that does not exist, a key the server does not know, missing credentials and an unreachable server (exit 2)', async () => {
    const missing = await run('no-such-bucket', keys());
    expect(missing.code).toBe(2);
    expect(missing.out).toMatch(/recordings\.upload: .*no-such-bucket/);

    const unknownKey = await run(s3.bucket, { AWS_ACCESS_KEY_ID: 'AKIAWRONGKEY', AWS_SECRET_ACCESS_KEY: 'a-wrong-secret-value-1234' });
    expect(unknownKey.code).toBe(2);
    expect(unknownKey.out).toMatch(/recordings\.upload: .*(access key|credentials)/i);
    expect(unknownKey.out).not.toContain('a-wrong-secret-value-1234');

    const none = await run(s3.bucket, {});
    expect(none.code).toBe(2);
    expect(none.out).toMatch(/recordings\.upload: .*credentials/i);

    await s3.pause();
    try {
      const down = await run(s3.bucket, keys());
      expect(down.code).toBe(2);
      expect(down.out).toMatch(/recordings\.upload: .*cannot reach .*127\.0\.0\.1/);
    } finally {
      await s3.resume();
    }
  });
});

describe('check-config runs ffmpeg when recordings are merged or converted', () => {
  const tmp = tempDir('callbridge-check-ffmpeg-');
  afterAll(() => tmp.cleanup());

  const check = (recordings: string) => {
    const config = path.join(tmp.dir, 'callbridge.yaml');
    writeFileSync(config, `dataDir: ${path.join(tmp.dir, 'data')}\nrecordings:\n  roots: [${tmp.dir}]\n${recordings}`);
    return capture((out) => runCheckConfig(config, out));
  };

  it('passes with Debian\'s ffmpeg on PATH, and names recordings.ffmpeg when it cannot run', async () => {
    const ok = await check('  split: { participant: "{dir}/{name}-in{ext}", owner: "{dir}/{name}-out{ext}" }\n');
    expect(ok.text).toContain(': OK');
    expect(ok.code).toBe(0);
    const missing = await check(`  convert: wav\n  ffmpeg: ${path.join(tmp.dir, 'bin', 'ffmpeg')}\n`);
    expect(missing.code).toBe(2);
    expect(missing.text).toContain(`recordings.ffmpeg: cannot run ffmpeg ("${path.join(tmp.dir, 'bin', 'ffmpeg')}": no such file)`);
    expect(missing.text).toContain('recordings.convert needs it');
  });
});
