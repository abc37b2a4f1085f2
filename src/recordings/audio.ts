
/** The file is not audio music-metadata recognises (a raw .gsm, a text file): waiting will not help. */
export class UnknownAudioFormatError extends Error {}
/** The file is audio but its header is not complete (the PBX is still writing it): look again later. */
export class IncompleteAudioHeaderError extends Error {}

/**
 * How many channels a local recording has, from its own header (WAV fmt chunk, MP3 frame channel mode...).
 * Only the header is read (no duration scan, no cover art).
 */
export async function readChannelCount(file: string): Promise<number> {
  // Loaded on first use: only calls with a local recording need the audio parsers.
  const { parseFile } = await import('music-metadata');
  let format;
  try {
    ({ format } = await parseFile(file, { duration: false, skipCovers: true }));
  } catch (error) {
    throw new UnknownAudioFormatError(`not a recognised audio format (${error instanceof Error ? error.message.replace(file, '').replace(/:\s*$/, '') : String(error)})`);
  }
  if (!format.container || format.hasAudio === false) throw new UnknownAudioFormatError('not a recognised audio format');
  if (!format.numberOfChannels) throw new IncompleteAudioHeaderError(`the ${format.container} header does not give a channel count yet`);
  return format.numberOfChannels;
}
