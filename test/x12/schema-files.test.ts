import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { X12ConfigError } from '../../src/x12/diagnostics.ts';
import { DEFAULT_SCHEMA_ROOT, loadSetSchema, schemaVersions, type CompiledLoop } from '../../src/x12/schema/load.ts';
import { compileRule } from '../../src/x12/schema/rules.ts';
import type { TransactionSetSchema } from '../../src/x12/schema/types.ts';

const FUNCTIONAL_GROUPS: Record<string, string> = { '940': 'OW', '943': 'AR', '944': 'RE', '945': 'SW', '846': 'IB', '856': 'SH', '997': 'FA', '999': 'FA' };

function sets(): Array<{ version: string; id: string; file: string }> {
  return schemaVersions().flatMap((version) =>
    readdirSync(join(DEFAULT_SCHEMA_ROOT, version))
      .filter((f) => /^\d{3}\.json$/.test(f))
      .map((f) => ({ version, id: f.slice(0, 3), file: join(DEFAULT_SCHEMA_ROOT, version, f) })),
  );
}

test('the schemas the issue asks for exist', () => {
  assert.deepEqual(
    sets().map((s) => `${s.version}/${s.id}`),
    ['004010/846', '004010/856', '004010/940', '004010/943', '004010/944', '004010/945', '004010/997', '005010/856', '005010/997', '005010/999'],
  );
});

for (const s of sets()) {
  test(`${s.version}/${s.id}: compiles (every segment, element and composite resolves), ST first and SE last, loops start with a mandatory trigger, GS01 right`, () => {
    const raw = JSON.parse(readFileSync(s.file, 'utf8')) as TransactionSetSchema;
    assert.equal(raw.functionalGroup, FUNCTIONAL_GROUPS[s.id]);
    const lookup = loadSetSchema(s.id, s.version);
    assert.ok(lookup && !lookup.fallback);
    const items = lookup.schema.root.items;
    assert.equal(items[0].kind === 'segment' && items[0].id, 'ST');
    assert.equal(items[items.length - 1].kind === 'segment' && items[items.length - 1].id, 'SE');
    const walk = (loop: CompiledLoop) => {
      for (const item of loop.items) {
        if (item.kind !== 'loop') continue;
        const first = item.items[0];
        assert.ok(first.kind === 'segment' && first.req === 'M', `loop ${item.id} starts with a mandatory segment`);
        walk(item);
      }
    };
    walk(lookup.schema.root);
    if (s.id === '856') assert.deepEqual(lookup.schema.hierarchy?.parents.P, ['S', 'O', 'T']);
  });
}

test('spot checks of content against the standard', () => {
  const w05 = loadSetSchema('940', '004010')!.schema.dictionary.get('W05')!;
  assert.deepEqual(w05.elements.slice(0, 2).map((e) => [e.ref, e.req]), [['473', 'M'], ['285', 'M']]);
  assert.ok(w05.elements[0].codes?.has('N') && w05.elements[0].codes?.has('F'));
  const n1 = loadSetSchema('940', '004010')!.schema.dictionary.get('N1')!;
  assert.deepEqual(n1.rules.map((r) => r.text), ['R0203', 'P0304']);
  const ak3 = loadSetSchema('997', '004010')!.schema.dictionary.get('AK3')!;
  assert.deepEqual([...ak3.elements[3].codes!], ['1', '2', '3', '4', '5', '6', '7', '8']);
  const ik4 = loadSetSchema('999', '005010')!.schema.dictionary.get('IK4')!;
  assert.equal(ik4.elements[0].composite?.components.length, 3);
  assert.equal(loadSetSchema('856', '004060')?.version, '004010');
  assert.equal(loadSetSchema('856', '003060'), null);
  assert.equal(loadSetSchema('850', '004010'), null);
});

test('syntax rules: one validator per type, and bad rules refused with their place', () => {
  const present = (...on: number[]) => (n: number) => on.includes(n);
  assert.equal(compileRule('P0304', 'x', 6).check(present(3))?.position, 4);
  assert.equal(compileRule('P0304', 'x', 6).check(present()), null);
  assert.equal(compileRule('R0203', 'x', 6).check(present())?.code, 'element.conditional-missing');
  assert.equal(compileRule('E0102', 'x', 6).check(present(1, 2))?.code, 'element.exclusion-violated');
  assert.equal(compileRule('C0605', 'x', 6).check(present(6))?.position, 5);
  assert.equal(compileRule('C0605', 'x', 6).check(present(5)), null);
  assert.equal(compileRule('L010203', 'x', 6).check(present(1))?.position, 2);
  assert.equal(compileRule('L010203', 'x', 6).check(present(1, 3)), null);
  assert.throws(() => compileRule('Q0102', 'segments.json N1', 6), (e: unknown) => e instanceof X12ConfigError && /segments\.json N1/.test((e as Error).message));
  assert.throws(() => compileRule('P0709', 'N1', 6), /position 07/);
});
