import { describe, expect, it } from '@jest/globals';
import { gzipSync } from 'node:zlib';
import { stereoWav } from '../../src/bridge/sandbox.js';
import { sniffAudio } from '../../src/emulator/audio-sniff.js';

const hex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const text = (t: string) => Uint8Array.from(Buffer.from(t, 'utf8'));

/** A canonical 44-byte PCM WAV header, as a PBX writes it before the samples (some real fixtures are only this). */
function wavHeader(channels: number, sampleRate: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, joint stereo: the 4-byte frame header LAME writes, in a silent 417-byte frame. */
function mp3Frames(count: number): Buffer {
  const frame = Buffer.alloc(417);
  Buffer.from([0xff, 0xfb, 0x90, 0x44]).copy(frame);
  return Buffer.concat(Array.from({ length: count }, () => frame));
}

describe('sniffAudio recognises the containers Dstny reads', () => {
  // The first 32 bytes of files ffmpeg 5.1 wrote from a 1 s, 8 kHz sine (`-f lavfi -i sine=...`), per container.
  const real: Array<[string, string, string]> = [
    ['a PCM WAV', '52494646c63e000057415645666d74201000000001000100401f0000803e0000', 'WAV'],
    ['an RF64 WAV (-rf64 always)', '52463634ffffffff57415645647336341c000000ea3e000000000000803e0000', 'WAV (RF64)'],
    ['an MP3 with an ID3v2.4 tag', '49443304000000000023545353450000000f0000034c61766635392e32372e31', 'MP3 (ID3 tag)'],
    ['an 8 kHz MP3 without a tag (MPEG 2.5 Layer III, as telephony recordings are)', 'ffe318c4000af006d5b9410002ff4770db60060f83e0fbd408020720f83e7f13', 'MP3'],
    ['an MP2 (MPEG-2 Layer II)', 'fff5e8c4ffffffffffffffffffe5867fffff99fffe9db89892abdfb3976cde6f', 'MPEG audio layer II'],
    ['AAC in ADTS (0xFFF1)', 'fff16c404c1ffcde02004c61766335392e33372e313030000238a8516cf1022b', 'AAC (ADTS)'],
    ['AAC in ADTS, MPEG-2 id (0xFFF9)', 'fff96c404c1ffcde02004c61766335392e33372e313030000238a8516cf1022b', 'AAC (ADTS)'],
    ['Ogg Vorbis', '4f67675300020000000000000000288f0224000000001f3c4d20011e01766f72', 'Ogg'],
    ['Ogg Opus', '4f67675300020000000000000000a4f082a900000000ae0d1d6401134f707573', 'Ogg'],
    ['FLAC', '664c614300000022024002400000fc00012001f400f000001f40d4b467a5313a', 'FLAC'],
    ['M4A (AAC in MP4)', '0000001c667479704d344120000002004d34412069736f6d69736f3200000008', 'MP4/M4A'],
    ['WebM (Opus)', '1a45dfa39f4286810142f7810142f2810442f381084282847765626d42878104', 'WebM'],
    ['Matroska audio (.mka)', '1a45dfa3a34286810142f7810142f2810442f381084282886d6174726f736b61', 'Matroska'],
  ];
  it.each(real)('%s', (_what, bytes, container) => {
    expect(sniffAudio(hex(bytes))).toEqual({ audio: true, container });
  });

  it('the WAV the sandbox serves, and a bare 44-byte header (a PBX recording with no samples yet)', () => {
    expect(sniffAudio(stereoWav(1, 8_000).subarray(0, 4096))).toEqual({ audio: true, container: 'WAV' });
    expect(sniffAudio(wavHeader(1, 8_000, 0))).toEqual({ audio: true, container: 'WAV' });
  });

  it('a stream of MP3 frames, whatever the first read returned (one header is enough)', () => {
    expect(sniffAudio(mp3Frames(10))).toEqual({ audio: true, container: 'MP3' });
    expect(sniffAudio(mp3Frames(1).subarray(0, 4))).toEqual({ audio: true, container: 'MP3' });
  });
});

describe('sniffAudio refuses what is not audio, and says what it looks like', () => {
  const refused: Array<[string, Uint8Array, string]> = [
    ['an empty body', new Uint8Array(0), 'an empty body'],
    [
      'an S3 AccessDenied document',
      text('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>'),
      'an XML error document with code AccessDenied',
    ],
    [
      'an expired presigned URL (S3-compatible store, no XML declaration)',
      text('<Error><Code>AccessDenied</Code><Message>Request has expired</Message><Expires>2025-04-17T08:20:00Z</Expires></Error>'),
      'an XML error document with code AccessDenied',
    ],
    ['another XML document', text('<?xml version="1.0"?>\n<!-- export -->\n<recordings><recording id="1"/></recordings>'), 'XML with root element <recordings>'],
    ['an HTML login page', text('<!DOCTYPE html>\n<html lang="en"><head><title>Sign in</title></head><body><form>'), 'HTML'],
    ['an HTML page after a byte order mark and blank lines', text('\uFEFF\r\n\r\n  <HTML><BODY>Recording not found</BODY></HTML>'), 'HTML'],
    ['an XHTML page', text('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x">\n<html xmlns="http://www.w3.org/1999/xhtml">'), 'HTML'],
    ['a JSON error', text('{"error":"recording not ready","retry_after":30}'), 'JSON'],
    ['a JSON array', text('\n[ ]'), 'JSON'],
    ['plain text', text('Not Found\n'), 'text'],
    ['an HTML page whose first bytes end inside a UTF-8 character', text('<html><body>Inspelningen saknas: ö').subarray(0, -1), 'HTML'],
    ['a page in Latin-1 (not UTF-8)', Uint8Array.from(Buffer.from('<html><body>Inspelningen saknas: försök igen</body></html>', 'latin1')), 'HTML'],
    ['text that starts like an ID3 tag but is not one', text('ID3 tags explained: a short guide\n'), 'text'],
    ['a PNG image', hex('89504e470d0a1a0a0000000d49484452000000080000000808020000004b6d29'), 'a PNG image'],
    ['a JPEG image', hex('ffd8ffe000104a46494600010200000100010000fffe00104c61766335392e33'), 'a JPEG image'],
    ['an AVIF image (an ISO box like MP4, but an image brand)', hex('00000020667479706176696600000000617669666d6966316d6961664d413142'), 'unrecognised binary data starting 00 00 00 20 66 74 79 70'],
    ['a PDF', text('%PDF-1.7\n%\u00e2\u00e3\n1 0 obj'), 'a PDF document'],
    ['gzip data', Uint8Array.from(gzipSync(Buffer.from('not a recording'))), 'gzip data'],
    ['zeros', new Uint8Array(64), 'unrecognised binary data starting 00 00 00 00 00 00 00 00'],
    ['0xFF padding (sync bits, but a reserved bitrate)', new Uint8Array(64).fill(0xff), 'unrecognised binary data starting ff ff ff ff ff ff ff ff'],
    ['sync bits with the reserved layer 00', hex('ffe190c400000000'), 'unrecognised binary data starting ff e1 90 c4 00 00 00 00'],
    ['a RIFF file that is not WAVE (AVI)', hex('52494646a40c0000415649204c495354'), 'unrecognised binary data starting 52 49 46 46 a4 0c 00 00'],
  ];
  it.each(refused)('%s', (_what, bytes, looksLike) => {
    expect(sniffAudio(bytes)).toEqual({ audio: false, looksLike });
  });
});
