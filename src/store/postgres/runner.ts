/**
 * The SqlRunner over a `pg` client (the one holding the transaction) or pool. The repositories'
 * SQL uses better-sqlite3's placeholders; here `@name` and `?` become $1, $2, ... once per SQL
 * text, the same name the same number.
 */
import type pg from 'pg';
import type { SqlParams, SqlRunner } from '../sql/runner.ts';

interface Compiled {
  text: string;
  /** Named: the parameter names in $ order; null: positional. */
  names: string[] | null;
}

const compiled = new Map<string, Compiled>();

/** `@name` / `?` to `$n`. Quoted text and comments are left alone. */
export function compile(sql: string): Compiled {
  const hit = compiled.get(sql);
  if (hit) return hit;
  const names: string[] = [];
  let positional = 0;
  let out = '';
  for (let i = 0; i < sql.length; ) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end < 0 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))!;
      let k = names.indexOf(m[0]);
      if (k < 0) k = names.push(m[0]) - 1;
      out += `$${k + 1}`;
      i += 1 + m[0].length;
    } else if (c === '?') {
      out += `$${++positional}`;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  if (names.length && positional) throw new Error(`a query mixes named and positional parameters: ${sql}`);
  const result = { text: out, names: names.length ? names : null };
  compiled.set(sql, result);
  return result;
}

function values(c: Compiled, params: SqlParams | undefined): unknown[] {
  if (c.names) {
    const o = (params ?? {}) as Record<string, unknown>;
    return c.names.map((n) => {
      if (!Object.hasOwn(o, n)) throw new Error(`no value for the parameter @${n}`);
      return o[n];
    });
  }
  if (params === undefined) return [];
  return Array.isArray(params) ? [...params] : [params];
}

/** A statement's trailing row lock: `SELECT ... FOR UPDATE [SKIP LOCKED | NOWAIT]`. */
const TRAILING_ROW_LOCK = /\s+FOR\s+UPDATE(\s+SKIP\s+LOCKED|\s+NOWAIT)?\s*;?\s*$/i;
const unlocked = new Map<string, string>();

/** The statement without its trailing `FOR UPDATE` (a lock in a subquery of a write stays: that write fails anyway). */
export function withoutRowLock(sql: string): string {
  let hit = unlocked.get(sql);
  if (hit === undefined) {
    hit = sql.replace(TRAILING_ROW_LOCK, '');
    unlocked.set(sql, hit);
  }
  return hit;
}

export class PostgresRunner implements SqlRunner {
  readonly dialect = 'postgres' as const;
  /**
   * @param rowLocks false in a READ ONLY transaction (`dockgate serve`, the CLI's lists), where
   *   PostgreSQL refuses `SELECT ... FOR UPDATE`: the repositories' locking reads run as plain
   *   reads there, which is all a reader needs (it writes nothing back).
   */
  constructor(
    private readonly client: pg.ClientBase | pg.Pool,
    private readonly rowLocks = true,
  ) {}

  private async query(sql: string, params?: SqlParams): Promise<pg.QueryResult> {
    const c = compile(this.rowLocks ? sql : withoutRowLock(sql));
    return this.client.query(c.text, values(c, params));
  }

  async get<T>(sql: string, params?: SqlParams): Promise<T | undefined> {
    return (await this.query(sql, params)).rows[0] as T | undefined;
  }

  async all<T>(sql: string, params?: SqlParams): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }

  async run(sql: string, params?: SqlParams): Promise<{ changes: number }> {
    return { changes: (await this.query(sql, params)).rowCount ?? 0 };
  }
}
