import { CallbridgeError } from '../errors.js';

/** Base of every failed Dstny API call. Callers decide by subclass. */
export class ApiError extends CallbridgeError {
  constructor(
    message: string,
    readonly status: number | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Try again later (5xx, network, timeout). `maybeDelivered`: the request may have reached Dstny (timeout, reset). */
export class RetryableApiError extends ApiError {
  constructor(
    message: string,
    status: number | null,
    readonly delayMs: number | null,
    readonly maybeDelivered: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, status, options);
  }
}

/** 429: the whole queue pauses for `retryAfterMs`. */
export class RateLimitedError extends ApiError {
  constructor(readonly retryAfterMs: number) {
    super(`rate limited by Dstny (429); retry after ${Math.round(retryAfterMs / 1000)} s`, 429);
  }
}

/** 400/404/422...: the API refused this body; `apiMessage` ("HTTP 422: <what the API said>"). Sending it again will not help. */
export class PermanentApiError extends ApiError {
  constructor(
    status: number,
    readonly apiMessage: string,
  ) {
    super(`Dstny refused the request: ${apiMessage}`, status);
  }
}

/** 401/403: the token is wrong, expired or lacks rights. Nothing can be sent until it works again. */
export class AuthError extends ApiError {
  constructor(status: number, readonly apiMessage: string) {
    super(`Dstny refused the API token (${apiMessage}); check DSTNY_API_TOKEN`, status);
  }
}

/** A 2xx answer whose body is not what we can read (an undocumented shape changed): nothing may be concluded from it. */
export class UnexpectedResponseError extends ApiError {
  constructor(message: string) {
    super(message, null);
  }
}
