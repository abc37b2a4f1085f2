import { z } from 'zod';
import { defineAdapter } from '../types.js';

// Placeholder until the adapter lands: it parses nothing and says so.
export default defineAdapter({
  id: 'generic',
  summary: '(not implemented yet)',
  configSchema: z.object({}),
  example: {},
  inputs: { filePatterns: [], contentTypes: [], tail: false },
  async *parse(input) {
    yield { kind: 'error', location: input.name, message: 'adapter generic is not implemented yet' };
  },
  merge(legs) {
    const first = legs[0];
    if (!first) throw new Error('merge of zero legs');
    return first;
  },
});
