/**
 * Request pieces the messages, orders and packages routes share: the list limit, ISO times,
 * numeric ids from the path, the opaque paging cursor (base64url of JSON), and the error body
 * schema for statuses a route documents itself (409).
 */
import { z } from 'zod';
import { ApiError, API_ERROR_CODES } from '../api.ts';

/** ?limit=: 1..1000, default 100. */
export const Limit = z.coerce.number().int().min(1).max(1000).default(100).describe('Items per page, 1 to 1000 (default 100)');

/** An ISO 8601 time with its zone ("2026-11-25T00:00:00Z"). */
export const IsoTime = z.iso.datetime({ offset: true });

/** A message id in the path. */
export const MessageId = z.coerce.number().int().positive().describe('A message id (a file, or an interchange, group or set in it)');

/** The one error shape (src/server/api.ts ApiError), for the statuses a route documents itself. */
export const ErrorBody = z.strictObject({
  error: z.strictObject({
    status: z.number().int(),
    code: z.enum(Object.keys(API_ERROR_CODES) as [keyof typeof API_ERROR_CODES, ...Array<keyof typeof API_ERROR_CODES>]),
    message: z.string(),
    where: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** The opaque cursor of a position in a list. */
export const cursorOf = (position: unknown): string => Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');

/** A cursor back to its position; `check` returns null for a position that is not one of this list's. 400 otherwise. */
export function decodeCursor<T>(cursor: string, check: (v: unknown) => T | null): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const checked = value === undefined ? null : check(value);
  if (checked === null) throw new ApiError('bad-request', "cursor is not one this list handed out: pass the list's `next` unchanged", 'query.cursor');
  return checked;
}
