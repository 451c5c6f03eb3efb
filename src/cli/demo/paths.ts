import { isAbsolute, relative } from 'node:path';

/** A path as one types it from here: relative below the working folder, else absolute. */
export function shownPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r === '' ? '.' : r.startsWith('..') || isAbsolute(r) ? p : r;
}
