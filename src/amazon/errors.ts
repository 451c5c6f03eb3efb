/**
 * Errors from talking to Amazon, classified: retryable (throttled, Amazon's side, timeouts,
 * dropped connections) or terminal (the request itself is wrong: Amazon's code and message).
 */

export type FailureKind = 'throttled' | 'server' | 'timeout' | 'network' | 'auth' | 'client';

export class AmazonApiError extends Error {
  constructor(
    message: string,
    readonly operation: string,
    readonly kind: FailureKind,
    /** HTTP status when a response came back. */
    readonly status: number | undefined,
    /** Amazon's error code (InvalidInput, QuotaExceeded, ...) or the transport's (API_RESPONSE_TIMEOUT, ECONNRESET). */
    readonly code: string,
    readonly details?: string,
  ) {
    super(message);
    this.name = 'AmazonApiError';
  }

  get retryable(): boolean {
    return this.kind === 'throttled' || this.kind === 'server' || this.kind === 'timeout' || this.kind === 'network';
  }
}

/** Misconfiguration: missing credentials, a production call for a test partner. */
export class AmazonConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AmazonConfigError';
  }
}

/** The kind of an HTTP answer. */
export function kindOfStatus(status: number): FailureKind {
  if (status === 429) return 'throttled';
  if (status >= 500) return 'server';
  if (status === 401 || status === 403) return 'auth';
  return 'client';
}

const TIMEOUT_CODES = new Set(['API_RESPONSE_TIMEOUT', 'API_IDLE_TIMEOUT', 'API_DEADLINE_TIMEOUT', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/**
 * What the amazon-sp-api client throws carries no HTTP status (FACTS.md): its CustomError has
 * Amazon's code and message, or a timeout code; Node's own errors have a system code. Classify
 * from what is there.
 */
export function classifyThrown(e: unknown, operation: string): AmazonApiError {
  const err = e as { code?: unknown; message?: unknown; details?: unknown };
  const code = typeof err?.code === 'string' ? err.code : 'UNKNOWN';
  const message = typeof err?.message === 'string' && err.message ? err.message : String(e);
  const details = typeof err?.details === 'string' ? err.details : undefined;
  if (TIMEOUT_CODES.has(code)) return new AmazonApiError(`${operation}: timed out (${code})`, operation, 'timeout', undefined, code);
  if (NETWORK_CODES.has(code) || /socket hang up/i.test(message)) return new AmazonApiError(`${operation}: connection failed (${code === 'UNKNOWN' ? message : code})`, operation, 'network', undefined, code === 'UNKNOWN' ? 'ECONNRESET' : code);
  if (code === 'QuotaExceeded') return new AmazonApiError(`${operation}: ${message}`, operation, 'throttled', 429, code, details);
  if (code === 'InternalFailure' || code === 'ServiceUnavailable') return new AmazonApiError(`${operation}: ${message}`, operation, 'server', undefined, code, details);
  // LWA answers with OAuth codes: a wrong refresh token or client is not going to get better.
  if (['invalid_grant', 'invalid_client', 'unauthorized_client', 'Unauthorized', 'unsupported_grant_type'].includes(code)) return new AmazonApiError(`${operation}: ${code}: ${message}`, operation, 'auth', undefined, code, details);
  if (code === 'JSON_PARSE_ERROR') return new AmazonApiError(`${operation}: unreadable answer: ${message.slice(0, 200)}`, operation, 'server', undefined, code);
  return new AmazonApiError(`${operation}: ${code}: ${message}${details ? ` (${details})` : ''}`, operation, 'client', undefined, code, details);
}
