import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { CallbridgeError } from '../errors.js';
import { readAudioFormat } from './audio.js';

/** ffmpeg (or the ffprobe beside it) is not installed, or the configured path does not run it. */
export class AudioToolMissingError extends CallbridgeError {}

/**
 * ffmpeg ran and failed on this input; the message names the file(s) and ends with ffmpeg's own last line.
 * `retryable` is false when the input is not audio ffmpeg can decode: trying again will not change that.
 */
export class AudioConversionError extends CallbridgeError {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A recording file plus, for headerless formats, how to read it: raw signed linear 16-bit little-endian mono
 * (Asterisk .sln, .sln16, ...) at `sampleRate`, or raw GSM 06.10 (.gsm, 8 kHz).
 */
export interface AudioInput {
  file: string;
  raw?: { kind: 'slin'; sampleRate: number } | { kind: 'gsm' };
}

export interface AudioTool {
  /** ffmpeg's version line, e.g. "ffmpeg version 5.1.8-0+deb12u1"; checks ffprobe runs too. */
  version(): Promise<string>;
  /**
   * Two mono legs of one call → one stereo file at `out`: `participant` on `participantChannel`, `owner` on the
   * other side. The shorter leg is padded with silence to the longer. Rate: the higher of the two (at least 8 kHz).
   */
  mergeToStereo(opts: {
    participant: AudioInput;
    owner: AudioInput;
    participantChannel: 'left' | 'right';
    out: string;
    format: 'wav' | 'mp3';
    signal?: AbortSignal;
  }): Promise<{ durationMs: number }>;
  /** One recording → 16-bit PCM WAV or MP3 at `out`, same channels and rate. */
  convert(opts: { input: AudioInput; out: string; format: 'wav' | 'mp3'; signal?: AbortSignal }): Promise<{ durationMs: number }>;
}

// Asterisk's signed-linear formats and their file extensions (format_sln.c); sln44 is 44.1 kHz.
const SLIN_RATES: Record<string, number> = {
  '': 8000,
  '12': 12000,
  '16': 16000,
  '24': 24000,
  '32': 32000,
  '44': 44100,
  '48': 48000,
  '96': 96000,
  '192': 192000,
};

/** How to read a headerless file, from its name: `.sln*` → slin at the rate the name gives; `.gsm` → raw GSM. */
export function rawFormatOf(file: string): AudioInput['raw'] {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.gsm') return { kind: 'gsm' };
  const digits = /^\.sln(\d*)$/.exec(ext)?.[1];
  const sampleRate = digits === undefined ? undefined : SLIN_RATES[digits];
  return sampleRate ? { kind: 'slin', sampleRate } : undefined;
}

/** A file as ffmpeg must be told to read it: with its raw format when its name gives one. */
export function audioInput(file: string): AudioInput {
  const raw = rawFormatOf(file);
  return raw ? { file, raw } : { file };
}

export interface FfmpegToolOptions {
  /** The ffmpeg to run; default `ffmpeg` on PATH. */
  command?: string;
  /** The ffprobe to run; default the one beside `command` (Debian's ffmpeg package installs both). */
  probeCommand?: string;
  /** Longest one merge or conversion may take, probing included; the child is killed past it. Default 10 min. */
  timeoutMs?: number;
  /** MP3 bit rate per channel; 32 kbit/s keeps speech clear. */
  mp3KbpsPerChannel?: number;
}

const BASE = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-nostats'];
/** ffmpeg's niceness: below the bridge's own work. */
const NICE = 10;
// No encoder tag nor input tags: the same input gives the same bytes, so a repeat after a restart is identical.
const BITEXACT = ['-map_metadata', '-1', '-fflags', '+bitexact', '-flags:a', '+bitexact'];

// ffmpeg's own words for "this is not audio I can decode" (input side); anything else may be the disk or the
// machine and could pass on another try.
const NOT_AUDIO =
  /Invalid data found when processing input|could not find codec parameters|does not contain any stream|matches no streams|Decoder \(codec [^)]*\) not found|Unknown decoder|Error while decoding|no audio stream/i;

