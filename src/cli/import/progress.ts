import cliProgress from 'cli-progress';

/** Where an import is: bytes of all its files read, calls committed. */
export interface ImportProgress {
  update(bytes: number, calls: number): void;
  stop(): void;
}

const MB = 1024 * 1024;

/**
 * On a terminal, a bar (bytes and calls, their rate, the time left); elsewhere (a log, a pipe, cron) a line every
 * `everyMs`, so the output stays readable as text.
 */
export function importProgress(out: NodeJS.WriteStream | NodeJS.WritableStream, totalBytes: number, opts: { tty: boolean; everyMs?: number; now?: () => number }): ImportProgress {
  const now = opts.now ?? Date.now;
  const started = now();
  const rate = (calls: number) => {
    const seconds = (now() - started) / 1000;
    return seconds > 0 ? Math.round(calls / seconds) : 0;
  };
  if (opts.tty) {
    const bar = new cliProgress.SingleBar(
      {
        stream: out as NodeJS.WriteStream,
        format: 'import [{bar}] {percentage}% | {mbDone} of {mbTotal} MB | {calls} calls, {rate}/s | {eta_formatted} left',
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(totalBytes, 0, { calls: 0, rate: 0, mbDone: '0.0', mbTotal: (totalBytes / MB).toFixed(1) });
    return {
      update(bytes, calls) {
        bar.update(bytes, { calls, rate: rate(calls), mbDone: (bytes / MB).toFixed(1) });
      },
      stop() {
        bar.stop();
      },
    };
  }
  const every = opts.everyMs ?? 5_000;
  let lastLine = started;
  return {
    update(bytes, calls) {
      const t = now();
      if (t - lastLine < every) return;
      lastLine = t;
      const share = totalBytes ? bytes / totalBytes : 1;
      const left = share > 0 ? ((t - started) * (1 - share)) / share / 1000 : 0;
      out.write(
        `import: ${Math.floor(share * 100)} % (${(bytes / MB).toFixed(1)} of ${(totalBytes / MB).toFixed(1)} MB), ${calls} calls, ${rate(calls)} calls/s, about ${Math.ceil(left)} s left\n`,
      );
    },
    stop() {},
  };
}
