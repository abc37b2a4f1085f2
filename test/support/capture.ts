import { PassThrough } from 'node:stream';

/** Run a command function, capturing what it prints. */
export async function capture(run: (out: NodeJS.WritableStream) => Promise<number>): Promise<{ code: number; text: string }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const code = await run(out);
  return { code, text: Buffer.concat(chunks).toString('utf8') };
}
