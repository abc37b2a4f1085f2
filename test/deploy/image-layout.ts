/**
 * The Docker image's /app laid out in a temp folder, without Docker: what the final stage COPYs, the build stage's
 * dist/ compiled the way its `npm run build` compiles it, node_modules linked to the checkout's. Owned by root with
 * 755/644, so the image's user can read it and write nothing, as in the image.
 */
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, lchownSync, lstatSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Image } from './dockerfile.js';

const run = promisify(execFile);

function stageWorkdir(image: Image, name: string): string {
  const stage = image.stages.find((s) => s.name === name);
  if (!stage) throw new Error(`Dockerfile: COPY --from=${name}, but no stage is named ${name}`);
  const wd = [...stage.instructions].reverse().find((i) => i.keyword === 'WORKDIR');
  return (wd?.args ?? '/').replace(/\/$/, '');
}

/**
 * Compile as the build stage's `npm run build` does (tsc -p tsconfig.build.json), into `outDir`. --noCheck: the same
 * files (isolatedModules makes emit independent of types) in a third of the time; `npm run typecheck` checks types.
 */
export async function buildDist(repo: string, outDir: string): Promise<void> {
  const tsc = path.join(repo, 'node_modules/typescript/bin/tsc');
  try {
    await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--noCheck', '--outDir', outDir], { cwd: repo, timeout: 120_000 });
  } catch (error) {
    // The image's `npm run build` stops here too: say why, in tsc's words.
    const out = (error as { stdout?: string }).stdout ?? '';
    throw new Error(`tsc -p tsconfig.build.json failed, so \`docker build\` would too:\n${out.split('\n').slice(0, 20).join('\n') || (error as Error).message}`);
  }
}

/**
 * Every COPY of the final stage, into `app` (the image's WORKDIR). From the build stage only `dist` (compiled here)
 * and `node_modules` (a link to the checkout's) are known; anything else fails, naming the line to teach this.
 */
export async function layOutApp(image: Image, repo: string, app: string): Promise<void> {
  mkdirSync(app, { recursive: true });
  const target = (dest: string, source: string): string => {
    const inside = dest.startsWith('/') ? path.relative(image.workdir, dest) : dest;
    if (inside.startsWith('..')) throw new Error(`Dockerfile: COPY to ${dest} is outside WORKDIR ${image.workdir}`);
    return dest.endsWith('/') ? path.join(app, inside, path.basename(source)) : path.join(app, inside);
  };
  for (const copy of image.copies) {
    for (const source of copy.sources) {
      const to = target(copy.dest, source);
      mkdirSync(path.dirname(to), { recursive: true });
      if (copy.from === null) {
        cpSync(path.join(repo, source), to, { recursive: true });
        continue;
      }
      const built = path.relative(stageWorkdir(image, copy.from), source);
      if (built === 'dist') await buildDist(repo, to);
      else if (built === 'node_modules') symlinkSync(path.join(repo, 'node_modules'), to);
      else throw new Error(`test/deploy cannot lay out COPY --from=${copy.from} ${source}: teach image-layout.ts how it is built`);
    }
  }
}

/** Root's, directories 755 and files 644 (symlinks are not followed): readable, not writable, by anyone else. */
export function rootReadOnly(dir: string): void {
  const walk = (p: string): void => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    lchownSync(p, 0, 0);
    chmodSync(p, st.isDirectory() ? 0o755 : 0o644);
    if (st.isDirectory()) for (const name of readdirSync(p)) walk(path.join(p, name));
  };
  walk(dir);
}

/** path → type, size, mode and mtime of everything under `dir` (symlinks not followed), to see what changed. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (p: string): void => {
    const st = lstatSync(p);
    const type = st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : 'file';
    out.set(path.relative(dir, p) || '.', `${type} ${st.isDirectory() ? '' : st.size} ${(st.mode & 0o7777).toString(8)} ${st.mtimeMs}`);
    if (st.isDirectory()) for (const name of readdirSync(p)) walk(path.join(p, name));
  };
  walk(dir);
  return out;
}

/** The entries added, removed or changed between two snapshots. */
export function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [p, v] of after) if (before.get(p) !== v) out.push(before.has(p) ? `changed ${p}` : `added ${p}`);
  for (const p of before.keys()) if (!after.has(p)) out.push(`removed ${p}`);
  return out.sort();
}
