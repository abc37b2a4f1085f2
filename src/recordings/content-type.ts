import path from 'node:path';

/** Content types by extension: what Dstny (and a browser) needs to play the file. */
const AUDIO_TYPES: Record<string, string> = {
  '.wav': 'audio/wav',
  '.wave': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.m4a': 'audio/mp4',
  '.mp4': 'audio/mp4',
  '.aac': 'audio/aac',
  '.flac': 'audio/flac',
  '.webm': 'audio/webm',
  '.gsm': 'audio/x-gsm',
  '.wma': 'audio/x-ms-wma',
};

export function audioContentType(file: string): string {
  return AUDIO_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}
