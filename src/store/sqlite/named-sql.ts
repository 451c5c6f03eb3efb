/**
 * SQL kept in named files beside the migrations (src/store/sqlite/sql/*.sql), not in strings
 * through the code: each query starts with a `-- name: queryName` line and runs to the next.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SQL_DIR = fileURLToPath(new URL('./sql/', import.meta.url));
const cache = new Map<string, Record<string, string>>();

/** The named queries of one file, e.g. `namedQueries('jobs.sql').claim`. An unknown name throws when used. */
export function namedQueries(file: string): Record<string, string> {
  let q = cache.get(file);
  if (q) return q;
  const found: Record<string, string> = {};
  let name: string | null = null;
  let lines: string[] = [];
  const flush = () => {
    if (name) found[name] = lines.join('\n').trim().replace(/;\s*$/, '');
  };
  for (const line of readFileSync(SQL_DIR + file, 'utf8').split('\n')) {
    const m = /^--\s*name:\s*([A-Za-z][A-Za-z0-9_]*)\s*$/.exec(line);
    if (m) {
      flush();
      if (Object.hasOwn(found, m[1])) throw new Error(`${file}: the query name ${m[1]} is used twice`);
      name = m[1];
      lines = [];
    } else if (name) lines.push(line);
  }
  flush();
  q = new Proxy(found, {
    get(target, key) {
      if (typeof key === 'string' && !Object.hasOwn(target, key)) throw new Error(`${file}: no query named ${key}`);
      return target[key as string];
    },
  });
  cache.set(file, q);
  return q;
}
