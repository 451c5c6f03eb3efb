/**
 * Outbound CSV against values a buyer or partner controls: line breaks (CR, LF, CRLF), tabs,
 * quotes, delimiters and every formula lead, in every column of every CSV layout in mappings/
 * and in every free-text field of the outbound order layout. Each file must read back with a
 * standard reader (csv-parse) as one record per row holding exactly the cell written, no line
 * of it may start a formula (for readers that split lines without honouring quotes), and the
 * layout's own reader must give back the value sent.
 */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { loadMappings } from '../../src/mapping/index.ts';
import { CsvAdapter, neutralise, unneutralise, type CsvWriteNode } from '../../src/mapping/formats/csv.ts';
import type { CsvLayoutFile } from '../../src/mapping/schema.ts';
import { readPartner, translator, writePartner } from '../../src/mapping/translate.ts';
import { parseCanonical, type ShipOrder } from '../../src/model/index.ts';

const root = resolve(import.meta.dirname, '../..');
const { mappings, problems } = loadMappings(join(root, 'mappings'));
assert.deepEqual(problems, []);
const RUNS = Number(process.env.DOCKGATE_PROPERTY_RUNS ?? 60);

/** OWASP's formula leads, and the full-width forms Apple Numbers folds into them. */
const LEADS = ['=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20'];
const LEAD_AT_LINE_START = /(?:^|\r\n|\r|\n)'*[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/** Pieces of hostile text; joined, they make line breaks, formulas after them, quotes next to delimiters. */
const PIECES = ['\r', '\n', '\r\n', '\t', '"', "'", "''", ',', ';', '|', ' ', 'a', 'Z', '0', '7', '.', 'é', '=', '+', '-', '@', '-5', '+1.5', "=cmd|' /C calc'!A0", '=HYPERLINK("http://x.example")', '@SUM(A1:A9)'];
const hostile = (wide: boolean) => fc.array(fc.constantFrom(...PIECES, ...(wide ? LEADS.slice(6) : [])), { maxLength: 8 }).map((p) => p.join(''));

/**
 * Every place a line starts: none may begin a formula unless it is a number. In a file whose
 * delimiter is a tab, a tab at the start of a record is the delimiter after an empty cell (a
 * tab in a value is quoted, and neutralised after a line break).
 */
function assertNoFormulaLine(text: string, where: string, delimiter = ''): void {
  const leads = delimiter === '\t' ? /^[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]/ : /^[=+\-@\t\uFF1D\uFF0B\uFF0D\uFF20]/;
  for (const line of text.split(/\r\n|\r|\n/)) {
    // A record may start with a number cell (-5): the first cell as a line-splitting reader sees it.
    const first = delimiter ? line.split(delimiter)[0] : line;
    if (/^[-+]?\d+(\.\d+)?$/.test(first)) continue;
    assert.ok(!leads.test(line), `${where}: a line starts a formula: ${JSON.stringify(line)}`);
  }
}

const csvLayouts = [...mappings.layouts.values()].filter((l): l is CsvLayoutFile => l.format === 'csv');

/** The example layouts, and each with the other delimiters, quote and record delimiter a layout may choose. */
const variants: Array<{ name: string; layout: CsvLayoutFile }> = csvLayouts.flatMap((l) => [
  { name: l.id, layout: l },
  { name: `${l.id} (utf-8, ';', LF)`, layout: { ...l, csv: { ...l.csv, delimiter: ';', encoding: 'utf-8', recordDelimiter: '\n' } } },
  { name: `${l.id} (tab, no header)`, layout: { ...l, csv: { ...l.csv, delimiter: '\t', header: false } } },
  { name: `${l.id} ('|', quote ')`, layout: { ...l, csv: { ...l.csv, delimiter: '|', quote: "'", encoding: 'utf-8', bom: true } } },
]);

test('neutralising is undone exactly by reading, for any text; no line of a neutralised value starts a formula', () => {
  fc.assert(
    fc.property(fc.oneof(hostile(true), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: fc.constantFrom("'", '=', '\r', '\n', '\t', '-', '1', 'x'), maxLength: 30 })), (v) => {
      const n = neutralise(v);
      assert.equal(unneutralise(n), v);
      assertNoFormulaLine(n, JSON.stringify(v));
      // A value no spreadsheet would run is written as it is.
      if (!LEAD_AT_LINE_START.test(v)) assert.equal(n, v);
    }),
    { numRuns: RUNS * 20 },
  );
});

for (const { name, layout } of variants) {
  test(`CSV ${name}: every column of hostile rows reads back with csv-parse as written, and through the layout as sent`, async () => {
    const adapter = new CsvAdapter(layout);
    const c = layout.csv;
    const row = fc.tuple(...layout.columns.map(() => hostile(c.encoding === 'utf-8')));
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 4 }), async (rows) => {
        const docs: CsvWriteNode[] = rows.map((values) => ({ values: Object.fromEntries(layout.columns.map((col, i) => [col, values[i]])), children: [] }));
        const bytes = adapter.writeRows(docs);
        const text = iconv.decode(bytes, c.encoding).replace(/^\uFEFF/, '');
        const records = parse(text, { delimiter: c.delimiter, quote: c.quote, escape: c.quote, relax_column_count: false }) as string[][];
        const body = c.header ? records.slice(1) : records;
        if (c.header) assert.deepEqual(records[0], layout.columns);
        assert.equal(body.length, rows.length, `one record per row:\n${text}`);
        body.forEach((cells, r) => {
          assert.equal(cells.length, layout.columns.length);
          cells.forEach((cell, i) => {
            const sent = rows[r][i];
            assert.equal(unneutralise(cell), sent, `${layout.columns[i]}: ${JSON.stringify(cell)} for ${JSON.stringify(sent)}`);
            if (!LEAD_AT_LINE_START.test(sent)) assert.equal(cell, sent);
            assertNoFormulaLine(cell, layout.columns[i]);
          });
        });
        // A reader that splits the file into lines, quotes or not, meets no formula either.
        assertNoFormulaLine(text, 'file', c.delimiter);
        const read = [];
        for await (const r of adapter.readRows(bytes)) read.push(r);
        assert.equal(read.length, rows.length);
        read.forEach((r, k) => {
          layout.columns.forEach((col, i) => {
            const want = rows[k][i].trim();
            assert.equal(adapter.get({ rows: [r] }, col), want === '' ? undefined : want, col);
          });
        });
      }),
      { numRuns: RUNS },
    );
  });
}

