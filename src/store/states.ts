/**
 * Every state, kind and severity written by the SQLite repositories is checked against the one
 * declared list of src/store/work.ts: a typo or a value from outside (the CLI, a payload) is
 * refused with the list instead of landing in a row no query finds.
 */
import { StoreError } from './errors.ts';

export class StateValueError extends StoreError {
  override name = 'StateValueError';
}

export function oneOf<T extends string>(list: readonly T[], value: unknown, what: string): T {
  if (typeof value !== 'string' || !(list as readonly string[]).includes(value)) {
    throw new StateValueError(`${what} ${JSON.stringify(value)} is not one of ${list.join(', ')}`, { what, value });
  }
  return value as T;
}

/** A timestamp as stored: ISO 8601 in UTC, so that text comparison is time order. */
export function isoTime(value: string, what = 'time'): string {
  const t = new Date(value);
  if (Number.isNaN(t.getTime())) throw new StoreError(`${what} ${JSON.stringify(value)} is not a date`, { what, value });
  return t.toISOString();
}
