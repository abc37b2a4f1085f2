import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { CallbridgeError } from '../errors.js';

export type Out = NodeJS.WritableStream;

/** Load the config, or print why not and return the exit code. */
export function load(file: string, out: Out): { config: Config } | number {
  try {
    return { config: loadConfig(file).config };
  } catch (error) {
    if (error instanceof CallbridgeError) {
      out.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
