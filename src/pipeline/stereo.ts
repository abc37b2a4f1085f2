import { parseFile } from 'music-metadata';

/**
 * How many channels a local recording has, from its own header (WAV fmt chunk, MP3 frame channel mode...).
 * Undefined when the format does not say. Throws when the file is not readable audio (still being written?).
 */
export async function readChannelCount(file: string): Promise<number | undefined> {
  const meta = await parseFile(file, { duration: false, skipCovers: true });
  return meta.format.numberOfChannels;
}
