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

/** A source cannot start (its folder or file is missing or unreadable); the message names the source and path. */
export class SourceUnavailableError extends CallbridgeError {}

/** An adapter id that is not in the registry. */
export class UnknownAdapterError extends CallbridgeError {
  constructor(readonly adapterId: string, known: string[]) {
    super(`unknown adapter "${adapterId}"; known adapters: ${known.join(', ')}`);
  }
}
