/**
 * Differential test against node-x12 1.7.1 (a devDependency kept for this only): on corpus
 * files with a single interchange that node-x12 parses without any diagnostic, our segments
 * and elements must equal its — except where node-x12 is known to be wrong, listed below with
 * the reason. Our reader never drops data to agree with it.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { readX12Sync } from '../../src/x12/reader.ts';

const require = createRequire(import.meta.url);
const corpus = resolve(import.meta.dirname, '../../../shared/corpus/x12');

interface NodeX12Segment {
  tag: string;
  elements: Array<{ value: string }>;
}

/**
 * Known node-x12 defects, each checked where it applies (not skipped):
 * - ISA13: it keeps the control number with its leading zeros stripped ("9221" for "000009221").
 * - IEA: it does not keep the interchange trailer at all, so there is nothing to compare.
 */
const KNOWN = ['ISA13 leading zeros stripped', 'IEA not kept'];

function theirs(text: string): { segments: Array<[string, string[]]>; diagnostics: unknown[] } {
  const { X12Parser } = require('node-x12') as { X12Parser: new (strict: boolean) => { parse(s: string): unknown; diagnostics: unknown[] } };
  const parser = new X12Parser(true);
  const ic = parser.parse(text) as {
    header: NodeX12Segment;
    functionalGroups: Array<{ header: NodeX12Segment; trailer: NodeX12Segment; transactions: Array<{ header: NodeX12Segment; trailer: NodeX12Segment; segments: NodeX12Segment[] }> }>;
  };
  const out: Array<[string, string[]]> = [];
  const push = (s: NodeX12Segment) => out.push([s.tag, s.elements.map((e) => e.value)]);
  push(ic.header);
  for (const g of ic.functionalGroups) {
    push(g.header);
    for (const t of g.transactions) {
      push(t.header);
      t.segments.forEach(push);
      push(t.trailer);
    }
    push(g.trailer);
  }
  return { segments: out, diagnostics: parser.diagnostics };
}

function ours(buf: Buffer): Array<[string, string[]]> {
  const out: Array<[string, string[]]> = [];
  for (const e of readX12Sync(buf)) {
    if (e.type === 'interchange-start') out.push(['ISA', e.interchange.isa.elements()]);
    else if (e.type === 'group-start') out.push(['GS', e.group.gs.elements()]);
    else if (e.type === 'set') for (const s of e.set.segments) out.push([s.id, s.elements()]);
    else if (e.type === 'group-end' && e.trailer.ge) out.push(['GE', e.trailer.ge.elements()]);
    else if (e.type === 'interchange-end' && e.trailer.iea) out.push(['IEA', e.trailer.iea.elements()]);
  }
  return out;
}

test('our segments and elements equal node-x12 on the files it parses cleanly (known defects asserted)', (t) => {
  if (!existsSync(corpus)) return t.skip(`../shared/corpus/x12 is absent (expected at ${corpus})`);
  let compared = 0;
  const defectsSeen = new Set<string>();
  for (const dir of readdirSync(corpus).filter((d) => !d.endsWith('.tsv'))) {
    for (const name of readdirSync(join(corpus, dir))) {
      const buf = readFileSync(join(corpus, dir, name));
      const text = buf.toString('latin1');
      if ((text.match(/(^|[\r\n~!$])ISA[^A-Z0-9]/g) ?? []).length !== 1) continue;
      let them;
      try {
        them = theirs(text.replace(/^\uFEFF|^\u00ef\u00bb\u00bf/, ''));
      } catch {
        continue; // node-x12 refuses the file: not a differential case
      }
      if (them.diagnostics.length > 0) continue;
      const us = ours(buf);
      const iea = us.pop();
      assert.equal(iea?.[0], 'IEA', `${name}: we keep the IEA`);
      defectsSeen.add(KNOWN[1]);
      assert.equal(us.length, them.segments.length, `${name}: segment count`);
      us.forEach(([id, elements], i) => {
        const [theirId, theirElements] = them.segments[i];
        assert.equal(id, theirId, `${name} segment ${i + 1}`);
        if (id === 'ISA' && elements[12] !== theirElements[12]) {
          assert.equal(String(Number(elements[12])), theirElements[12], `${name}: only the ISA13 zero padding may differ`);
          defectsSeen.add(KNOWN[0]);
          theirElements[12] = elements[12];
        }
        assert.deepEqual(elements, theirElements, `${name} segment ${i + 1} (${id})`);
      });
      compared++;
    }
  }
  assert.ok(compared >= 10, `compared ${compared} files`);
  t.diagnostic(`compared ${compared} files; node-x12 defects met: ${[...defectsSeen].join('; ')}`);
});
