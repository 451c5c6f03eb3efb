/**
 * A seed whose times are relative to a moment chosen when it is loaded (the demo's story starts
 * two hours before the demo runs): every string value "T-180m" / "T+45m" / "T" becomes the ISO
 * 8601 time that many minutes before or after `start`, then the seed is checked as any seed is.
 * Relative times keep a fixed story (the same orders, the same gaps) while the dates stay
 * current, so ages and lags the dashboard shows against the wall clock read as they would live.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { Seed } from './state.ts';

const RELATIVE = /^T(?:([+-])(\d{1,7})m)?$/;

/** The string for a relative time, or the value unchanged. */
function resolveTime(value: string, start: number): string {
  const m = RELATIVE.exec(value);
  if (!m) return value;
  const minutes = m[1] ? Number(m[2]) * (m[1] === '-' ? -1 : 1) : 0;
  return new Date(start + minutes * 60_000).toISOString().replace(/\.000Z$/, 'Z');
}

function resolveAll(value: unknown, start: number): unknown {
  if (typeof value === 'string') return resolveTime(value, start);
  if (Array.isArray(value)) return value.map((v) => resolveAll(v, start));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveAll(v, start)]));
  return value;
}

/** Load a YAML or JSON seed with times relative to `start`; an Error naming the file and the path of the first problem. */
export function loadRelativeSeed(file: string, start: Date): ReturnType<typeof Seed.parse> {
  const text = readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const r = Seed.safeParse(resolveAll(raw, start.getTime()));
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`${file}: ${i.path.join('.') || '(seed)'}: ${i.message}`);
  }
  return r.data;
}
