/**
 * Every real file of ../shared/corpus/x12 gets an answer — valid, or invalid with the expected
 * first diagnostic — and none crashes or hangs. The table is test/corpus/expectations.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { allDiagnostics } from '../../src/x12/result.ts';
import { validateFile } from '../../src/x12/validate-file.ts';
import { EXPECTATIONS } from './expectations.ts';

const corpus = resolve(import.meta.dirname, '../../../shared/corpus/x12');
const present = existsSync(corpus);
const SKIP = `../shared/corpus/x12 is absent (expected at ${corpus})`;

test('every corpus file has an expectation and every expectation a file', (t) => {
  if (!present) return t.skip(SKIP);
  const files = readdirSync(corpus)
    .filter((d) => !d.endsWith('.tsv'))
    .flatMap((d) => readdirSync(join(corpus, d)).map((f) => `${d}/${f}`))
    .sort();
  assert.deepEqual(files, Object.keys(EXPECTATIONS).sort());
});

for (const [name, expected] of Object.entries(EXPECTATIONS)) {
  // The timeout guards against hangs; speed is the bench's business.
  test(`corpus ${name}: ${expected.valid ? 'valid' : `invalid, first ${expected.firstError}`}`, { timeout: 20_000 }, async (t) => {
    if (!present) return t.skip(SKIP);
    const result = await validateFile(join(corpus, name), { file: name });
    const all = allDiagnostics(result);
    const errors = all
      .map((d, i) => ({ d, i }))
      .filter(({ d }) => d.level === 'error')
      .sort((a, b) => (a.d.location.line ?? 0) - (b.d.location.line ?? 0) || a.i - b.i)
      .map(({ d }) => d);
    assert.equal(errors.length === 0, expected.valid, `${expected.why}\n got: ${errors.map((e) => e.code).join(', ')}`);
    for (const e of errors) assert.ok(e.location.line && e.location.line > 0, `${e.code} has a line`);
    if (expected.firstError) {
      const first = errors.find((e) => e.code !== 'st.segments-in-error');
      assert.equal(first?.code, expected.firstError, expected.why);
    }
    for (const code of expected.alsoExpect ?? []) assert.ok(errors.some((e) => e.code === code), `${code} expected: ${expected.why}`);
  });
}
