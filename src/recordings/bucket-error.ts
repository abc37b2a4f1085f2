import { CallbridgeError } from '../errors.js';
import { redactString } from '../log/redact.js';

/**
 * The bucket refused or could not be reached. `retryable` is false for what waiting will not fix (no such bucket,
 * access denied, a wrong region): the uploader still holds the call rather than failing it, but says so plainly.
 * The message names the bucket and endpoint, never credentials nor a presigned query.
 */
export class BucketError extends CallbridgeError {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

// Codes of the connection itself (Node's socket errors) and what to tell the operator about each.
const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was cut',
  EPIPE: 'the connection was cut',
  ECONNABORTED: 'the connection was cut',
  ETIMEDOUT: 'timed out',
  ENOTFOUND: 'its host name does not resolve',
  EAI_AGAIN: 'its host name does not resolve',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'no route to the host',
};

// TLS failures do not heal by waiting: the endpoint's certificate or the trust store must change.
const TLS = /^(CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|ERR_TLS_CERT_ALTNAME_INVALID)/;

const RETRYABLE_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequests',
  'RequestTimeout',
  'ServiceUnavailable',
  'InternalError',
  'InternalServerError',
  'OperationAborted',
]);

interface Facts {
  name: string;
  code: string;
  status: number | undefined;
  message: string;
}

function factsOf(error: unknown): Facts {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const metadata = e.$metadata as { httpStatusCode?: unknown } | undefined;
  const status = typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.code === 'string' ? e.code : typeof e.Code === 'string' ? e.Code : '';
  const message = typeof e.message === 'string' ? e.message : typeof error === 'string' ? error : '';
  // The SDK's retry step wraps an error from another realm (jest's sandbox, a worker) into a bare Error whose
  // message alone still holds the socket code.
  const wrapped = code ? undefined : /\b(E[A-Z_]{4,}|(?:CERT|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED)[A-Z_]*)\b/.exec(message)?.[1];
  const known = wrapped && (wrapped in NETWORK || TLS.test(wrapped)) ? wrapped : undefined;
  return { name, code: code || known || '', status, message };
}

/** A presigned query or a signed header must not reach a log line even when a library puts a URL in its message. */
function scrub(text: string): string {
  return redactString(text)
    .replace(/([?&])X-Amz-[A-Za-z-]+=[^&\s"']*/g, '$1…')
    .replace(/(Signature|Credential)=[^,\s"']+/g, '$1=…');
}

/** The library's own words, short, for the end of a message. */
function said(facts: Facts): string {
  // 'Unknown'/'UnknownError': the SDK's name for an error response without a body (any HEAD); it adds nothing.
  const vague = (text: string) => !text || text === 'Unknown' || text === 'UnknownError' || text === 'Error';
  const detail = !vague(facts.message) && facts.message !== facts.name ? facts.message : '';
  const id = facts.code || facts.name;
  const parts = [vague(id) ? '' : id, facts.status ? `HTTP ${facts.status}` : '', detail.slice(0, 200)].filter(Boolean);
  return parts.length ? ` (${scrub(parts.join(', '))})` : '';
}

/**
 * One BucketError from whatever the S3 SDK, lib-storage or the socket threw. `describe` names the bucket and the
 * endpoint (RecordingBucket.describe). Pure: decides from the error's name, code and HTTP status only.
 */
export function bucketErrorOf(error: unknown, describe: string): BucketError {
  if (error instanceof BucketError) return error;
  const facts = factsOf(error);
  const { name, code, status } = facts;
  const id = code || name;
  const make = (message: string, retryable: boolean) => new BucketError(scrub(message), retryable, { cause: error });

  const network = NETWORK[code] ?? (name === 'TimeoutError' || code === 'TimeoutError' ? 'timed out' : undefined);
  if (network) return make(`cannot reach ${describe} (${network})`, true);
  if (TLS.test(code)) return make(`cannot reach ${describe}: its TLS certificate is not trusted${said(facts)}`, false);
  if (name === 'CredentialsProviderError') {
    return make(
      `no credentials for ${describe}: set the access key and secret in the configuration, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or an instance role`,
      false,
    );
  }
  if (id === 'NoSuchBucket' || (status === 404 && (name === 'NotFound' || id === 'NotFound'))) {
    return make(`no ${describe}: create it, or correct the bucket name or endpoint`, false);
  }
  if (id === 'NoSuchKey') return make(`the object is not in ${describe}`, false);
  if (id === 'InvalidAccessKeyId') return make(`${describe} does not know the access key: check the credentials`, false);
  if (id === 'SignatureDoesNotMatch') return make(`${describe} rejected the signature: check the secret key`, false);
  if (id === 'AccessDenied' || id === 'Forbidden' || status === 403) {
    return make(`access denied to ${describe}: check the credentials and the bucket's policy${said(facts)}`, false);
  }
  if (id === 'RequestTimeTooSkewed') return make(`${describe} says this machine's clock is wrong: synchronise it (NTP)`, false);
  if (id === 'PermanentRedirect' || id === 'AuthorizationHeaderMalformed' || status === 301) {
    return make(`${describe} is in another region or answers at another address: check the region and endpoint${said(facts)}`, false);
  }
  if (RETRYABLE_CODES.has(id) || (status !== undefined && (status >= 500 || status === 429))) {
    return make(`${describe} is busy or failing; try again later${said(facts)}`, true);
  }
  if (status !== undefined && status >= 400) return make(`${describe} refused the request${said(facts)}`, false);
  // No status and no known code: most likely the connection or a proxy in between; waiting may help.
  return make(`the request to ${describe} failed${said(facts)}`, true);
}
