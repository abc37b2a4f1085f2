import { validateConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

/** The problems of an invalid configuration, as validation words them (fails the test when it is valid). */
export function configProblems(input: unknown): string[] {
  try {
    validateConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
