/**
 * The work repositories' SQL, in named files: each query starts with a `-- name: queryName` line
 * and runs to the next. SQLite's text is in src/store/sqlite/sql/<file>; PostgreSQL takes the same
 * file and replaces, by name, the queries written for it in src/store/postgres/sql/<file> (row
 * locks, SKIP LOCKED, typed parameters, json functions), so a query is written twice only where
 * the dialects differ.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Dialect } from './runner.ts';

const DIRS: Record<Dialect, string> = {
  sqlite: fileURLToPath(new URL('../sqlite/sql/', import.meta.url)),
  postgres: fileURLToPath(new URL('../postgres/sql/', import.meta.url)),
};

/** The `-- name:` sections of one SQL file. */
export function parseNamedQueries(text: string, file: string): Record<string, string> {
  const found: Record<string, string> = {};
  let name: string | null = null;
  let lines: string[] = [];
  const flush = () => {
    // Comment lines after a query's text introduce the next query: they are not part of this one.
    while (lines.length && /^\s*(--.*)?$/.test(lines[lines.length - 1])) lines.pop();
    if (name) found[name] = lines.join('\n').trim().replace(/;\s*$/, '');
  };
  for (const line of text.split('\n')) {
    const m = /^--\s*name:\s*([A-Za-z][A-Za-z0-9_]*)\s*$/.exec(line);
    if (m) {
      flush();
      if (Object.hasOwn(found, m[1])) throw new Error(`${file}: the query name ${m[1]} is used twice`);
      name = m[1];
      lines = [];
    } else if (name) lines.push(line);
  }
  flush();
  return found;
}

const cache = new Map<string, Record<string, string>>();

/** The named queries of one file for a dialect, e.g. `queries('postgres', 'jobs.sql').claim`. An unknown name throws when used. */
export function queries(dialect: Dialect, file: string): Record<string, string> {
  const cacheKey = `${dialect}/${file}`;
  let q = cache.get(cacheKey);
  if (q) return q;
  const found = parseNamedQueries(readFileSync(DIRS.sqlite + file, 'utf8'), `sqlite/sql/${file}`);
  if (dialect === 'postgres' && existsSync(DIRS.postgres + file)) {
    const own = parseNamedQueries(readFileSync(DIRS.postgres + file, 'utf8'), `postgres/sql/${file}`);
    for (const [name, sql] of Object.entries(own)) {
      if (!Object.hasOwn(found, name)) throw new Error(`postgres/sql/${file}: ${name} replaces no query of sqlite/sql/${file}`);
      found[name] = sql;
    }
  }
  q = new Proxy(found, {
    get(target, key) {
      if (typeof key === 'string' && !Object.hasOwn(target, key)) throw new Error(`${file}: no query named ${key}`);
      return target[key as string];
    },
  });
  cache.set(cacheKey, q);
  return q;
}
