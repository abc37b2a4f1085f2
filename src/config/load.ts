import path from 'node:path';
import { ConfigError } from '../errors.js';
import { registerSecret } from '../log/redact.js';
import { adapterOf } from '../sources/config.js';
import { applyEnvOverrides, interpolate, withEnvironment } from './env.js';
import { describeProblems } from './problems.js';
import { type Config, configSchema } from './schema.js';
import { secretNameTest, secretValues } from './secrets.js';
import { type ShapeNode, shapeOf, shapesAt } from './shape.js';
import { readConfigFile } from './yaml.js';

export { envOverrides } from './env.js';

export const DEFAULT_CONFIG_FILE = 'config/callbridge.yaml';

export interface LoadedConfig {
  file: string;
  config: Config;
}

/** Read, interpolate, override and validate. Throws ConfigError listing every problem by path. */
export function loadConfig(file: string = DEFAULT_CONFIG_FILE, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const { value, missing } = interpolate(readConfigFile(file, { optional: file === DEFAULT_CONFIG_FILE }), env);
  let config: Config;
  try {
    config = validateConfig(applyEnvOverrides(value, env), file);
    if (missing.length) throw new ConfigError(file, []);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(file, withEnvironment(error.problems, missing, env));
  }
  for (const secret of secretValues(configSchema, config)) registerSecret(secret);
  config.dataDir = path.resolve(config.dataDir);
  return { file, config };
}

/** The pure validation phase: no I/O. Every problem is listed with its path and, where known, a valid value. */
export function validateConfig(input: unknown, file = '(config)'): Config {
  const parsed = configSchema.safeParse(input, { reportInput: true });
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    file,
    describeProblems(parsed.error.issues, { examples: examplesFor(input), isSecretName: secretNameTest(configSchema), shapeAt: (at) => shapeAt(input, at) }),
  );
}

/** The schema at a path of the input; under a source's options, its adapter's schema (they are a free map to the file's). */
function shapeAt(input: unknown, at: readonly PropertyKey[]): ShapeNode[] {
  const [first, index, options, ...rest] = at;
  if (first === 'sources' && typeof index === 'number' && options === 'options') {
    const source = ((input as { sources?: unknown[] } | null)?.sources ?? [])[index];
    const adapter = adapterOf(source);
    const given = (source as { options?: unknown } | undefined)?.options;
    return adapter ? shapesAt(shapeOf(adapter.configSchema), given, rest) : [];
  }
  return shapesAt(shapeOf(configSchema), input, at);
}

let defaults: Config | undefined;

/** Valid values a problem can show: the defaults, and under each source's options its adapter's example. */
function examplesFor(input: unknown): unknown {
  defaults ??= configSchema.parse({});
  const sources = (input as { sources?: unknown } | null)?.sources;
  return { ...defaults, sources: (Array.isArray(sources) ? sources : []).map((source) => ({ options: adapterOf(source)?.example })) };
}
