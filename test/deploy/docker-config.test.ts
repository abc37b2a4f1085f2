/**
 * config/docker.yaml, the image's configuration: reachable from outside the container, writing only to the image's
 * volumes, and otherwise the same sandbox as config/callbridge.yaml (so the two cannot drift apart unnoticed).
 */
import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { ledgerFile } from '../../src/ledger/open.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { REPO } from '../e2e/support.js';
import { readDockerfile, underWorkdir } from './dockerfile.js';

const image = readDockerfile(path.join(REPO, 'Dockerfile'));
const configArg = image.cmd[image.cmd.indexOf('--config') + 1];
const imageConfig = path.join(REPO, underWorkdir(image, configArg ?? '') ?? '(outside WORKDIR)');

/** Every folder or file the bridge writes with this configuration: ledger, secrets, drop folders, sandbox recordings. */
function writtenPaths(config: Config): string[] {
  return [
    config.dataDir,
    ledgerFile(config),
    ...config.sources.flatMap((s) => (s.type === 'drop' ? [path.resolve(s.path)] : [])),
    ...config.recordings.roots.slice(0, 1).map((r) => path.resolve(r)),
  ];
}

describe("the image's configuration (the Dockerfile CMD's --config)", () => {
  it('is config/docker.yaml, shipped by a COPY of config/', () => {
    expect(path.relative(REPO, imageConfig)).toBe(path.join('config', 'docker.yaml'));
    expect(image.copies.some((c) => c.from === null && c.sources.includes('config'))).toBe(true);
  });

  it('listens on 0.0.0.0 unless CALLBRIDGE_HTTP_HOST says otherwise, so `docker run -p 8080:8080` reaches it', () => {
    expect(loadConfig(imageConfig, {}).config.http.host).toBe('0.0.0.0');
    expect(loadConfig(imageConfig, { CALLBRIDGE_HTTP_HOST: '127.0.0.1' }).config.http.host).toBe('127.0.0.1');
  });

  it('with the image ENV, writes only inside its VOLUMEs (nothing under the read-only WORKDIR)', () => {
    const { config } = loadConfig(imageConfig, image.env);
    const outside = writtenPaths(config).filter((p) => !image.volumes.some((v) => p === v || p.startsWith(`${v}/`)));
    expect(outside).toEqual([]);
    expect(config.http.port).toBe(Number(image.env.CALLBRIDGE_HTTP_PORT));
    expect(image.expose).toContain(config.http.port);
  });

  it('follows CALLBRIDGE_DATA_DIR and CALLBRIDGE_SPOOL_DIR for every path it writes', () => {
    const { config } = loadConfig(imageConfig, { CALLBRIDGE_DATA_DIR: '/srv/d', CALLBRIDGE_SPOOL_DIR: '/srv/s' });
    for (const p of writtenPaths(config)) expect(p).toMatch(/^\/srv\/[ds](\/|$)/);
  });

  it('is the sandbox of config/callbridge.yaml apart from those paths and the listen address', () => {
    const strip = (config: Config) => ({
      ...config,
      dataDir: null,
      http: { ...config.http, host: null },
      recordings: { ...config.recordings, roots: null },
      sources: config.sources.map((s) => (s.type === 'drop' ? { ...s, path: null } : s)),
    });
    const docker = loadConfig(imageConfig, {}).config;
    const sandbox = loadConfig(path.join(REPO, 'config/callbridge.yaml'), {}).config;
    expect(strip(docker)).toEqual(strip(sandbox));
    expect(docker.dstny.token).toBeUndefined();
  });
});
