import type { CallRecord, Party } from '../../../adapters/call-record.js';

/**
 * Channels that are trunks (the outside world), from the channel names the adapter read: normalize.trunkPatterns,
 * so that a party on one is external whatever its number looks like. Only names that say so by their form:
 * an Asterisk endpoint named by a word instead of an extension (PJSIP/telia-00000a3f), a FreeSWITCH gateway or the
 * external profile, a CUCM device that is not a phone.
 */
export function trunkPatternsFor(adapter: string, legs: readonly CallRecord[]): string[] {
  const channels = new Set<string>();
  for (const leg of legs) for (const party of partiesOf(leg)) if (party.channel) channels.add(party.channel);
  if (adapter === 'asterisk-csv') return asteriskTrunks(channels);
  if (adapter === 'freeswitch-json' || adapter === 'freeswitch-xml') return freeswitchTrunks(channels);
  if (adapter === 'cucm') {
    const devices = [...channels].filter((c) => !isPhoneDevice(c)).sort();
    return devices.slice(0, 10).map((d) => `^${escapeRegExp(d)}$`);
  }
  return [];
}

function* partiesOf(leg: CallRecord): Generator<Party> {
  yield leg.from;
  yield leg.to;
  for (const c of leg.connections ?? []) {
    yield c.from;
    yield c.to;
  }
}

const ASTERISK_ENDPOINT = /^(PJSIP|SIP|IAX2)\/([^/@;-]+)-[0-9a-f]+$/i;

function asteriskTrunks(channels: Set<string>): string[] {
  const techs = new Set<string>();
  const names = new Set<string>();
  for (const channel of channels) {
    const m = ASTERISK_ENDPOINT.exec(channel);
    // An endpoint named by digits is a phone (PJSIP/201-...); one named by a word is a provider's trunk.
    if (!m || /^\d+$/.test(m[2] ?? '')) continue;
    techs.add(m[1] ?? '');
    names.add(m[2] ?? '');
  }
  if (!names.size) return [];
  const tech = techs.size === 1 ? [...techs][0] : `(?:${[...techs].sort().join('|')})`;
  const name = names.size === 1 ? escapeRegExp([...names][0] ?? '') : `(?:${[...names].sort().map(escapeRegExp).join('|')})`;
  return [`^${tech}/${name}-`];
}

function freeswitchTrunks(channels: Set<string>): string[] {
  const kinds = new Set<string>();
  for (const channel of channels) {
    const m = /^sofia\/(gateway|external)\//i.exec(channel);
    if (m) kinds.add(m[1]?.toLowerCase() ?? '');
  }
  if (!kinds.size) return [];
  return [`^sofia/${kinds.size === 1 ? [...kinds][0] : '(?:gateway|external)'}/`];
}

/** Phones and soft clients: SEP<MAC>, Jabber CSF/BOT/TCT/TAB, analog ATA ports. Any other device is a trunk or gateway. */
export function isPhoneDevice(name: string): boolean {
  return /^(?:SEP|CSF|BOT|TCT|TAB|ATA|AN|SKIGW)[0-9A-Z_]*$/i.test(name);
}

export function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}