export function ffmpegTool(opts: FfmpegToolOptions = {}): AudioTool {
  const command = opts.command ?? 'ffmpeg';
  const probeCommand = opts.probeCommand ?? siblingProbe(command);
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  const kbps = opts.mp3KbpsPerChannel ?? 32;

  const tool = (name: 'ffmpeg' | 'ffprobe') => ({ name, command: name === 'ffmpeg' ? command : probeCommand });

  async function versionLine(name: 'ffmpeg' | 'ffprobe', deadline: number): Promise<string> {
    const t = tool(name);
    const r = await run(t, ['-version'], deadline);
    // "ffmpeg version 5.1.8-0+deb12u1 Copyright (c) 2000-2025 the FFmpeg developers": the version is what matters.
    const line = (r.stdout.split('\n', 1)[0] ?? '').replace(/\s+Copyright\b.*$/, '').trim();
    if (r.timedOut || r.code !== 0 || !line.startsWith(`${name} version`)) {
      const said = r.timedOut
        ? 'it did not answer within 30 s'
        : r.code !== 0
          ? `it failed: ${lastLine(r.stderr) || `exit ${r.code ?? r.signal}`}`
          : line
            ? `its -version says "${line}"`
            : 'its -version printed nothing';
      throw new AudioToolMissingError(`"${t.command}" is not a working ${name} (${said.slice(0, 200)}): ${INSTALL}`);
    }
    return line;
  }

  /**
   * Rate and channels from the file's header; raw formats need no look. The header is read here first: each
   * ffprobe started costs more CPU than the merge of a minute of audio. ffprobe reads what music-metadata cannot.
   */
  async function probe(input: AudioInput, ctx: Ctx): Promise<{ sampleRate: number; channels: number }> {
    if (input.raw?.kind === 'slin') return { sampleRate: input.raw.sampleRate, channels: 1 };
    if (input.raw?.kind === 'gsm') return { sampleRate: 8000, channels: 1 };
    const header = await readAudioFormat(input.file).catch(() => undefined);
    if (header?.sampleRate) return { sampleRate: header.sampleRate, channels: header.channels };
    const args = ['-v', 'error', '-hide_banner', '-select_streams', 'a:0', '-show_entries', 'stream=sample_rate,channels', '-of', 'json', fileUrl(input.file)];
    const r = await runIn(ctx, tool('ffprobe'), args);
    if (r.code !== 0) throw failure(`cannot read ${input.file}`, r.stderr, input.file);
    let stream: { sample_rate?: string; channels?: number } | undefined;
    try {
      stream = (JSON.parse(r.stdout) as { streams?: Array<{ sample_rate?: string; channels?: number }> }).streams?.[0];
    } catch {
      // Unparseable output is treated like no stream: the message below says what was expected.
    }
    const sampleRate = Number(stream?.sample_rate);
    if (!stream || !(sampleRate > 0)) throw new AudioConversionError(`cannot read ${input.file}: it has no audio stream ffmpeg can decode`, false);
    return { sampleRate, channels: stream.channels ?? 1 };
  }

  /** Runs the conversion into a temp file beside `out`, then renames it into place. */
  async function produce(ctx: Ctx, inputs: AudioInput[], middle: string[], format: 'wav' | 'mp3', out: string): Promise<{ durationMs: number }> {
    const temp = path.join(path.dirname(out), `.${path.basename(out)}.${randomBytes(4).toString('hex')}.part`);
    const names = inputs.map((i) => i.file).join(' and ');
    try {
      const args = [...BASE, '-y', ...inputs.flatMap(inputArgs), ...middle, ...BITEXACT, '-f', format, '-progress', 'pipe:1', fileUrl(temp)];
      const r = await runIn(ctx, tool('ffmpeg'), args);
      if (r.code !== 0) throw failure(`cannot convert ${names} to ${out}`, r.stderr, ...inputs.map((i) => i.file), temp);
      // The length of the audio that went into the encoder, as ffmpeg counted it: no second run to decode it back
      // (an MP3 header's own estimate counts the encoder's delay and padding, up to ~180 ms at 8 kHz).
      const us = [...r.stdout.matchAll(/^out_time_us=(\d+)$/gm)].pop()?.[1];
      const durationMs = us ? Math.round(Number(us) / 1000) : 0;
      await syncFile(temp);
      await rename(temp, out);
      await syncDir(path.dirname(out));
      return { durationMs };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  const mp3Codec = (channels: number) => ['-c:a', 'libmp3lame', '-b:a', `${kbps * channels}k`];

  return {
    async version() {
      const deadline = Date.now() + 30_000;
      const line = await versionLine('ffmpeg', deadline);
      await versionLine('ffprobe', deadline);
      return line;
    },

    async mergeToStereo({ participant, owner, participantChannel, out, format, signal }) {
      const ctx: Ctx = { deadline: Date.now() + timeoutMs, signal, what: `merging ${participant.file} and ${owner.file}`, timeoutMs };
      await Promise.all([present(participant.file), present(owner.file)]);
      const [p, o] = await settleBoth(probe(participant, ctx), probe(owner, ctx));
      const rate = Math.max(p.sampleRate, o.sampleRate, 8000);
      const [pc, oc] = participantChannel === 'left' ? ['c0', 'c1'] : ['c1', 'c0'];
      // amix (weights 1, no normalizing) of two one-sided stereo streams is a plain interleave that runs to the
      // longer input; join and amerge stop at the shorter one. s16 → float → s16 is exact, so samples pass unchanged.
      const leg = (index: number, channel: string, label: string) =>
        `[${index}:a:0]aformat=channel_layouts=mono,aresample=${rate},pan=stereo|${channel}=c0[${label}]`;
      const graph = [leg(0, pc, 'p'), leg(1, oc, 'o'), '[p][o]amix=inputs=2:duration=longest:normalize=0[a]'].join(';');
      const codec = format === 'wav' ? ['-c:a', 'pcm_s16le'] : mp3Codec(2);
      return produce(ctx, [participant, owner], ['-filter_complex', graph, '-map', '[a]', ...codec], format, out);
    },

    async convert({ input, out, format, signal }) {
      const ctx: Ctx = { deadline: Date.now() + timeoutMs, signal, what: `converting ${input.file}`, timeoutMs };
      await present(input.file);
      const { channels } = await probe(input, ctx);
      // LAME encodes mono or stereo only.
      const codec = format === 'wav' ? ['-c:a', 'pcm_s16le'] : [...(channels > 2 ? ['-ac', '2'] : []), ...mp3Codec(Math.min(channels, 2))];
      return produce(ctx, [input], ['-map', '0:a:0', ...codec], format, out);
    },
  };
}

const INSTALL = "install Debian's ffmpeg package (apt-get install ffmpeg), or set the path to ffmpeg in the configuration";

/** ffprobe beside a configured ffmpeg path; on PATH when ffmpeg is. */
function siblingProbe(command: string): string {
  if (!command.includes('/')) return 'ffprobe';
  const base = path.basename(command);
  return path.join(path.dirname(command), base.includes('ffmpeg') ? base.replace(/ffmpeg(?!.*ffmpeg)/, 'ffprobe') : 'ffprobe');
}

/** `file:` keeps a name with a colon in it from being read as a protocol (pipe:, http:, concat:...). */
function fileUrl(file: string): string {
  return `file:${path.resolve(file)}`;
}

function inputArgs(input: AudioInput): string[] {
  const raw = input.raw;
  if (raw?.kind === 'slin') return ['-f', 's16le', '-ar', String(raw.sampleRate), '-ac', '1', '-i', fileUrl(input.file)];
  if (raw?.kind === 'gsm') return ['-f', 'gsm', '-i', fileUrl(input.file)];
  return ['-i', fileUrl(input.file)];
}

/** A missing or empty input is said plainly (ffmpeg calls an empty file "invalid data"); the PBX may still write it. */
async function present(file: string): Promise<void> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AudioConversionError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}`, true, { cause: error });
  }
  if (size === 0) throw new AudioConversionError(`cannot read ${file}: it is empty (still being written?)`, true);
}

/** Both probes finish (no child left running) before either failure is thrown. */
async function settleBoth<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? '';
}

/** The error for a failed run: our words, then ffmpeg's last line without the file URL it starts with. */
function failure(what: string, stderr: string, ...files: string[]): AudioConversionError {
  let said = lastLine(stderr);
  for (const file of files) said = said.split(`${fileUrl(file)}: `).join('').split(fileUrl(file)).join(path.basename(file));
  const notAudio = NOT_AUDIO.test(said);
  const plain = notAudio ? ': it is not audio ffmpeg can decode' : '';
  return new AudioConversionError(`${what}${plain} (ffmpeg: ${said.slice(0, 300) || 'no message'})`, !notAudio);
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The rename itself survives a power cut only once the folder is synced; some filesystems refuse, which is fine. */
async function syncDir(dir: string): Promise<void> {
  try {
    await syncFile(dir);
  } catch {
    // best effort
  }
}

interface Ctx {
  deadline: number;
  signal: AbortSignal | undefined;
  /** For the timeout message: "merging a.wav and b.wav". */
  what: string;
  timeoutMs: number;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
}

/** A run inside an operation: its timeout and abort become AudioConversionError. */
async function runIn(ctx: Ctx, t: { name: string; command: string }, args: string[]): Promise<RunResult> {
  const r = await run(t, args, ctx.deadline, ctx.signal);
  if (r.aborted) throw new AudioConversionError(`${ctx.what} was stopped before it finished`, true, { cause: ctx.signal?.reason });
  if (r.timedOut) throw new AudioConversionError(`${ctx.what} timed out after ${seconds(ctx.timeoutMs)} (${t.name} was stopped)`, true);
  return r;
}

// Output kept per stream: enough for ffprobe's JSON and ffmpeg's last lines, never a whole log of a broken file.
const KEEP = 64 * 1024;

/**
 * Runs one child (never through a shell) until it exits; SIGKILL past the deadline or on abort, and the promise
 * settles only once the child is gone. A command that cannot start is AudioToolMissingError.
 */
function run(t: { name: string; command: string }, args: string[], deadline: number, signal?: AbortSignal): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      resolve({ code: null, signal: null, stdout: '', stderr: '', timedOut: false, aborted: true });
      return;
    }
    const child = spawn(t.command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // Background work: on a small host the submitter's pacing and the hooks' answers come before a merge.
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, NICE);
      } catch {
        // A host that refuses (it never should: lowering one's own child is allowed) just runs it at our priority.
      }
    }
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let aborted = false;
    const keep = (text: string) => (text.length > KEEP ? text.slice(-KEEP) : text);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout = keep(stdout + chunk)));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = keep(stderr + chunk)));
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, Math.max(0, deadline - Date.now()));
    const onAbort = () => {
      aborted = true;
      kill();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return; // a running child's stream error: 'close' still settles
      done();
      const why = error.code === 'ENOENT' ? (t.command.includes('/') ? 'no such file' : 'not found on PATH') : (error.code ?? error.message);
      reject(new AudioToolMissingError(`cannot run ${t.name} ("${t.command}": ${why}): ${INSTALL}`, { cause: error }));
    });
    child.once('close', (code, sig) => {
      if (child.pid === undefined) return;
      done();
      resolve({ code, signal: sig, stdout, stderr, timedOut, aborted });
    });
  });
}
