/**
 * deploy/docker-compose.ha.yml agrees with itself and with config/ha.yaml: three bridges with the same configuration
 * and command on the one PostgreSQL the file runs, sharing the drop folder, each with its own data volume and port.
 * No Docker here: the file is read, and the configuration loaded with the environment the file gives the bridges.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { describeLedger, ledgerPlace } from '../../src/ledger/open.js';
import { REPO } from '../e2e/support.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] };
}

const DIR = path.join(REPO, 'deploy');
const compose = parse(readFileSync(path.join(DIR, 'docker-compose.ha.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const bridges = Object.entries(compose.services).filter(([name]) => name.startsWith('bridge-'));

/** ${NAME:-default} as compose reads it with NAME unset. */
const defaults = (value: string) => value.replace(/\$\{\w+:-([^}]*)\}/g, '$1');

describe('deploy/docker-compose.ha.yml', () => {
  it('runs three bridges with the same command, configuration and environment, each on its own port and data volume', () => {
    expect(bridges.map(([name]) => name)).toEqual(['bridge-1', 'bridge-2', 'bridge-3']);
    const [, first] = bridges[0]!;
    for (const [, b] of bridges) {
      expect(b.command).toEqual(first.command);
      expect(b.environment).toEqual(first.environment);
      expect(b.volumes).toContain('../config/ha.yaml:/etc/callbridge/callbridge.yaml:ro');
      expect(b.volumes).toContain('spool:/spool');
    }
    expect(first.command).toEqual(['start', '--config', '/etc/callbridge/callbridge.yaml']);
    expect(new Set(bridges.map(([, b]) => b.ports?.[0]?.split(':')[0])).size).toBe(3);
    const data = bridges.map(([, b]) => b.volumes!.find((v) => v.endsWith(':/data')));
    expect(new Set(data).size).toBe(3);
    for (const v of bridges.flatMap(([, b]) => b.volumes!)) {
      const source = v.split(':')[0]!;
      if (!source.startsWith('.')) expect(Object.keys(compose.volumes)).toContain(source);
    }
  });

  it('points every bridge at the PostgreSQL it runs, once that answers', () => {
    const pg = compose.services.postgres!;
    expect(pg.healthcheck?.test.join(' ')).toContain('pg_isready');
    const env = pg.environment!;
    const url = new URL(defaults(bridges[0]![1].environment!.DATABASE_URL!));
    expect({ host: url.hostname, user: url.username, password: url.password, database: url.pathname.slice(1) }).toEqual({
      host: 'postgres',
      user: env.POSTGRES_USER,
      password: defaults(env.POSTGRES_PASSWORD!),
      database: env.POSTGRES_DB,
    });
    for (const [, b] of bridges) expect((b.depends_on as Record<string, { condition: string }>).postgres).toEqual({ condition: 'service_healthy' });
  });

  it('its configuration (config/ha.yaml) is valid with that environment and puts the ledger in that database', () => {
    const environment = Object.fromEntries(Object.entries(bridges[0]![1].environment!).map(([k, v]) => [k, defaults(v)]));
    const { config } = loadConfig(path.join(REPO, 'config', 'ha.yaml'), environment);
    expect(describeLedger(ledgerPlace(config))).toBe('postgres://callbridge@postgres:5432/callbridge');
    expect(config.sources.map((s) => s.type).sort()).toEqual(['drop', 'hook']);
    const emulator = compose.services['dstny-emulator']!;
    expect(emulator.command).toEqual(['emulator', '--host', '0.0.0.0', '--port', '9000']);
    expect(environment.DSTNY_BASE_URL).toBe('http://dstny-emulator:9000');
    expect(defaults(emulator.environment!.DSTNY_API_TOKEN!)).toBe(environment.DSTNY_API_TOKEN);
  });
});