// ------------------------------------------------------------------ through the translator

/** An MFN order and an FBA replenishment: between them every free-text field of the order layout. */
const sample = [
  { kind: 'ShipOrder', orderId: '112-3456789-1234567', type: 'mfn', seller: 'acme', marketplaceId: 'ATVPDKIKX0DER', purpose: 'new', shipTo: { name: 'x', lines: ['x'], city: 'x', countryCode: 'US' }, lines: [{ lineNumber: 1, sellerSku: 'TSHIRT-RED-M', quantity: 2 }, { lineNumber: 2, sellerSku: 'MUG-12OZ-WHT', quantity: 1 }] },
  { kind: 'ShipOrder', orderId: 'REPL-0077', type: 'fba-inbound', seller: 'acme', marketplaceId: 'ATVPDKIKX0DER', purpose: 'new', shipTo: { name: 'x', lines: ['x'], city: 'x', countryCode: 'US' }, fbaInbound: { shipmentId: 'FBA15ABCD1234', destinationFc: 'RNO4' }, lines: [{ lineNumber: 1, sellerSku: 'TSHIRT-RED-M', quantity: 48 }] },
].map(parseCanonical) as ShipOrder[];

/** Every string of an object trimmed, as the CSV reader gives cells back. */
const trimmed = <T>(o: T): T => (o === undefined ? o : (JSON.parse(JSON.stringify(o), (_k, v: unknown) => (typeof v === 'string' ? v.trim() : v)) as T));

test('translate to the Cascade orders CSV: hostile text in every free-text field keeps one row per order line and reads back as sent', async () => {
  const t = translator(mappings, 'cascade-csv', 'ship-order');
  // Names and addresses need a letter to be sent at all (text-policy.test.ts); around it, anything.
  const label = fc.tuple(hostile(false), fc.constantFrom('A', 'z', 'é'), hostile(false)).map((p) => p.join(''));
  const field = fc.tuple(hostile(false), fc.constantFrom('1', 'Q')).map((p) => p.join(''));
  const texts = fc.record({
    name: label, company: label, line0: label, line1: label, line2: label, city: label, state: label, zip: label,
    phone: field, email: field, service: field, gift: field, item1: field, item2: field, ref: field, which: fc.constantFrom(0, 1),
  });
  await fc.assert(
    fc.asyncProperty(texts, async (g) => {
      const base = sample[g.which];
      const order = parseCanonical({
        ...base,
        shipTo: { ...base.shipTo, name: g.name, company: g.company, lines: [g.line0, g.line1, g.line2], city: g.city, stateOrRegion: g.state, postalCode: g.zip, phone: g.phone, email: g.email },
        carrier: { service: g.service },
        ...(base.type === 'mfn' ? { gift: { message: g.gift, wrap: false } } : { fbaInbound: { ...base.fbaInbound!, referenceId: g.ref } }),
        lines: base.lines.map((l, i) => ({ ...l, orderItemId: i === 0 ? g.item1 : g.item2 })),
      }) as ShipOrder;
      const w = writePartner(t, [order]);
      assert.deepEqual(w.documents.map((d) => [d.status, d.textChanges]), [['ok', []]], JSON.stringify(w.documents));
      const text = iconv.decode(w.bytes!, 'windows-1252');
      const records = parse(text, { delimiter: ',', quote: '"' }) as string[][];
      assert.equal(records.length, 1 + order.lines.length, text);
      assertNoFormulaLine(text, 'file');
      const back = await readPartner(t, w.bytes!);
      assert.deepEqual(back.documents.map((d) => d.status), ['ok'], JSON.stringify(back.documents));
      const read = back.documents[0].document as ShipOrder;
      assert.deepEqual(read.shipTo, trimmed(order.shipTo));
      assert.deepEqual(read.carrier, trimmed(order.carrier));
      assert.deepEqual(read.gift, trimmed(order.gift));
      assert.deepEqual(read.fbaInbound, trimmed(order.fbaInbound));
      assert.deepEqual(read.lines.map((l) => l.orderItemId), trimmed(order.lines.map((l) => l.orderItemId)));
    }),
    { numRuns: RUNS },
  );
});

test("the issue's order: a ship-to line with a line break and a formula after it stays one row, the formula neutralised", async () => {
  const t = translator(mappings, 'cascade-csv', 'ship-order');
  const order = parseCanonical({ ...sample[0], shipTo: { ...sample[0].shipTo, lines: ["Apt 4\n=cmd|' /C calc'!A0"] } }) as ShipOrder;
  const w = writePartner(t, [order]);
  const text = iconv.decode(w.bytes!, 'windows-1252');
  assert.match(text, /,"Apt 4\n'=cmd\|' \/C calc'!A0",/);
  assert.equal((parse(text) as string[][]).length, 3);
  const back = await readPartner(t, w.bytes!);
  assert.deepEqual((back.documents[0].document as ShipOrder).shipTo.lines, ["Apt 4\n=cmd|' /C calc'!A0"]);
});
