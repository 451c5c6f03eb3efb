/**
 * Who may call /api/v1: bearer tokens, known only by their sha256 (config `api.tokens`, which
 * `dockgate api token` prints lines for) plus the one in DOCKGATE_API_TOKEN (name "env",
 * read-write, no buyer data). The presented token is hashed and compared digest to digest with
 * timingSafeEqual against every known one, so neither the comparison's time nor an early exit
 * says how much of a token matched.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ApiError, type Principal } from './api.ts';

/** A token the API accepts, by its digest (the token itself is never held). */
export interface ApiToken extends Principal {
  /** sha256 of the token, 64 lower-case hex characters. */
  sha256: string;
}

export type ApiTokens = readonly ApiToken[];

export const ENV_TOKEN_NAME = 'env';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A new token: 32 random bytes, base64url (43 characters). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The configured tokens plus DOCKGATE_API_TOKEN when it is set (blank counts as unset). */
export function apiTokens(configured: ReadonlyArray<{ name: string; sha256: string; access: 'read-only' | 'read-write'; buyerData?: boolean }>, env: NodeJS.ProcessEnv = process.env): ApiToken[] {
  const tokens: ApiToken[] = configured.map((t) => ({ name: t.name, sha256: t.sha256.toLowerCase(), access: t.access, buyerData: t.buyerData ?? false }));
  const fromEnv = env.DOCKGATE_API_TOKEN?.trim();
  if (fromEnv) tokens.push({ name: ENV_TOKEN_NAME, sha256: sha256Hex(fromEnv), access: 'read-write', buyerData: false });
  return tokens;
}

/** Checks an Authorization header against the known tokens. */
export class TokenAuthenticator {
  private readonly known: Array<{ digest: Buffer; principal: Principal }>;

  constructor(tokens: ApiTokens) {
    this.known = tokens.map((t) => ({ digest: Buffer.from(t.sha256, 'hex'), principal: { name: t.name, access: t.access, buyerData: t.buyerData } }));
  }

  get empty(): boolean {
    return this.known.length === 0;
  }

  /** The caller, or ApiError unauthorized (missing, malformed, unknown). */
  authenticate(header: string | undefined): Principal {
    if (!header) throw new ApiError('unauthorized', 'an Authorization: Bearer <token> header is required', 'header.authorization');
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!m) throw new ApiError('unauthorized', 'the Authorization header must be "Bearer <token>"', 'header.authorization');
    const presented = createHash('sha256').update(m[1], 'utf8').digest();
    let found: Principal | null = null;
    // Every digest is compared, match or not: the time taken does not depend on which token matched.
    for (const k of this.known) {
      if (k.digest.length === presented.length && timingSafeEqual(k.digest, presented) && !found) found = k.principal;
    }
    if (!found) {
      throw new ApiError('unauthorized', this.empty ? 'no API token is configured (dockgate api token, then api.tokens in the config, or DOCKGATE_API_TOKEN)' : 'unknown token', 'header.authorization');
    }
    return found;
  }
}

/** A read-only token may call only the routes whose access is read. */
export function authorize(principal: Principal, access: 'read' | 'write'): void {
  if (access === 'write' && principal.access !== 'read-write') {
    throw new ApiError('forbidden', `token "${principal.name}" is read-only; this call changes state and needs a read-write token`, 'header.authorization');
  }
}
