/**
 * JSON written as a stream of text pieces, laid out exactly as `JSON.stringify(value, null, 2)`
 * lays it out, with control characters escaped as `jsonText` escapes them. Arrays may be given
 * as any iterable (a generator): their elements are built and written one at a time, so a report
 * on a file of 45,000 sets never exists whole, neither as objects nor as one string.
 */
import { jsonText } from '../x12/json-form.ts';

/** An array whose elements are made when written. */
export function lazyArray<T>(items: readonly T[], make: (item: T) => unknown): Iterable<unknown> {
  return {
    *[Symbol.iterator]() {
      for (const item of items) yield make(item);
    },
  };
}

const pad = (depth: number) => '  '.repeat(depth);

function isLeaf(v: unknown): boolean {
  return v === null || typeof v !== 'object' || typeof (v as { toJSON?: unknown }).toJSON === 'function';
}

/** The pieces of one value at a nesting depth (report depth is bounded: plain recursion is fine). */
export function* jsonPieces(value: unknown, depth = 0): Generator<string> {
  if (isLeaf(value)) {
    yield jsonText(value);
    return;
  }
  if (Array.isArray(value) || Symbol.iterator in (value as object)) {
    let n = 0;
    for (const item of value as Iterable<unknown>) {
      yield `${n++ === 0 ? '[' : ','}\n${pad(depth + 1)}`;
      // As JSON.stringify writes them: undefined, functions and symbols in an array become null.
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') yield 'null';
      else yield* jsonPieces(item, depth + 1);
    }
    yield n === 0 ? '[]' : `\n${pad(depth)}]`;
    return;
  }
  let n = 0;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    yield `${n++ === 0 ? '{' : ','}\n${pad(depth + 1)}${jsonText(key)}: `;
    yield* jsonPieces(v, depth + 1);
  }
  yield n === 0 ? '{}' : `\n${pad(depth)}}`;
}

/** Write pieces to a stream in chunks of about 64 KiB, waiting for it to drain. */
export async function writePieces(out: NodeJS.WritableStream, pieces: Iterable<string>): Promise<void> {
  let chunk = '';
  for (const piece of pieces) {
    chunk += piece;
    if (chunk.length >= 1 << 16) {
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      chunk = '';
    }
  }
  if (chunk && !out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
}
