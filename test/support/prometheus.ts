/** A Prometheus text exposition as tests read it: each sample by its series, each metric family's TYPE. */
export interface Scrape {
  /** `name{label="value",...}` (labels sorted by name) → value. */
  samples: Map<string, number>;
  /** family name → counter, gauge, histogram, summary, untyped. */
  types: Map<string, string>;
}

export function parseExposition(text: string): Scrape {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (!line || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!sample) throw new Error(`not an exposition line: ${line}`);
    const labels = [...(sample[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((m) => `${m[1]}="${m[2]}"`).sort();
    samples.set(series(sample[1]!, labels), Number(sample[3]));
  }
  return { samples, types };
}

function series(name: string, labels: string[]): string {
  return labels.length ? `${name}{${labels.join(',')}}` : name;
}

/** The value of a series, labels in any order; undefined when the scrape lacks it. */
export function sample(scrape: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  return scrape.samples.get(
    series(
      name,
      Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .sort(),
    ),
  );
}

/** How much a series moved between two scrapes (a series missing before counts from 0). */
export function moved(before: Scrape, after: Scrape, name: string, labels: Record<string, string> = {}): number {
  const end = sample(after, name, labels);
  if (end === undefined) throw new Error(`the second scrape has no ${name} ${JSON.stringify(labels)}`);
  return end - (sample(before, name, labels) ?? 0);
}
