import { describe, expect, it } from '@jest/globals';
import { effectiveConfig, planReload } from '../../src/bridge/reload-plan.js';
import { validateConfig } from '../../src/config/load.js';

const base = {
  dstny: { token: 'old-secret-token-value' },
  http: { port: 8080 },
  normalize: { owners: { map: { '201': 'a@example.com' } }, groupWindowLegs: 500 },
  sources: [{ id: 'pbx', type: 'hook', adapter: 'asterisk-csv' }],
};

describe('planReload', () => {
  it('is empty for the same configuration', () => {
    expect(planReload(validateConfig(base), validateConfig(base))).toEqual({ live: [], restart: [], sourcesChanged: false });
  });

  it('sorts changed settings into live and restart by path, never showing a value', () => {
    const next = {
      ...base,
      dstny: { token: 'new-secret-token-value' },
      http: { port: 9090 },
      normalize: { owners: { map: { '201': 'b@example.com' } }, groupWindowLegs: 900 },
      sources: [{ id: 'pbx', type: 'hook', adapter: 'asterisk-csv', groupQuietMs: 0 }],
    };
    const plan = planReload(validateConfig(base), validateConfig(next));
    expect(plan).toEqual({
      live: ['normalize.owners.map.201', 'sources'],
      restart: ['dstny.token', 'http.port', 'normalize.groupWindowLegs'],
      sourcesChanged: true,
    });
    expect(JSON.stringify(plan)).not.toContain('secret-token');
  });
});

describe('effectiveConfig', () => {
  it('takes the live changes and keeps the running values of the rest', () => {
    const current = validateConfig(base);
    const next = validateConfig({ ...base, http: { port: 9090 }, normalize: { owners: { map: { '202': 'c@example.com' } }, groupWindowLegs: 900 } });
    const plan = planReload(current, next);
    const config = effectiveConfig(current, next, plan.live);
    expect(config.normalize.owners.map).toEqual({ '202': 'c@example.com' });
    expect(config.normalize.groupWindowLegs).toBe(500);
    expect(config.http.port).toBe(8080);
    expect(current.normalize.owners.map).toEqual({ '201': 'a@example.com' });
  });
});
