import { mapPath } from '../shared/recording-template.js';
import type { FsDocument } from './document.js';
import type { FreeswitchExtractOptions } from './options.js';

export interface FoundRecording {
  url?: string;
  path?: string;
  /** Where it was found, for the README and for debugging a wrong pick: "variable record_path/record_name". */
  from: string;
}

type Lookup = (name: string) => string | undefined;

/**
 * The recording of one leg: the configured variables first (names or `${var}` templates), then, when
 * enabled, the file a recording application was started with. A value that still holds an unexpanded
 * `${...}` is not a file name and is passed over.
 */
export function findRecording(
  doc: FsDocument,
  v: Lookup,
  opts: FreeswitchExtractOptions['recording'],
  answered: boolean,
): FoundRecording | undefined {
  for (const entry of opts.variables) {
    const value = entry.includes('${') ? expandTemplate(entry, v) : v(entry);
    const found = classify(value, opts.pathMap, `variable ${entry}`);
    if (found) return found;
  }
  if (!opts.fromApplications) return undefined;

  for (const app of doc.applications) {
    const file = fileOfApplication(app.name, app.data);
    const found = classify(file, opts.pathMap, `app_log ${app.name}`);
    if (found) return found;
  }
  const hooks = [...doc.variables.keys()]
    .filter((name) => /^(execute_on_(answer|pre_answer|media|originate)|api_on_answer)(_\d+)?$/.test(name))
    // An on-answer hook of a leg nobody answered never ran: there is no file to wait for.
    .filter((name) => answered || !/_on_answer/.test(name))
    .sort();
  for (const name of hooks) {
    const value = doc.variables.get(name) ?? '';
    const split = /^\s*([A-Za-z_][\w]*)(?:::|\s+)(.*)$/s.exec(value);
    if (!split) continue;
    const found = classify(fileOfApplication(split[1] ?? '', split[2] ?? ''), opts.pathMap, `variable ${name}`);
    if (found) return found;
  }
  return undefined;
}

/** `${record_path}/${record_name}` → the joined value, or undefined when one of its variables is unset. */
export function expandTemplate(template: string, v: Lookup): string | undefined {
  let missing = false;
  const out = template.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    const value = v(name.trim());
    if (value === undefined) missing = true;
    return value ?? '';
  });
  return missing ? undefined : out;
}

/** The file argument of `record_session FILE [+limit]` or `uuid_record <uuid> start FILE [limit]`. */
export function fileOfApplication(name: string, data: string): string | undefined {
  const app = name.trim().toLowerCase();
  let arg: string | undefined;
  if (app === 'record_session') arg = data;
  else if (app === 'uuid_record') arg = /^\s*\S+\s+start\s+(.+)$/is.exec(data)?.[1];
  if (!arg) return undefined;
  // Leading {var=value} / [var=value] / <var=value> blocks are per-call settings, not part of the path.
  let text = arg.trim();
  while (/^[{[<]/.test(text)) {
    const close = text.indexOf({ '{': '}', '[': ']', '<': '>' }[text[0] as '{' | '[' | '<']);
    if (close === -1) return undefined;
    text = text.slice(close + 1).trim();
  }
  return text.replace(/\s+\+?\d+\s*$/, '').trim() || undefined;
}

function classify(value: string | undefined, pathMap: FreeswitchExtractOptions['recording']['pathMap'], from: string): FoundRecording | undefined {
  const text = value?.trim();
  if (!text || text.includes('${') || text === '/') return undefined;
  if (/^https?:\/\//i.test(text)) return { url: text, from };
  return { path: mapPath(text, pathMap), from };
}

/** FreeSWITCH's switch_true: the words it accepts as "on". */
export function fsTrue(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (['true', 'yes', 'on', 'enabled', 'active', 'allow', 't', 'y'].includes(v)) return true;
  if (/^\d+$/.test(v)) return Number(v) !== 0;
  if (['false', 'no', 'off', 'disabled', 'inactive', 'disallow', 'f', 'n'].includes(v)) return false;
  return undefined;
}
