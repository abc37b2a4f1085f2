
/** The file is not audio music-metadata recognises (a raw .gsm, a text file): waiting will not help. */
export class UnknownAudioFormatError extends Error {}
/** The file is audio but its header is not complete (the PBX is still writing it): look again later. */
export class IncompleteAudioHeaderError extends Error {}

export interface AudioFormat {
  channels: number;
  /** As music-metadata names it: WAVE, MPEG, Ogg... */
  container: string;
  /** PCM, ALAW, MULAW, GSM610, MPEG 1 Layer 3...; undefined when the header does not say. */
  codec: string | undefined;
  bitsPerSample: number | undefined;
  sampleRate: number | undefined;
}

/**
 * A local recording's channels and encoding, from its own header (WAV fmt chunk, MP3 frame channel mode...).
 * Only the header is read (no duration scan, no cover art).
 */
export async function readAudioFormat(file: string): Promise<AudioFormat> {
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
  return { channels: format.numberOfChannels, container: format.container, codec: format.codec, bitsPerSample: format.bitsPerSample, sampleRate: format.sampleRate };
}

/** WAV encodings that are plain samples: anything else in a WAV (A-law, µ-law, GSM 6.10, ADPCM) analyses worse. */
const PLAIN_WAV_CODECS = new Set(['PCM', 'IEEE_FLOAT']);

/**
 * Whether recordings.convert should turn this recording into 16-bit PCM WAV or MP3: telephone encodings inside a
 * WAV (A-law, µ-law, GSM/WAV49, ADPCM) and 8-bit PCM. MP3, Ogg, FLAC and the rest are sent as they are. Pure.
 */
export function needsConversion(format: Pick<AudioFormat, 'container' | 'codec' | 'bitsPerSample'>): boolean {
  if (format.container !== 'WAVE') return false;
  if (format.codec === undefined || !PLAIN_WAV_CODECS.has(format.codec)) return true;
  return format.codec === 'PCM' && format.bitsPerSample !== undefined && format.bitsPerSample < 16;
}
