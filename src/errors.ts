/**
 * Small named error classes. Code decides by class (`instanceof`), never by message text.
 */
export class CallbridgeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The configuration file or environment is invalid; `problems` lists each bad path. */
export class ConfigError extends CallbridgeError {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration in ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Input could not be parsed; `location` is "FILE:LINE" (or "hook:<source>" for HTTP bodies). */
export class ParseError extends CallbridgeError {
  constructor(
    readonly location: string,
    message: string,
  ) {
    super(`${location}: ${message}`);
  }
}

/** The ledger could not take the write (disk full, locked, closed): the caller must not acknowledge. */
export class LedgerUnavailableError extends CallbridgeError {}

/**
 * The ledger file is damaged (SQLite found a corrupt page): no write will succeed until it is restored, so the
 * bridge stops instead of answering 503 for ever. The message names the file and the restore command.
 */
export class LedgerDamagedError extends LedgerUnavailableError {}

/** A source cannot start (its folder or file is missing or unreadable); the message names the source and path. */
export class SourceUnavailableError extends CallbridgeError {}

/** An adapter id that is not in the registry. */
export class UnknownAdapterError extends CallbridgeError {
  constructor(readonly adapterId: string, known: string[]) {
    super(`unknown adapter "${adapterId}"; known adapters: ${known.join(', ')}`);
  }
}
