import { parse as parseYaml } from 'yaml';
import type { Plan, PlannedSource } from './plan.js';
import type { Verdict } from './types.js';
import { type CommentedKey, commentLines, emitMap } from './yaml-text.js';

export interface RenderOptions {
  /** The owners CSV is written beside the config under this name (`--write`): the config names it. Otherwise the
   * template is printed at the end of the YAML, as comments. */
  ownersFile?: string;
}

export interface Rendered {
  /** The starter config: evidence as comments, then the config. Valid YAML, accepted by check-config as it is. */
  yaml: string;
  /** The owners template: `extension,email,name` with one commented line per extension seen. */
  ownersCsv: string;
  /** What `yaml` reads as: for checks. */
  config: Record<string, unknown>;
}

/** The folder a drop source names until the user edits it: where such files would go on a Linux server. */
const dropPlaceholder = (id: string) => `/srv/callbridge/${id}`;

export function renderConfig(plan: Plan, opts: RenderOptions = {}): Rendered {
  const sources = plan.sources.map(sourceConfig);
  const normalize: Record<string, unknown> = { timezone: plan.zone.zone };
  const notes: Record<string, string> = { timezone: plan.zone.comment };
  if (plan.numbers.country) {
    normalize.defaultCountry = plan.numbers.country.code;
    notes.defaultCountry = `${plan.numbers.country.comment}; numbers without a country code are read as this country's`;
  } else if (plan.numbers.national) {
    normalize.defaultCountry = 'SE';
    notes.defaultCountry = "TODO: the PBX's country (two letters): numbers without a country code, like 0701234567, are read as its numbers";
  }
  if (plan.numbers.internal) {
    normalize.internalNumbers = plan.numbers.internal.patterns;
    notes.internalNumbers = `${plan.numbers.internal.comment}; a number matching one is an extension`;
  }
  if (plan.trunkPatterns.length) {
    normalize.trunkPatterns = plan.trunkPatterns;
    notes.trunkPatterns = 'channels that look like trunks (named by a word or a gateway, not an extension): a party on one is outside; check them';
  }
  const owners = ownerList(plan);
  if (opts.ownersFile) {
    normalize.owners = { csv: opts.ownersFile };
    notes['owners.csv'] = `extension,email[,name]: fill in each extension's Dstny user (${owners.length} seen); until then its calls are rejected, and kept to retry`;
  }
  const config: Record<string, unknown> = { sources, normalize };

  const lines: string[] = [...header(plan, opts), ''];
  lines.push('sources:');
  plan.sources.forEach((planned, i) => {
    lines.push(...commentLines(`${planned.files.length === 1 ? 'from' : `from ${planned.files.length} files:`} ${shortList(planned.files)}`, 2));
    for (const note of planned.nameNotes) lines.push(...commentLines(`TODO: ${note}`, 2));
    const where: Record<string, string> = planned.database
      ? { url: urlComment(planned.database.url) }
      : { path: 'TODO: the folder the CDR files are put in (create it); the bridge moves each file it read into processed/ or failed/ inside it' };
    const body = emitMap(sources[i] as Record<string, unknown>, 4, {
      comments: { ...where, ...prefixed('options.', planned.optionNotes) },
      commented: planned.unset.map((u): CommentedKey => ({ path: `options.${u.key}`, value: u.value, note: u.note })),
    });
    lines.push(...body.map((line, j) => (j === 0 ? `  - ${line.slice(4)}` : line)));
  });
  lines.push('', 'normalize:');
  lines.push(...emitMap(normalize, 2, { comments: notes }));
  if (!opts.ownersFile) {
    lines.push(
      ...commentLines(
        `TODO: each extension's Dstny user. Save the owners template at the end of this file as owners.csv beside it (or run detect with --write DIR), fill in the emails, and uncomment these two lines; until then calls are rejected (kept, to retry): no owner for the extension.`,
        2,
      ),
      '  # owners:',
      '  #   csv: owners.csv',
    );
  }
  if (plan.recordingFolders.length) {
    lines.push(
      '',
      ...commentLines(
        `TODO: the recordings are local files (under ${plan.recordingFolders.join(', ')} on the PBX). The bridge serves them to Dstny from recordings.roots: name the folder as this host sees it, and set http.publicBaseUrl to the address Dstny reaches the bridge at. Until then such calls are rejected with that reason.`,
      ),
      '# recordings:',
      `#   roots: [${plan.recordingFolders.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ')}]`,
      '# http:',
      '#   publicBaseUrl: https://callbridge.example.com',
    );
  }
  const ownersCsv = ownersTemplate(owners);
  if (!opts.ownersFile) {
    lines.push(
      '',
      ...commentLines('The owners template: owners.csv holds these lines, with each extension\'s email filled in (--write DIR writes it, each line commented out until it is filled in):'),
      '#   extension,email,name',
      ...owners.map((o) => `#   ${o.extension},,${csvCell(o.name ?? '')}`),
    );
  }
  const yaml = `${lines.join('\n')}\n`;
  // The text is written by hand (comments need it): it must read back as exactly the config it stands for.
  // Compared as JSON: the config is plain data, and key order is the order written.
  if (JSON.stringify(parseYaml(yaml)) !== JSON.stringify(config)) throw new Error(`detect wrote YAML that reads back differently:\n${yaml}`);
  return { yaml, ownersCsv, config };
}

