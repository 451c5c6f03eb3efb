/**
 * The JSON form is written as a stream: memory does not grow with the file (checked on the real
 * command in child processes, by peak resident memory, for two file sizes), and nesting as deep
 * as the data (a 3,500-level HL chain) is written and read back without recursion.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { parseDocument, writeJsonForm } from '../../src/x12/json-form.ts';
import { readX12Sync } from '../../src/x12/reader.ts';
import type { SetTree, TreeNode } from '../../src/x12/tree.ts';
import { validateSet } from '../../src/x12/validate/index.ts';
import { writeDocument } from '../../src/x12/writer.ts';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/dockgate.js');
const peakMemory = join(root, 'test/x12/fixtures/peak-memory.mjs');
const ISA = 'ISA*00*          *00*          *ZZ*RENOWMS        *ZZ*ACME3PL        *261124*1405*U*00401*000077301*0*T*>~\n';

/** A valid 945 file of `sets` shipment advices. */
function shipments(sets: number): string {
  const parts = [ISA, 'GS*SW*RENOWMS*ACME3PL*20261124*1622*77301*X*004010~\n'];
  for (let i = 1; i <= sets; i++) {
    const c = String(i).padStart(6, '0');
    const segs = [`ST*945*${c}`, `W06*F*ORDER${i}*20261124*SHP${i}`, 'N1*ST*JANE DOE', 'N3*123 MAIN ST*APT 4', 'N4*SEATTLE*WA*98101*US', 'W27*U*UPSN', 'LX*1', 'MAN*CP*1Z999AA10123456784', 'W12*CC*2*2*0*EA*012345678905*VN*TSHIRT-RED-M', 'N9*LV*LPN0000451001', 'W03*3*2.1*LB'];
    parts.push(`${[...segs, `SE*${segs.length + 1}*${c}`].join('~\n')}~\n`);
  }
  parts.push(`GE*${sets}*77301~\nIEA*1*000077301~\n`);
  return parts.join('');
}

/** A heap limit far below the JSON form of the large file: holding the document cannot fit in it. */
const HEAP_MB = 32;

/**
 * Peak resident memory of `dockgate x12 to-json FILE -o OUT` run with a capped heap, in bytes
 * (the cap also keeps a lazy collector from growing the heap on a busy machine).
 */
function toJsonPeak(file: string, out: string): number {
  const r = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MB}`, '--import', peakMemory, bin, 'x12', 'to-json', file, '-o', out], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const kb = /peak-rss-kb=(\d+)/.exec(r.stderr);
  assert.ok(kb, r.stderr);
  return Number(kb[1]) * 1024;
}

test(`to-json memory does not grow with the file: a JSON form larger than a ${HEAP_MB} MB heap is written, and 8x the input grows peak memory by less than a third of the larger JSON form`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-json-stream-'));
  const small = join(dir, 'small.edi');
  const large = join(dir, 'large.edi');
  writeFileSync(small, shipments(5_000));
  writeFileSync(large, shipments(40_000));
  const smallPeak = toJsonPeak(small, join(dir, 'small.json'));
  const largePeak = toJsonPeak(large, join(dir, 'large.json'));
  const grown = statSync(large).size - statSync(small).size;
  const json = statSync(join(dir, 'large.json')).size;
  const jsonGrown = json - statSync(join(dir, 'small.json')).size;
  assert.ok(json > 1.5 * HEAP_MB * 1e6, `the JSON form (${Math.round(json / 1e6)} MB) is larger than the heap limit`);
  // Holding the document (or its text) would grow memory by more than the JSON it grew by; a
  // stream stays within a few MB of the small run. The bound is a third of the JSON growth, not
  // the input growth: the collector's timing on a loaded 2-core machine moves the peak by a few
  // MB either way, and a bound that close to the noise fails without a defect.
  assert.ok(largePeak - smallPeak < jsonGrown / 3, `peak ${Math.round(smallPeak / 1e6)} MB -> ${Math.round(largePeak / 1e6)} MB for ${Math.round(grown / 1e6)} MB more input (${Math.round(json / 1e6)} MB of JSON)`);
  const doc = JSON.parse(readFileSync(join(dir, 'large.json'), 'utf8'));
  assert.equal(doc.interchanges[0].groups[0].sets.length, 40_000);
});

test('a 3,500-level HL chain is written, read back and reproduced without recursion', async () => {
  const depth = 3_500;
  const segs = ['ST*856*0001', 'BSN*00*S1*20261124*1200', 'HL*1**S', 'TD1*CTN25*1'];
  for (let i = 2; i <= depth + 1; i++) segs.push(`HL*${i}*${i - 1}*O`);
  segs.push('CTT*1');
  const text = `${ISA}GS*SH*RENOWMS*ACME3PL*20261124*1200*42*X*004010~\n${[...segs, `SE*${segs.length + 1}*0001`].join('~\n')}~\nGE*1*42~\nIEA*1*000077301~\n`;
  let json = '';
  await writeJsonForm(readX12Sync(Buffer.from(text)), (s) => validateSet(s, { buildTree: true }).tree as SetTree, (piece) => {
    json += piece;
  });
  const doc = parseDocument(JSON.parse(json));
  let nodes: TreeNode[] = doc.interchanges[0].groups[0].sets[0].children;
  let levels = 0;
  for (;;) {
    const next = nodes.find((n) => 'loop' in n && n.loop === 'HL');
    if (!next || !('loop' in next)) break;
    levels++;
    nodes = next.children;
  }
  assert.equal(levels, depth + 1, 'every HL nested under its parent');
  // Indentation stops deepening at some level: the text stays linear in the depth, not quadratic.
  assert.ok(json.length < text.length * 40, `${json.length} characters of JSON for ${text.length} of X12`);
  assert.equal(writeDocument(doc).toString(), text);
});
