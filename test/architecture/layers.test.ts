import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { layerOf, layers } from '../../src/docs/layers.js';

const ROOTS = ['src', 'adapters', 'scripts', 'bench'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.m?ts$/.test(entry.name) ? [full] : [];
  });
}

/** The repository files a source file imports (static, dynamic and type-only), resolved from `.js` to `.ts`. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] as string);
  return specs.map((spec) => path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.(m?)js$/, '.$1ts'));
}

const files = ROOTS.flatMap((root) => sourceFiles(root));
const graph = new Map(files.map((file) => [file, importsOf(file)]));

describe('the house has floors', () => {
  it('places every source file on a floor', () => {
    expect(files.filter((file) => !layerOf(file))).toEqual([]);
  });

  it('lets a file import only its own folder and lower floors', () => {
    const upwards: string[] = [];
    for (const [file, imports] of graph) {
      const from = layerOf(file);
      for (const target of imports) {
        const to = layerOf(target);
        if (!from || !to || to.folder === from.folder) continue;
        if (to.floor >= from.floor) upwards.push(`${file} (floor ${from.floor}) imports ${target} (floor ${to.floor})`);
      }
    }
    expect(upwards).toEqual([]);
  });

  it('has no circle of imports between files', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const target of graph.get(file) ?? []) if (graph.has(target)) visit(target, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(circles).toEqual([]);
  });

  it('names each floor once, lowest first', () => {
    expect(layers.map((l) => l.floor)).toEqual(layers.map((_, i) => i));
    const folders = layers.flatMap((l) => l.folders);
    expect(new Set(folders).size).toBe(folders.length);
  });
});