function sourceConfig(planned: PlannedSource): Record<string, unknown> {
  const source: Record<string, unknown> = planned.database
    ? { id: planned.id, type: 'sql', profile: planned.database.profile, url: planned.database.url }
    : { id: planned.id, type: 'drop', path: dropPlaceholder(planned.id), adapter: planned.adapter };
  if (Object.keys(planned.options).length) source.options = planned.options;
  return source;
}

function urlComment(url: string): string {
  return url.includes('${CDR_DB_PASSWORD}')
    ? 'the password is read from the environment: set CDR_DB_PASSWORD where the bridge runs (detect never writes it down); give the bridge a login that may only read this table (README: CDR databases)'
    : 'the table the bridge reads, as detect read it; give the bridge a login that may only read it (README: CDR databases)';
}

function header(plan: Plan, opts: RenderOptions): string[] {
  const tables = plan.sources.filter((s) => s.database).length;
  const files = plan.verdicts.length - tables;
  const from = [files ? `${files} file${files === 1 ? '' : 's'}` : '', tables ? `${tables} CDR table${tables === 1 ? '' : 's'}` : ''].filter(Boolean).join(' and ');
  const config = opts.ownersFile ? 'callbridge.yaml' : 'FILE';
  const lines = commentLines(
    `callbridge detect: a starter configuration from ${from}. Edit every TODO, then check it${files ? ' and try it on the files' : ''}:\n` +
      `  callbridge check-config --config ${config}` +
      (files ? `\n  callbridge parse --config ${config} CDR-FILE...` : ''),
  );
  for (const v of plan.verdicts) {
    lines.push('#');
    lines.push(...commentLines(describeVerdict(v)));
  }
  const todo = [...plan.todo];
  if (plan.zone.guess) todo.unshift('normalize.timezone: the PBX clock\'s zone (see its comment)');
  if (todo.length) {
    lines.push('#', '# Also:');
    for (const item of todo) lines.push(...commentLines(`  - ${item}`));
  }
  return lines;
}

/** "FILE: asterisk-csv, sure" and its evidence, or "FILE: not read: ..." */
function describeVerdict(v: Verdict): string {
  if (v.kind === 'unknown') return `${v.file}: not recognised: ${v.seen}; ${v.why}`;
  return [`${v.file}: ${v.adapter}, ${v.confidence}`, ...v.evidence.map((e) => `  - ${e}`)].join('\n');
}

function ownerList(plan: Plan): Array<{ extension: string; name?: string }> {
  const known = new Set(plan.numbers.extensions.map((e) => e.extension));
  return [...plan.numbers.extensions, ...plan.numbers.otherOwners.filter((o) => !known.has(o)).map((extension) => ({ extension }))];
}

function ownersTemplate(owners: Array<{ extension: string; name?: string }>): string {
  const lines = [
    "# callbridge owners: the Dstny user (email) of each extension the CDRs show. Write each one's email after the",
    '# extension and remove the "# " in front of the line; a line that starts with # is not read.',
    'extension,email,name',
    ...owners.map((o) => `# ${o.extension},,${csvCell(o.name ?? '')}`),
  ];
  return `${lines.join('\n')}\n`;
}

function csvCell(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function prefixed(prefix: string, notes: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(notes).map(([k, v]) => [prefix + k, v]));
}

function shortList(files: readonly string[]): string {
  return files.length <= 3 ? files.join(', ') : `${files.slice(0, 3).join(', ')} and ${files.length - 3} more`;
}
