/**
 * deploy/callbridge.service: a unit systemd accepts (`systemd-analyze verify`, where installed), whose user, paths
 * and signals agree with the install steps of deploy/README.md, the build layout the Dockerfile also runs, and what
 * the configuration reads from the environment.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, validateConfig } from '../../src/config/load.js';
import { REPO } from '../e2e/support.js';
import { readDockerfile } from './dockerfile.js';

const UNIT_FILE = path.join(REPO, 'deploy/callbridge.service');
const unitText = readFileSync(UNIT_FILE, 'utf8');
const installDoc = readFileSync(path.join(REPO, 'deploy/README.md'), 'utf8');

/** section → key → every value (a key may repeat: Environment=, ReadWritePaths=). */
function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section: Record<string, string[]> = {};
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = out[header[1]!] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    (section[line.slice(0, eq)] ??= []).push(line.slice(eq + 1));
  }
  return out;
}

const service = parseUnit(unitText).Service!;
const one = (key: string): string => {
  const values = service[key] ?? [];
  if (values.length !== 1) throw new Error(`callbridge.service: expected one ${key}=, found ${values.length}`);
  return values[0]!;
};
const environment = Object.fromEntries((service.Environment ?? []).flatMap((e) => e.split(/\s+/)).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const execStart = one('ExecStart').split(/\s+/);
const configFile = execStart[execStart.indexOf('--config') + 1]!;
const script = execStart.find((a) => a.endsWith('.js'))!;
const installDir = script.slice(0, script.indexOf('/dist/'));

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const hasAnalyze = analyze.status === 0;

describe('deploy/callbridge.service', () => {
  (hasAnalyze ? it : it.skip)(`passes systemd-analyze verify${hasAnalyze ? '' : ' (skipped: systemd-analyze is not installed)'}`, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'callbridge-unit-'));
    try {
      // verify checks that ExecStart's program exists: where node is not at the unit's path (a node:* CI image has
      // /usr/local/bin/node), the rest of the unit is still checked against this machine's node.
      const text = existsSync(execStart[0]!) ? unitText : unitText.replace(`ExecStart=${execStart[0]}`, `ExecStart=${process.execPath}`);
      const file = path.join(dir, 'callbridge.service');
      writeFileSync(file, text);
      const result = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 20_000 });
      // verify exits 0 on settings it ignores, with a warning naming the unit: those count as failures too.
      const complaints = `${result.stdout}${result.stderr}`.split('\n').filter((l) => l.includes('callbridge.service'));
      expect({ status: result.status, complaints }).toEqual({ status: 0, complaints: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts the built install as the documented command: /usr/bin/node, the heap flag, the dist/ entry the image runs', () => {
    const image = readDockerfile(path.join(REPO, 'Dockerfile'));
    expect(execStart[0]).toBe('/usr/bin/node');
    // Same script, relative to the install, as the Docker image's ENTRYPOINT, and the same heap limit.
    expect(path.relative(installDir, script)).toBe(image.entrypoint.find((a) => a.endsWith('.js')));
    expect(execStart).toEqual(expect.arrayContaining(image.entrypoint.filter((a) => a.startsWith('--max-old-space-size'))));
    expect(execStart.slice(execStart.indexOf(script) + 1, execStart.indexOf('--config'))).toEqual(['start']);
  });

  it('uses the install folder, user and configuration file the install steps create', () => {
    expect(installDoc).toContain(`sudo mkdir -p ${installDir}`);
    expect(installDoc).toMatch(new RegExp(`cd ${installDir}\\n`));
    expect(installDoc).toMatch(new RegExp(`useradd --system [^\\n]*\\b${one('User')}\\n`));
    expect(one('Group')).toBe(one('User'));
    expect(installDoc).toMatch(new RegExp(`install [^\\n]* ${configFile.replaceAll('.', '\\.')}\\n`));
    for (const rw of service.ReadWritePaths ?? []) expect(installDoc).toContain(`install -d -o ${one('User')} -g ${one('User')} -m 2770 ${rw.replace(/^-/, '')}`);
    for (const envFile of service.EnvironmentFile ?? []) expect(installDoc).toContain(`install -m 0600 /dev/null ${envFile.replace(/^-/, '')}`);
  });

  it('builds before dropping dev dependencies (the build script needs them)', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: { build: string }; devDependencies: Record<string, string> };
    const tool = pkg.scripts.build.split(/\s+/)[0]!;
    const needsDev = tool === 'tsc' ? 'typescript' in pkg.devDependencies : tool in pkg.devDependencies;
    const build = /^.*npm run build.*$/m.exec(installDoc)?.[0] ?? '';
    expect(build).toContain('npm ci');
    if (needsDev) {
      expect(build.slice(0, build.indexOf('npm run build'))).not.toContain('--omit=dev');
      expect(build.slice(build.indexOf('npm run build'))).toContain('npm prune --omit=dev');
    }
  });

  it('keeps the ledger in its StateDirectory through CALLBRIDGE_DATA_DIR, which any configuration obeys', () => {
    const stateDir = `/var/lib/${one('StateDirectory')}`;
    expect(environment.CALLBRIDGE_DATA_DIR).toBe(stateDir);
    expect(one('WorkingDirectory')).toBe(stateDir);
    // A configuration naming another dataDir (the examples say /var/lib/callbridge, a copied sandbox says ./data) still uses it.
    const { config } = loadConfig(path.join(REPO, 'config/callbridge.yaml'), { CALLBRIDGE_DATA_DIR: environment.CALLBRIDGE_DATA_DIR });
    expect(config.dataDir).toBe(stateDir);
  });

  it('reloads with SIGHUP, stops with SIGTERM and waits longer than requests in flight may take', () => {
    expect(one('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(one('KillSignal')).toBe('SIGTERM');
    expect(one('Restart')).toBe('on-failure');
    expect(Number(one('TimeoutStopSec')) * 1000).toBeGreaterThan(validateConfig({}).submit.shutdownTimeoutMs);
  });

  it('is hardened: read-only system and no home, private /tmp, no new privileges, and no W^X ban that would kill V8', () => {
    expect({
      ProtectSystem: one('ProtectSystem'),
      ProtectHome: one('ProtectHome'),
      PrivateTmp: one('PrivateTmp'),
      NoNewPrivileges: one('NoNewPrivileges'),
    }).toEqual({ ProtectSystem: 'strict', ProtectHome: 'true', PrivateTmp: 'true', NoNewPrivileges: 'true' });
    expect(service.MemoryDenyWriteExecute).toBeUndefined();
    expect(unitText).toMatch(/^#\s*ReadOnlyPaths=/m);
  });
});
