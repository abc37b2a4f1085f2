import winston from 'winston';
import { redact, redactString } from './redact.js';

export type LogFormat = 'auto' | 'json' | 'pretty';
export type Logger = winston.Logger;

/** A winston format that runs every entry through the redactor (message, metadata and errors). */
const redactFormat = winston.format((info) => {
  const cleaned = redact({ ...info }) as Record<string | symbol, unknown>;
  for (const key of Object.keys(info)) delete (info as Record<string, unknown>)[key];
  Object.assign(info, cleaned);
  if (typeof info.message === 'string') info.message = redactString(info.message);
  return info;
});

export interface LoggerOptions {
  level?: string;
  format?: LogFormat;
  /** Where lines go; default stderr so that `callbridge parse` keeps stdout for NDJSON. */
  stream?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const stream = opts.stream ?? process.stderr;
  const pretty = opts.format === 'pretty' || (opts.format !== 'json' && (stream as { isTTY?: boolean }).isTTY === true);
  const format = pretty
    ? winston.format.combine(
        redactFormat(),
        winston.format.timestamp({ format: 'HH:mm:ss' }),
        winston.format.colorize(),
        winston.format.printf(({ timestamp, level, message, component, ...rest }) => {
          const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
          return `${String(timestamp)} ${level} ${component ? `[${String(component)}] ` : ''}${String(message)}${extra}`;
        }),
      )
    : winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json());
  return winston.createLogger({
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    format,
    transports: [new winston.transports.Stream({ stream })],
  });
}

/** A logger that writes nowhere: for library code called without one, and quiet tests. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
