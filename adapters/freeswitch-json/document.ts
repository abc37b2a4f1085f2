import { isPlainObject } from '../shared/input.js';

/**
 * One FreeSWITCH CDR (one channel = one leg), in a shape common to mod_json_cdr and mod_xml_cdr, so that
 * both adapters share one field extraction (`extract-leg.ts`).
 *
 * Both modules write the same tree (switch_ivr_generate_json_cdr / _xml_cdr): `channel_data`, `variables`
 * (every channel variable), `app_log`, and one `callflow` per caller profile, newest first, each with a
 * `caller_profile` (caller id as it arrived, destination, uuid, channel name), the `originator` profiles
 * (present on a B leg: the A leg that originated it), the `originatee` profiles (on an A leg: the B leg it
 * was bridged to) and the profile's `times` in microseconds.
 */
export type FsProfile = Record<string, string>;

export interface FsCallflow {
  profileIndex?: number;
  profile: FsProfile;
  originators: FsProfile[];
  originatees: FsProfile[];
  times: Record<string, string>;
}

export interface FsDocument {
  /** Channel variables by lower-cased name (FreeSWITCH variable names are case-insensitive), values decoded. */
  variables: Map<string, string>;
  /** `channel_data.direction`: the switch's view (inbound = the channel came into the switch). */
  channelDirection?: string;
  /** Newest profile first, as FreeSWITCH writes them. */
  callflows: FsCallflow[];
  /** `app_log`: the dialplan applications this channel executed, with their expanded arguments. */
  applications: Array<{ name: string; data: string }>;
}

/**
 * URL-decoding that never throws: `encode-values` writes `%XX` escapes, but FreeSWITCH does not escape a
 * `%` that already starts a valid escape, so a value may hold a stray `%` or bytes that are not UTF-8.
 * Runs that do not decode are left as they are. `+` is left alone: FreeSWITCH writes a space as `%20`
 * and a plus as `%2B`.
 */
export function urlDecode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
      const text = bytes.toString('utf8');
      return text.includes('\uFFFD') ? run : text;
    });
  }
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Keeps the scalar fields of an object (caller profiles, times): nested objects are not fields. */
function scalarFields(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isPlainObject(value)) return out;
  for (const [key, v] of Object.entries(value)) {
    const s = scalar(Array.isArray(v) ? v[0] : v);
    if (s !== undefined) out[key] = s;
  }
  return out;
}

export function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function variablesMap(raw: Record<string, unknown>, decode: boolean): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of Object.entries(raw)) {
    // A repeated variable (an XML element written twice) keeps its first value, like switch_channel_get_variable.
    const s = scalar(Array.isArray(value) ? value[0] : value);
    const key = name.toLowerCase();
    if (s === undefined || map.has(key)) continue;
    map.set(key, decode ? urlDecode(s) : s);
  }
  return map;
}

function sortNewestFirst(callflows: FsCallflow[]): FsCallflow[] {
  if (!callflows.every((c) => c.profileIndex !== undefined)) return callflows;
  return [...callflows].sort((a, b) => (b.profileIndex ?? 0) - (a.profileIndex ?? 0));
}

function profileIndex(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}

/**
 * A mod_json_cdr document → FsDocument, or the reason it is not one.
 * `callflow` is an array in current FreeSWITCH; older versions wrote one `callflow` key per profile
 * (a repeated key: JSON.parse keeps the last, i.e. the oldest profile), so an object is accepted too.
 */
export function fromJsonCdr(value: unknown, decodeValues: boolean): FsDocument | string {
  if (!isPlainObject(value)) return 'not a mod_json_cdr document: expected a JSON object';
  if (!isPlainObject(value.variables)) return 'not a mod_json_cdr document: no "variables" object';
  return fsDocumentOf(value, value.variables, JSON_CDR_NAMES, decodeValues);
}

/**
 * The names under which a CDR tree keeps what differs between the two modules: mod_json_cdr's, or mod_xml_cdr's as
 * fast-xml-parser gives them (attributes prefixed `@_`, one element per repeated profile or application).
 */
export interface CdrTreeNames {
  profileIndex: string;
  originators: string;
  originatees: string;
  applications: string;
  appName: string;
  appData: string;
}

const JSON_CDR_NAMES: CdrTreeNames = {
  profileIndex: 'profile_index',
  originators: 'originator_caller_profiles',
  originatees: 'originatee_caller_profiles',
  applications: 'applications',
  appName: 'app_name',
  appData: 'app_data',
};

/** A CDR tree (both modules write the same one, under the names given) → FsDocument. */
export function fsDocumentOf(tree: Record<string, unknown>, variables: Record<string, unknown>, names: CdrTreeNames, decodeValues: boolean): FsDocument {
  const channelData = isPlainObject(tree.channel_data) ? tree.channel_data : {};
  const callflows = asList(tree.callflow)
    .filter(isPlainObject)
    .map((cf): FsCallflow => {
      const cp = isPlainObject(cf.caller_profile) ? cf.caller_profile : {};
      const originator = isPlainObject(cp.originator) ? cp.originator : {};
      const originatee = isPlainObject(cp.originatee) ? cp.originatee : {};
      const index = profileIndex(scalar(cf[names.profileIndex]));
      return {
        ...(index !== undefined ? { profileIndex: index } : {}),
        profile: scalarFields(cp),
        originators: asList(originator[names.originators]).map(scalarFields),
        originatees: asList(originatee[names.originatees]).map(scalarFields),
        times: scalarFields(cf.times),
      };
    });
  const appLog = isPlainObject(tree.app_log) ? tree.app_log : {};
  const applications = asList(appLog[names.applications])
    .filter(isPlainObject)
    .map((a) => ({ name: scalar(a[names.appName]) ?? '', data: scalar(a[names.appData]) ?? '' }));
  const direction = scalar(channelData.direction);
  return {
    variables: variablesMap(variables, decodeValues),
    ...(direction ? { channelDirection: direction } : {}),
    callflows: sortNewestFirst(callflows),
    applications,
  };
}

/**
 * FsDocument → a mod_json_cdr document of the same content (variables decoded): for what reads CDR text, such as
 * `callbridge detect` on a table whose legs were read from another form (FusionPBX's XML JSON, its columns).
 */
export function toJsonCdr(doc: FsDocument): Record<string, unknown> {
  return {
    ...(doc.channelDirection ? { channel_data: { direction: doc.channelDirection } } : {}),
    variables: Object.fromEntries(doc.variables),
    app_log: { applications: doc.applications.map((a) => ({ app_name: a.name, app_data: a.data })) },
    callflow: doc.callflows.map((c) => ({
      ...(c.profileIndex !== undefined ? { profile_index: String(c.profileIndex) } : {}),
      caller_profile: { ...c.profile, originator: { originator_caller_profiles: c.originators }, originatee: { originatee_caller_profiles: c.originatees } },
      times: c.times,
    })),
  };
}
