/**
 * SQL kept in named files beside the migrations (src/store/sqlite/sql/*.sql), not in strings
 * through the code: each query starts with a `-- name: queryName` line and runs to the next
 * (parsed as the repositories' queries are, src/store/sql/queries.ts).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseNamedQueries } from '../sql/queries.ts';

const SQL_DIR = fileURLToPath(new URL('./sql/', import.meta.url));
const cache = new Map<string, Record<string, string>>();

/** The named queries of one file, e.g. `namedQueries('retention.sql').expired`. An unknown name throws when used. */
export function namedQueries(file: string): Record<string, string> {
  let q = cache.get(file);
  if (q) return q;
  const found = parseNamedQueries(readFileSync(SQL_DIR + file, 'utf8'), file);
  q = new Proxy(found, {
    get(target, key) {
      if (typeof key === 'string' && !Object.hasOwn(target, key)) throw new Error(`${file}: no query named ${key}`);
      return target[key as string];
    },
  });
  cache.set(file, q);
  return q;
}
