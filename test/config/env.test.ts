import { describe, expect, it } from '@jest/globals';
import { applyEnvOverrides, interpolate, withEnvironment } from '../../src/config/env.js';

describe('interpolate', () => {
  it('replaces ${NAME} and ${NAME:-fallback} in strings at any depth, leaving other values alone', () => {
    const { value, missing } = interpolate({ a: 'x-${ONE}-y', list: [{ b: '${TWO:-two}' }, 3, true], n: null }, { ONE: '1' });
    expect(value).toEqual({ a: 'x-1-y', list: [{ b: 'two' }, 3, true], n: null });
    expect(missing).toEqual([]);
  });

  it('lists every unset variable (an empty one is unset) with the path of the string that named it', () => {
    const { value, missing } = interpolate({ dstny: { token: '${TOKEN}' }, sources: [{ auth: { password: '${PW}' } }], top: '${TOP}' }, { PW: '' });
    expect(value).toEqual({ dstny: { token: '' }, sources: [{ auth: { password: '' } }], top: '' });
    expect(missing).toEqual([
      { at: 'dstny.token', name: 'TOKEN' },
      { at: 'sources[0].auth.password', name: 'PW' },
      { at: 'top', name: 'TOP' },
    ]);
  });
});

describe('applyEnvOverrides', () => {
  it('writes set variables at their paths, creating sections, numbers only from digits, without touching the input', () => {
    const input = { http: { host: 'h' } };
    const out = applyEnvOverrides(input, { CALLBRIDGE_HTTP_PORT: '9123', DSTNY_API_TOKEN: 'env-token', LOG_LEVEL: '' });
    expect(out).toEqual({ http: { host: 'h', port: 9123 }, dstny: { token: 'env-token' } });
    expect(input).toEqual({ http: { host: 'h' } });
    expect(applyEnvOverrides(undefined, { CALLBRIDGE_HTTP_PORT: 'eighty' })).toEqual({ http: { port: 'eighty' } });
  });
});

describe('withEnvironment', () => {
  it('puts unset variables first, drops what their empty values caused, and names the variable behind a bad value', () => {
    const problems = ['sources[0].auth.password: Too small', 'sources[0].authx: other', 'http.port: expected a number, got "x"', 'submit: unknown key "a"'];
    expect(withEnvironment(problems, [{ at: 'sources[0].auth', name: 'PW' }], { CALLBRIDGE_HTTP_PORT: 'x' })).toEqual([
      'sources[0].auth: environment variable PW is not set',
      'sources[0].authx: other',
      'http.port: expected a number, got "x" (set by environment variable CALLBRIDGE_HTTP_PORT)',
      'submit: unknown key "a"',
    ]);
    expect(withEnvironment(['dataDir: bad'], [{ at: '', name: 'ROOT' }], {})).toEqual(['(root): environment variable ROOT is not set']);
  });
});
