/**
 * deploy/docker-compose.yml agrees with the Dockerfile: it builds it, mounts every VOLUME, gives the command a
 * read-only config where the command looks for it, publishes the port the bridge listens on, and checks health the
 * same way. No Docker here, so this reads both files; the image's own run is test/deploy/dockerfile.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { validateConfig } from '../../src/config/load.js';
import { REPO } from '../e2e/support.js';
import { readDockerfile, underWorkdir } from './dockerfile.js';

interface Service {
  build: { context: string; dockerfile: string };
  restart: string;
  command?: string[];
  environment: string[] | Record<string, string>;
  ports: string[];
  volumes: string[];
  stop_grace_period?: string;
  healthcheck: { test: string[]; interval: string; timeout: string; start_period: string; retries: number };
}

const DIR = path.join(REPO, 'deploy');
const compose = parse(readFileSync(path.join(DIR, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const image = readDockerfile(path.join(REPO, 'Dockerfile'));
const [name, service] = Object.entries(compose.services)[0]!;

/** `src:target[:ro]` → its parts (a ${VAR:-default} source keeps its colon). */
function mount(spec: string): { source: string; target: string; readOnly: boolean } {
  const m = /^(\$\{[^}]*\}|[^:]+):([^:]+)(?::(\w+))?$/.exec(spec);
  if (!m) throw new Error(`docker-compose.yml: cannot read the volume "${spec}"`);
  return { source: m[1]!, target: m[2]!, readOnly: m[3] === 'ro' };
}

const seconds = (d: string): number => {
  const m = /^(\d+)(ms|s|m)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2] as 'ms' | 's' | 'm'];
};

describe('deploy/docker-compose.yml', () => {
  it(`builds the repository's Dockerfile (service ${name}) and restarts unless stopped`, () => {
    expect(existsSync(path.join(DIR, service.build.context, service.build.dockerfile))).toBe(true);
    expect(path.resolve(DIR, service.build.context)).toBe(REPO);
    expect(service.restart).toBe('unless-stopped');
  });

  it('mounts a volume on every Dockerfile VOLUME (/data, /spool), and declares the named ones', () => {
    const mounts = service.volumes.map(mount);
    expect(image.volumes.length).toBeGreaterThan(0);
    for (const volume of image.volumes) {
      const m = mounts.find((x) => x.target === volume);
      expect({ volume, readOnly: m?.readOnly }).toEqual({ volume, readOnly: false });
      if (m && !m.source.startsWith('.') && !m.source.startsWith('/')) expect(Object.keys(compose.volumes ?? {})).toContain(m.source);
    }
  });

  it('gives the command a read-only configuration file at the path its --config names', () => {
    const argv = service.command ?? image.cmd;
    const config = argv[argv.indexOf('--config') + 1]!;
    expect(argv).toContain('--config');
    const inContainer = config.startsWith('/') ? config : path.posix.join(image.workdir, config);
    const m = service.volumes.map(mount).find((x) => x.target === inContainer);
    expect(m?.readOnly).toBe(true);
    // The default mount is the image's own sandbox configuration, so `compose up` without settings works.
    const fallback = /^\$\{\w+:-([^}]+)\}$/.exec(m!.source)?.[1] ?? m!.source;
    expect(path.relative(REPO, path.resolve(DIR, fallback))).toBe(underWorkdir(image, image.cmd[image.cmd.indexOf('--config') + 1]!));
  });

  it('publishes 8080 to the port the bridge listens on in the image', () => {
    const containerPorts = service.ports.map((p) => Number(p.split(':').pop()));
    expect(service.ports).toContain('8080:8080');
    expect(containerPorts).toContain(Number(image.env.CALLBRIDGE_HTTP_PORT));
    expect(image.expose).toContain(Number(image.env.CALLBRIDGE_HTTP_PORT));
  });

  it('passes DSTNY_API_TOKEN from the environment, never a value written here', () => {
    const env = service.environment;
    const token = Array.isArray(env) ? env.find((e) => e.split('=')[0] === 'DSTNY_API_TOKEN') : env.DSTNY_API_TOKEN;
    expect(token).toMatch(/^(DSTNY_API_TOKEN|\$\{DSTNY_API_TOKEN(:-)?\})$/);
  });

  it("checks health as the Dockerfile's HEALTHCHECK does, with its timings", () => {
    expect(image.healthcheckShell).not.toBeNull();
    expect(service.healthcheck.test).toEqual(['CMD-SHELL', image.healthcheckShell]);
    const o = image.healthcheckOptions;
    expect({ interval: seconds(service.healthcheck.interval), timeout: seconds(service.healthcheck.timeout), start: seconds(service.healthcheck.start_period), retries: service.healthcheck.retries }).toEqual({
      interval: seconds(o.interval ?? '30s'),
      timeout: seconds(o.timeout ?? '30s'),
      start: seconds(o['start-period'] ?? '0s'),
      retries: Number(o.retries ?? 3),
    });
  });

  it('waits longer on stop than the bridge may spend finishing requests in flight', () => {
    const { shutdownTimeoutMs } = validateConfig({}).submit;
    expect(seconds(service.stop_grace_period ?? '10s') * 1000).toBeGreaterThan(shutdownTimeoutMs);
  });
});
