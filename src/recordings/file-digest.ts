import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * Size and SHA-256 (hex) of a file, read as a stream: recordings can be hundreds of megabytes and the bridge
 * runs with a bounded heap. The bucket stores the digest beside the object, so that an upload after a restart
 * can tell "already there" from "same name, other content" without downloading anything.
 */
export async function fileDigest(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    size += bytes.length;
  }
  return { size, sha256: hash.digest('hex') };
}
