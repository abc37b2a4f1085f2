/**
 * A Dockerfile read the way `docker build` reads it, for the instructions the deploy tests need: line continuations,
 * comments, stages, ENV (both forms), exec (JSON) and shell forms. The tests take the image's user, folders and
 * command line from here, so they test the Dockerfile as it is, not a copy of it.
 */
import { readFileSync } from 'node:fs';

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name: string | null;
  instructions: Instruction[];
}

export interface Copy {
  from: string | null;
  sources: string[];
  dest: string;
}

/** What the final stage sets up: what `docker run IMAGE` runs, as whom, where, with which environment. */
export interface Image {
  stages: Stage[];
  env: Record<string, string>;
  user: string | null;
  workdir: string;
  entrypoint: string[];
  cmd: string[];
  copies: Copy[];
  volumes: string[];
  expose: number[];
  stopSignal: string;
  /** The HEALTHCHECK command as docker runs it (a shell form becomes ['/bin/sh', '-c', text]). */
  healthcheck: string[] | null;
  /** The shell text of a shell-form HEALTHCHECK (compose's CMD-SHELL), null for the exec form. */
  healthcheckShell: string | null;
  /** HEALTHCHECK's options by name: { interval: '30s', retries: '3', ... }. */
  healthcheckOptions: Record<string, string>;
}

/** Logical lines: continuations joined, comment lines (also inside a continuation) and blank lines dropped. */
export function logicalLines(text: string): Instruction[] {
  const out: Instruction[] = [];
  let buffer = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (/^\s*#/.test(line) || (!buffer && !line.trim())) return;
    if (!buffer) start = i + 1;
    // docker drops the backslash and the line break; the next line's indentation stays.
    if (/\\\s*$/.test(line)) {
      buffer += line.replace(/\\\s*$/, '');
      return;
    }
    buffer += line;
    const m = /^\s*(\S+)\s*(.*)$/s.exec(buffer);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start });
    buffer = '';
  });
  return out;
}

/** Words split on blanks, keeping "quoted" and 'quoted' parts together (quotes removed, \x unescaped in "..."). */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let current: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) current += text[++i]!;
      else current += c;
    } else if (/\s/.test(c)) {
      if (current !== null) words.push(current);
      current = null;
    } else {
      current ??= '';
      if (c === '"' || c === "'") quote = c;
      else current += c;
    }
  }
  if (current !== null) words.push(current);
  return words;
}

/** Exec form (a JSON array) as is; shell form as docker runs it. */
function commandOf(args: string): { argv: string[]; shell: string | null } {
  if (args.startsWith('[')) return { argv: JSON.parse(args) as string[], shell: null };
  return { argv: ['/bin/sh', '-c', args], shell: args };
}

/** `ENV A=1 B="two words"` and the old `ENV A 1`. */
function envOf(args: string): Record<string, string> {
  const first = /^(\S+)\s(.*)$/.exec(args);
  if (first && !first[1]!.includes('=')) return { [first[1]!]: first[2]! };
  return Object.fromEntries(
    shellWords(args).map((word) => {
      const eq = word.indexOf('=');
      return [word.slice(0, eq), word.slice(eq + 1)];
    }),
  );
}

export function parseDockerfile(text: string): Image {
  const stages: Stage[] = [];
  for (const ins of logicalLines(text)) {
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      stages.push({ from: m?.[1] ?? ins.args, name: m?.[2] ?? null, instructions: [] });
    } else if (stages.length) {
      stages[stages.length - 1]!.instructions.push(ins);
    }
  }
  const final = stages[stages.length - 1];
  if (!final) throw new Error('Dockerfile: no FROM');
  const image: Image = {
    stages,
    env: {},
    user: null,
    workdir: '/',
    entrypoint: [],
    cmd: [],
    copies: [],
    volumes: [],
    expose: [],
    stopSignal: 'SIGTERM',
    healthcheck: null,
    healthcheckShell: null,
    healthcheckOptions: {},
  };
  for (const { keyword, args } of final.instructions) {
    if (keyword === 'ENV') Object.assign(image.env, envOf(args));
    else if (keyword === 'USER') image.user = args;
    else if (keyword === 'WORKDIR') image.workdir = args.startsWith('/') ? args : `${image.workdir.replace(/\/$/, '')}/${args}`;
    else if (keyword === 'ENTRYPOINT') {
      image.entrypoint = commandOf(args).argv;
      image.cmd = []; // docker resets CMD when ENTRYPOINT is set after it
    } else if (keyword === 'CMD') image.cmd = commandOf(args).argv;
    else if (keyword === 'VOLUME') image.volumes.push(...(args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/)));
    else if (keyword === 'EXPOSE') image.expose.push(...args.split(/\s+/).map((p) => Number.parseInt(p, 10)));
    else if (keyword === 'STOPSIGNAL') image.stopSignal = /^\d+$/.test(args) ? args : args.startsWith('SIG') ? args : `SIG${args}`;
    else if (keyword === 'COPY') {
      const words = args.startsWith('[') ? (JSON.parse(args) as string[]) : shellWords(args);
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length) ?? null;
      const paths = words.filter((w) => !w.startsWith('--'));
      image.copies.push({ from, sources: paths.slice(0, -1), dest: paths[paths.length - 1]! });
    } else if (keyword === 'HEALTHCHECK') {
      const m = /^((?:--\S+\s+)*)CMD\s+(.*)$/s.exec(args);
      if (m) {
        image.healthcheckOptions = Object.fromEntries([...m[1]!.matchAll(/--([\w-]+)=(\S+)/g)].map((o) => [o[1]!, o[2]!]));
        const { argv, shell } = commandOf(m[2]!);
        image.healthcheck = argv;
        image.healthcheckShell = shell;
      } else image.healthcheck = null; // HEALTHCHECK NONE
    }
  }
  return image;
}

export function readDockerfile(file: string): Image {
  return parseDockerfile(readFileSync(file, 'utf8'));
}

/** The users the node base images define; a numeric USER needs no table. */
const BASE_IMAGE_USERS: Record<string, number> = { root: 0, node: 1000 };

/** USER as numbers: `1000:1000`, `node`, `node:node`. Unknown names fail loudly rather than guess. */
export function userIds(user: string | null): { uid: number; gid: number } {
  const [u = 'root', g] = (user ?? 'root').split(':');
  const id = (name: string): number => {
    if (/^\d+$/.test(name)) return Number(name);
    const known = BASE_IMAGE_USERS[name];
    if (known === undefined) throw new Error(`Dockerfile USER ${name}: not a user of the node base image; use a number`);
    return known;
  };
  const uid = id(u);
  return { uid, gid: g === undefined ? uid : id(g) };
}

/** A path the container sees (absolute, or relative to WORKDIR) as a path inside `workdir`. */
export function underWorkdir(image: Pick<Image, 'workdir'>, p: string): string | null {
  const abs = p.startsWith('/') ? p : `${image.workdir.replace(/\/$/, '')}/${p}`;
  const root = image.workdir.replace(/\/$/, '');
  if (abs === root) return '.';
  return abs.startsWith(`${root}/`) ? abs.slice(root.length + 1).replace(/\/$/, '') : null;
}
