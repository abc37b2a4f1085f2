import { writeFileSync } from 'node:fs';

/**
 * Tiny but real audio files for stereo detection tests: a PCM WAV (RIFF header + a few samples) and an
 * MPEG-1 Layer III stream (valid frame headers, silent frames). Channel count is in the header, as in
 * a PBX's recordings.
 */
export function writeWav(file: string, channels: number, opts: { sampleRate?: number; frames?: number } = {}): void {
  const sampleRate = opts.sampleRate ?? 8000;
  const frames = opts.frames ?? 800;
  const bitsPerSample = 16;
  const blockAlign = (channels * bitsPerSample) / 8;
  const dataSize = frames * blockAlign;
  const buf = Buffer.alloc(44 + dataSize);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataSize, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(channels, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * blockAlign, 28);
  buf.writeUInt16LE(blockAlign, 32);
  buf.writeUInt16LE(bitsPerSample, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataSize, 40);
  for (let i = 0; i < frames * channels; i++) buf.writeInt16LE(Math.round(Math.sin(i / 10) * 1000), 44 + i * 2);
  writeFileSync(file, buf);
}

/** MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding: 417-byte frames. Channel mode mono (11) or joint stereo (01). */
export function writeMp3(file: string, channels: 1 | 2, frameCount = 20): void {
  const frameLength = Math.floor((144 * 128_000) / 44_100);
  const header = Buffer.from([0xff, 0xfb, 0x90, channels === 1 ? 0xc4 : 0x44]);
  const frames: Buffer[] = [];
  for (let i = 0; i < frameCount; i++) {
    const frame = Buffer.alloc(frameLength);
    header.copy(frame, 0);
    frames.push(frame);
  }
  writeFileSync(file, Buffer.concat(frames));
}
