import { existsSync, readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors.js';

/**
 * The file as plain data, or a ConfigError naming the line and column of its first YAML error.
 * `optional`: a file that is not there is an empty configuration (the default file may be absent).
 */
export function readConfigFile(file: string, { optional = false } = {}): unknown {
  if (!existsSync(file)) {
    if (optional) return {};
    throw new ConfigError(file, [`cannot read ${file}: no such file`]);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [`cannot read ${file}: ${(error as Error).message}`]);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  const first = doc.errors[0];
  if (first) {
    // Only the first: the rest of a YAML error is usually its cascade, one line per token after it. yaml quotes the
    // offending token in its message, which may be a secret: the position says where, the token is not repeated.
    const pos = first.linePos?.[0];
    let message = (first.message.split('\n')[0] ?? first.message).replace(/ at line \d+, column \d+:?$/, '').replace(/: ".*"$/, '');
    const source = pos ? (text.split('\n')[pos.line - 1] ?? '') : '';
    if (/\{[^}]*\$\{/.test(source)) message += "; inside { } a ${VAR} must be quoted: '${VAR}'";
    throw new ConfigError(file, [pos ? `line ${pos.line}, column ${pos.col}: ${message}` : message]);
  }
  const value: unknown = doc.toJS() ?? {};
  // A lone scalar ("hello", a pasted token) is not a configuration; without this it became an empty one.
  if (typeof value !== 'object') throw new ConfigError(file, [`(root): expected a mapping of sections (dataDir, dstny, sources, ...), got ${typeof value === 'string' ? 'text' : `a ${typeof value}`}`]);
  return value;
}
