/**
 * The streamed JSON of the validate report: laid out exactly as JSON.stringify(value, null, 2)
 * (with the control-character escapes of the JSON form), and lazy arrays built one element at a
 * time as they are written, so a report is never whole in memory.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { jsonPieces, lazyArray } from '../../src/cli/json-stream.ts';
import { jsonText } from '../../src/x12/json-form.ts';

test('streamed JSON is the text JSON.stringify(value, null, 2) gives, control characters escaped', () => {
  const text = fc.string({ unit: 'binary' });
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), text, fc.array(tie('node')), fc.dictionary(text, tie('node')), fc.constant(undefined)),
  })).node;
  fc.assert(
    fc.property(fc.oneof(fc.array(value), fc.dictionary(text, value)), (v) => {
      assert.equal([...jsonPieces(v)].join(''), jsonText(v, 2));
    }),
    { numRuns: 300 },
  );
  assert.equal([...jsonPieces({ a: '\u001b\u0085\u2028', b: [], c: {}, d: undefined, e: [undefined, 1] })].join(''), jsonText({ a: '\u001b\u0085\u2028', b: [], c: {}, d: undefined, e: [undefined, 1] }, 2));
});

test('a lazy array makes each element only when it is written', () => {
  const made: number[] = [];
  const items = Array.from({ length: 1000 }, (_, i) => i);
  const pieces = jsonPieces({ sets: lazyArray(items, (i) => (made.push(i), { control: String(i).padStart(4, '0'), diagnostics: [] })) });
  let text = '';
  for (const piece of pieces) {
    text += piece;
    if (text.includes('"0002"')) break;
  }
  assert.deepEqual(made, [0, 1, 2]);
  const whole = [...jsonPieces({ sets: lazyArray(items, (i) => ({ control: String(i).padStart(4, '0'), diagnostics: [] })) })].join('');
  assert.equal(whole, JSON.stringify({ sets: items.map((i) => ({ control: String(i).padStart(4, '0'), diagnostics: [] })) }, null, 2));
});
