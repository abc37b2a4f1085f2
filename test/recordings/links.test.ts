import { describe, expect, it } from '@jest/globals';
import { RecordingLinks } from '../../src/recordings/links.js';

const SECRET = 'links-test-secret-0123456789';
const links = new RecordingLinks({ publicBaseUrl: 'https://bridge.example.com/', secret: SECRET, ttlHours: 2 });
const tokenOf = (url: string) => url.slice(links.prefix.length);

describe('RecordingLinks', () => {
  it('makes links under <publicBaseUrl>/recordings/ that it verifies, naming the call and expiring ttlHours after issue', () => {
    const issued = Date.parse('2026-12-06T10:00:00Z');
    const url = links.url('call-7', issued);
    expect(url.startsWith('https://bridge.example.com/recordings/')).toBe(true);
    expect(links.verify(tokenOf(url), issued + 3600_000)).toEqual({ ok: true, claim: { id: 'call-7', exp: issued / 1000 + 7200 } });
    expect(links.verify(tokenOf(url), issued + 7201_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('does not accept a link signed with another secret', () => {
    const other = new RecordingLinks({ publicBaseUrl: 'https://bridge.example.com', secret: 'another-secret-0123456789', ttlHours: 2 });
    expect(links.verify(tokenOf(other.url('call-7')))).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('tells its own links from other URLs', () => {
    expect(links.isOwn(links.url('x'))).toBe(true);
    expect(links.isOwn('https://pbx.example.com/recordings/x.wav')).toBe(false);
    expect(links.isOwn('https://bridge.example.com/hooks/pbx')).toBe(false);
  });

  it('signs its own link in a payload anew and leaves any other URL as it is', () => {
    const now = Date.parse('2026-12-06T12:00:00Z');
    const stale = { call_recording_url: links.url('call-1', now - 10 * 3600_000), title: 'x' };
    const fresh = links.refresh(stale, 'call-1', now);
    expect(fresh).toMatchObject({ title: 'x' });
    expect(links.verify(tokenOf(fresh.call_recording_url), now)).toMatchObject({ ok: true, claim: { id: 'call-1' } });
    expect(links.verify(tokenOf(stale.call_recording_url), now)).toEqual({ ok: false, reason: 'expired' });
    const remote = { call_recording_url: 'https://pbx.example.com/rec/1.wav' };
    expect(links.refresh(remote, 'call-1', now)).toBe(remote);
  });
});
