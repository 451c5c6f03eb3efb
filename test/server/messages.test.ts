/**
 * The messages API over data the real flows made (test/server/order-flow-data.ts), plus a
 * corpus-like 945 with a bad date in a known segment taken by the real inbound poll: filters and
 * paging, located 400s and 404s, a file's history and its acknowledgement (the 997 that settled
 * it, with the AK3/AK4 reasons of the rejected set), raw and parsed views numbering segments the
 * same way, buyer data redacted for tokens without buyerData (and shown with it), resend refused
 * for a read-only token (403) and for a received file (409). Every response is checked against
 * the OpenAPI document by the API harness.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pollPartnerFiles } from '../../src/flows/inbound.ts';
import { messagesRoutes } from '../../src/server/routes/messages.ts';
import { ordersRoutes } from '../../src/server/routes/orders.ts';
import type { MessageRow } from '../../src/store/store.ts';
import { root } from '../flows/harness.ts';
import { startApi, type Api } from './api-harness.ts';
import { BUYER_TEXT, RENO, REJECTED_ORDER, runOrderFlow, SHIPPED_ORDER, type OrderFlowData } from './order-flow-data.ts';

let data: OrderFlowData;
let api: Api;
/** The 945 with the bad G62 date, and where its bad segment is. */
let badFile: MessageRow;
const BAD_SEGMENT = { index: 9, line: 7, tag: 'G62' };
const CASCADE = 'cascade-csv';

/**
 * The sample 945 with its first three segments on one line (so that segment numbers and line
 * numbers differ) and the first set's G62 date made impossible: segment 9, on line 7.
 */
function corpus945WithBadDate(): Buffer {
  const sample = readFileSync(join(root, 'samples/partners/reno-wms/945-shipment-advice.edi'), 'latin1');
  const text = sample.replace(/~\r?\n(GS\*)/, '~$1').replace(/~\r?\n(ST\*945\*0001)/, '~$1').replace(/G62\*11\*\d{8}/, 'G62*11*20261399').replace('*000077301*', '*000077399*');
  return Buffer.from(text, 'latin1');
}

before(async () => {
  data = await runOrderFlow();
  writeFileSync(join(data.h.partnerDir(RENO, 'inbound'), 'RENO-945-BAD-DATE.edi'), corpus945WithBadDate());
  await pollPartnerFiles(data.h.ctx, RENO);
  badFile = data.h.store.list({ kind: 'file', limit: 100 }).find((m) => m.fileName === 'RENO-945-BAD-DATE.edi')!;
  assert.ok(badFile, 'the inbound poll took the bad 945');
  // Cascade's sample CSVs: shipments (may name the buyer: withheld) and inventory (never does).
  for (const name of ['shipments.csv', 'inventory.csv']) writeFileSync(join(data.h.partnerDir(CASCADE, 'inbound'), name), readFileSync(join(root, 'samples/partners/cascade-csv', name)));
  await pollPartnerFiles(data.h.ctx, CASCADE);
  api = await startApi({ modules: [messagesRoutes, ordersRoutes], harness: data.h });
});
after(async () => {
  await api?.close();
  await data?.h.close();
});

// biome-ignore lint: response bodies
type Body = any;
const get = async (path: string, token?: string): Promise<Body> => {
  const r = await api.request('GET', path, { token });
  assert.equal(r.status, 200, `GET ${path}: ${JSON.stringify(r.body)}`);
  return r.body;
};
const ids = (page: Body): number[] => page.items.map((m: Body) => m.id);

test('messages: newest first, each filter, a cursor through every page once', async () => {
  const all = await get('/api/v1/messages');
  assert.equal(all.next, null);
  const every = ids(all);
  assert.deepEqual(every, [...every].sort((a, b) => b - a));
  for (const id of [data.shipOrderFile.id, data.ackFile.id, data.adviceFile.id, badFile.id]) assert.ok(every.includes(id), `file ${id} listed`);
  const shipOrder = all.items.find((m: Body) => m.id === data.shipOrderFile.id);
  assert.deepEqual(
    [shipOrder.direction, shipOrder.flow, shipOrder.partner, shipOrder.seller, shipOrder.sets, shipOrder.delivery, shipOrder.acknowledgement, shipOrder.containsPii],
    ['out', 'orders', RENO, 'acme', ['940'], 'delivered', 'partially-accepted', true],
  );
  assert.deepEqual([...shipOrder.orderIds].sort(), [REJECTED_ORDER, SHIPPED_ORDER].sort());

  assert.ok(ids(await get('/api/v1/messages?direction=out')).every((id) => data.h.store.get(id)!.direction === 'out'));
  assert.deepEqual(ids(await get('/api/v1/messages?flow=orders')), [data.shipOrderFile.id]);
  // The oldest file, found past the first small batches of the log.
  const oldestOnly = await get('/api/v1/messages?flow=orders&limit=1');
  assert.deepEqual([ids(oldestOnly), oldestOnly.next], [[data.shipOrderFile.id], null]);
  assert.deepEqual(ids(await get(`/api/v1/messages?flow=shipments&direction=in&partner=${RENO}`)).sort(), [data.adviceFile.id, badFile.id].sort());
  assert.deepEqual(ids(await get(`/api/v1/messages?orderId=${SHIPPED_ORDER}`)).sort(), [data.shipOrderFile.id, data.adviceFile.id].sort());
  assert.deepEqual(ids(await get('/api/v1/messages?state=partially-accepted')), [data.shipOrderFile.id], 'an axis value');
  assert.deepEqual(ids(await get(`/api/v1/messages?state=rejected&direction=in&partner=${RENO}`)), [badFile.id], 'a status');
  assert.deepEqual(ids(await get('/api/v1/messages?seller=northwind&flow=orders')), []);
  assert.equal(ids(await get('/api/v1/messages?partner=cascade-csv')).length, 2);
  const first = data.h.store.get(every[every.length - 1])!.createdAt;
  assert.deepEqual(ids(await get(`/api/v1/messages?until=${encodeURIComponent(first)}`)), [], 'until is exclusive');
  assert.deepEqual(ids(await get(`/api/v1/messages?since=${encodeURIComponent(first)}`)), every, 'since is inclusive');
  assert.deepEqual(ids(await get('/api/v1/messages?since=2030-01-01T00:00:00Z')), []);

  const seen: number[] = [];
  let path = '/api/v1/messages?limit=2';
  for (let i = 0; i < every.length + 1; i++) {
    const page = await get(path);
    assert.ok(page.items.length <= 2);
    seen.push(...ids(page));
    if (!page.next) break;
    path = `/api/v1/messages?limit=2&cursor=${encodeURIComponent(page.next)}`;
  }
  assert.deepEqual(seen, every);
});

test('messages: located 400s for bad limits, dates, flows and cursors; 404 for an unknown message', async () => {
  for (const [query, where] of [
    ['limit=0', 'query.limit'],
    ['limit=1001', 'query.limit'],
    ['limit=many', 'query.limit'],
    ['since=yesterday', 'query.since'],
    ['until=2026-13-45T00:00:00Z', 'query.until'],
    ['since=2026-11-26T00:00:00Z&until=2026-11-25T00:00:00Z', 'query.since'],
    ['flow=pizza', 'query.flow'],
    ['direction=sideways', 'query.direction'],
    ['cursor=%7B%7D', 'query.cursor'],
  ]) {
    const r = await api.request('GET', `/api/v1/messages?${query}`);
    assert.equal(r.status, 400, `${query}: ${JSON.stringify(r.body)}`);
    assert.deepEqual([r.body.error.code, r.body.error.where], ['bad-request', where], query);
  }
  for (const suffix of ['', '/raw', '/parsed']) {
    const r = await api.request('GET', `/api/v1/messages/99999${suffix}`);
    assert.deepEqual([r.status, r.body.error.code], [404, 'not-found'], suffix);
    const bad = await api.request('GET', `/api/v1/messages/abc${suffix}`);
    assert.deepEqual([bad.status, bad.body.error.where], [400, 'path.id'], suffix);
  }
});

test('a sent 940: its history, envelope rows, orders, and the 997 that settled it with the rejected set\'s AK3/AK4 reasons', async () => {
  const d = await get(`/api/v1/messages/${data.shipOrderFile.id}`);
  assert.equal(d.message.id, data.shipOrderFile.id);
  assert.equal(d.selected, null);
  const what = d.events.map((e: Body) => e.what);
  assert.ok(what.includes('delivery: pending -> delivered'), JSON.stringify(what));
  assert.ok(what.some((w: string) => /^acknowledgement: awaiting -> partially-accepted$/.test(w)), JSON.stringify(what));
  const times = d.events.map((e: Body) => Date.parse(e.at));
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
  assert.deepEqual(d.children.map((c: Body) => c.kind), ['interchange', 'group', 'set', 'set']);
  assert.deepEqual(d.orders.map((o: Body) => o.orderId).sort(), [REJECTED_ORDER, SHIPPED_ORDER].sort());

  const ack = d.acknowledgement;
  assert.equal(ack.state, 'partially-accepted');
  assert.equal(ack.ackMessageId, data.ackFile.id, 'the received 997 that settled it');
  assert.deepEqual(ack.groups.map((g: Body) => [g.state, g.ackMessageId, g.ackKind]), [['partially-accepted', data.ackFile.id, '997']]);
  const sets = d.children.filter((c: Body) => c.kind === 'set');
  const rejectedSet = sets.find((s: Body) => s.acknowledgement === 'rejected');
  assert.ok(rejectedSet, JSON.stringify(sets));
  const reasons = ack.reasons.filter((r: Body) => r.set === rejectedSet.control);
  // The simulator rejects the set with AK5 R 5, AK3 W05 at 2 (code 8), AK4 W05-01 invalid code (7).
  assert.deepEqual(
    reasons.map((r: Body) => [r.segment, r.position, r.element, r.code]),
    [
      [null, null, null, '5'],
      ['W05', 2, null, '8'],
      ['W05', 2, 'W0501', '7'],
    ],
  );
  assert.match(reasons[2].text, /^Invalid code value \('\[redacted\]'\)$/, 'the bad data an AK4 quotes is redacted for a token without buyerData');
  const shown = (await get(`/api/v1/messages/${data.shipOrderFile.id}`, api.buyer)).acknowledgement.reasons.find((r: Body) => r.element === 'W0501');
  assert.doesNotMatch(shown.text, /redacted/);
  assert.ok(!ack.reasons.some((r: Body) => r.set === sets.find((s: Body) => s !== rejectedSet).control), 'the accepted set has no reasons');

  // A row inside the file: the file's story with that row selected.
  const set = await get(`/api/v1/messages/${rejectedSet.id}`);
  assert.equal(set.message.id, data.shipOrderFile.id);
  assert.deepEqual([set.selected.id, set.selected.kind, set.selected.acknowledgement], [rejectedSet.id, 'set', 'rejected']);
});

test('raw and parsed number the segments the same way: the bad G62 is segment 9 (line 7) in both', async () => {
  for (const token of [api.rw, api.buyer]) {
    const raw = await get(`/api/v1/messages/${badFile.id}/raw`, token);
    const parsed = await get(`/api/v1/messages/${badFile.id}/parsed`, token);
    assert.equal(raw.format, 'x12');
    assert.deepEqual(raw.segments.map((s: Body) => s.index), raw.segments.map((_: Body, i: number) => i + 1), '1-based, in file order');
    const seg = raw.segments[BAD_SEGMENT.index - 1];
    assert.deepEqual([seg.index, seg.line, seg.tag], [BAD_SEGMENT.index, BAD_SEGMENT.line, BAD_SEGMENT.tag]);
    assert.match(seg.text, /^G62\*11\*20261399/);
    assert.deepEqual(raw.segments.slice(0, 3).map((s: Body) => [s.tag, s.line]), [['ISA', 1], ['GS', 1], ['ST', 1]]);
    // Each segment's text is in the raw text, on its line.
    const lines = raw.text.split('\n');
    for (const s of raw.segments) assert.ok(lines[s.line - 1].includes(s.text), `segment ${s.index} on line ${s.line}`);

    assert.equal(parsed.format, 'x12');
    assert.ok(parsed.failingSegments.includes(BAD_SEGMENT.index), JSON.stringify(parsed.failingSegments));
    const dateError = parsed.diagnostics.find((x: Body) => x.code === 'element.invalid-date');
    assert.deepEqual([dateError.segmentIndex, dateError.line, dateError.segment], [BAD_SEGMENT.index, BAD_SEGMENT.line, 'G62']);
    // A diagnostic located by line and segment id only (the set's summary) lands on the ST, not on the ISA sharing its line.
    const summary = parsed.diagnostics.find((x: Body) => x.code === 'st.segments-in-error');
    assert.deepEqual([summary.segmentIndex, summary.segment], [3, 'ST']);
    assert.deepEqual(parsed.failingSegments.slice(0, 2), [3, BAD_SEGMENT.index]);
    for (const i of parsed.failingSegments) {
      assert.ok(raw.segments[i - 1], `failing segment ${i} is in the raw view`);
      const errors = parsed.diagnostics.filter((x: Body) => x.level === 'error' && x.segmentIndex === i);
      assert.ok(errors.length > 0 && errors.every((x: Body) => x.segment === raw.segments[i - 1].tag), `segment ${i}: ${JSON.stringify(errors)}`);
    }
    assert.ok(parsed.tree && Array.isArray(parsed.tree.interchanges), 'the X12 JSON form');
  }
});

test('buyer data: redacted in place in X12 for a token without buyerData (segments keep their places), shown with buyerData', async () => {
  const rw = await get(`/api/v1/messages/${data.shipOrderFile.id}/raw`);
  const buyer = await get(`/api/v1/messages/${data.shipOrderFile.id}/raw`, api.buyer);
  assert.deepEqual([rw.redacted, buyer.redacted], [true, false]);
  assert.equal(rw.segments.length, buyer.segments.length);
  assert.equal(rw.lines, buyer.lines);
  assert.deepEqual(rw.segments.map((s: Body) => [s.index, s.line, s.tag]), buyer.segments.map((s: Body) => [s.index, s.line, s.tag]));
  const shipTo = rw.segments.filter((s: Body) => s.tag === 'N1' && s.text.startsWith('N1*ST*'));
  assert.ok(shipTo.length >= 2);
  for (const s of shipTo) assert.match(s.text, /^N1\*ST\*\[redacted\]/);
  const n4 = rw.segments.filter((s: Body) => s.tag === 'N4');
  assert.ok(n4.some((s: Body) => /^N4\*\[redacted\]\*\[redacted\]\*\[redacted\]\*(US|CA)/.test(s.text)), 'N404 country kept');
  assert.ok(/JANE DOE|Jane Doe/i.test(buyer.text), 'the buyer token sees the name');
  const tree = await get(`/api/v1/messages/${data.shipOrderFile.id}/parsed`);
  assert.equal(tree.redacted, true);
  assert.ok(JSON.stringify(tree.tree).includes('[redacted]'));
  assert.ok(/jane doe/i.test(JSON.stringify((await get(`/api/v1/messages/${data.shipOrderFile.id}/parsed`, api.buyer)).tree)));
});

test('flat files: a CSV that may name the buyer is withheld without buyerData, shown and parsed through the mapping with it; one that never does is shown', async () => {
  const files = data.h.store.list({ kind: 'file', limit: 100 }).filter((m) => m.partner === CASCADE);
  const shipments = files.find((m) => m.fileName === 'shipments.csv')!;
  const inventory = files.find((m) => m.fileName === 'inventory.csv')!;
  assert.deepEqual([shipments.containsPii, inventory.containsPii], [true, false]);

  const hidden = await get(`/api/v1/messages/${shipments.id}/raw`);
  assert.deepEqual([hidden.format, hidden.redacted, hidden.text, hidden.segments], ['csv', true, null, undefined]);
  assert.match(hidden.withheld, /buyerData/);
  assert.ok(hidden.lines > 1);
  const shown = await get(`/api/v1/messages/${shipments.id}/raw`, api.buyer);
  assert.deepEqual([shown.redacted, shown.withheld], [false, null]);
  assert.ok(shown.text.startsWith('OrderNumber,ShipmentNumber'));
  assert.equal(shown.encoding, 'latin1', 'a windows-1252 export');
  const parsed = await get(`/api/v1/messages/${shipments.id}/parsed`, api.buyer);
  assert.deepEqual([parsed.format, parsed.tree.document, parsed.tree.layout], ['csv', 'shipment-advice', 'cascade-shipments']);
  assert.ok(parsed.tree.documents.length >= 2, JSON.stringify(parsed.tree).slice(0, 300));
  assert.ok(parsed.tree.documents.some((d: Body) => d.document?.orderId === '114-2223334-4445556'));
  const parsedHidden = await get(`/api/v1/messages/${shipments.id}/parsed`);
  assert.equal(parsedHidden.redacted, true);
  assert.ok(parsedHidden.tree.documents.every((d: Body) => d.read === null), 'what the layout read is not shown redacted');

  const stock = await get(`/api/v1/messages/${inventory.id}/raw`);
  assert.deepEqual([stock.format, stock.redacted, stock.withheld], ['csv', false, null]);
  assert.ok(stock.text.startsWith('Warehouse,SnapshotTime'));
  const stockParsed = await get(`/api/v1/messages/${inventory.id}/parsed`);
  assert.equal(stockParsed.tree.document, 'inventory');
  assert.equal(stockParsed.diagnostics.filter((x: Body) => x.level === 'error').length, 0, JSON.stringify(stockParsed.diagnostics));
});

test('no response to a token without buyerData names a buyer; the buyerData token sees the name', async () => {
  const bodies: string[] = [];
  const sweep = async (token: string) => {
    const out: string[] = [];
    const list = await get('/api/v1/messages', token);
    out.push(JSON.stringify(list));
    for (const m of list.items) for (const suffix of ['', '/raw', '/parsed']) out.push(JSON.stringify(await get(`/api/v1/messages/${m.id}${suffix}`, token)));
    for (const row of data.h.store.list({ limit: 200 }).filter((r) => r.kind !== 'file')) out.push(JSON.stringify(await get(`/api/v1/messages/${row.id}`, token)));
    const orders = await get('/api/v1/orders', token);
    out.push(JSON.stringify(orders));
    for (const o of orders.items) out.push(JSON.stringify(await get(`/api/v1/orders/${o.seller}/${o.orderId}`, token)));
    out.push(JSON.stringify(await get('/api/v1/packages', token)));
    return out.join('\n');
  };
  // The read-only token has buyerData false like rw: the same bodies, so rw's sweep stands for both.
  bodies.push(await sweep(api.rw));
  for (const text of bodies) {
    for (const name of BUYER_TEXT) assert.ok(!text.toLowerCase().includes(name.toLowerCase()), `"${name}" reached a token without buyerData`);
  }
  const withBuyer = [
    JSON.stringify(await get(`/api/v1/messages/${data.shipOrderFile.id}/raw`, api.buyer)),
    JSON.stringify(await get(`/api/v1/orders/acme/${SHIPPED_ORDER}`, api.buyer)),
  ]
    .join('\n')
    .toLowerCase();
  for (const name of ['Jane Doe', '123 Main St']) assert.ok(withBuyer.includes(name.toLowerCase()), `the buyerData token sees "${name}"`);
});

test('resend: 403 for a read-only token, 409 with the reason for a received file, 404 for an unknown one', async () => {
  const ro = await api.request('POST', `/api/v1/messages/${data.shipOrderFile.id}/resend`, { token: api.ro });
  assert.deepEqual([ro.status, ro.body.error.code], [403, 'forbidden']);
  const received = await api.request('POST', `/api/v1/messages/${data.ackFile.id}/resend`);
  assert.deepEqual([received.status, received.body.error.code], [409, 'conflict']);
  assert.match(received.body.error.message, /only what we sent can be resent/);
  const ours997 = data.h.store.list({ kind: 'file', limit: 100 }).find((m) => m.direction === 'out' && /_997_/.test(m.fileName ?? ''))!;
  const noOrders = await api.request('POST', `/api/v1/messages/${ours997.id}/resend`);
  assert.deepEqual([noOrders.status, noOrders.body.error.code], [409, 'conflict']);
  assert.match(noOrders.body.error.message, /carries no orders/);
  const missing = await api.request('POST', '/api/v1/messages/99999/resend');
  assert.equal(missing.status, 404);
});

test('a file past 2 MB: raw and parsed say truncated, raw holds the first 2 MB, parsed has no tree', async () => {
  const note = `NTE*GEN*${'X'.repeat(240)}~\n`;
  const count = Math.ceil((2 * 1024 * 1024) / note.length) + 200;
  const text = `ISA*00*          *00*          *ZZ*RENOWMS        *ZZ*ACME3PL        *261124*1622*U*00401*000077500*0*T*>~\nGS*IB*RENOWMS*ACME3PL*20261124*1622*77500*X*004010~\nST*846*0001~\nBIA*00*SI*INV1*20261124~\n${note.repeat(count)}SE*${count + 3}*0001~\nGE*1*77500~\nIEA*1*000077500~\n`;
  const bytes = Buffer.from(text, 'latin1');
  const blob = await data.h.store.blobs.putBuffer(bytes);
  const id = await data.h.store.recordFile({ direction: 'in', partner: RENO, fileName: 'RENO-846-BIG.edi', sha256: blob.sha256, size: blob.size, status: 'received', containsPii: false, children: [] });
  const raw = await get(`/api/v1/messages/${id}/raw`);
  assert.deepEqual([raw.truncated, raw.size, raw.format], [true, bytes.length, 'x12']);
  assert.ok(raw.text.length <= 2 * 1024 * 1024 && raw.text.length > 2 * 1024 * 1024 - note.length);
  assert.ok(raw.segments.length < count && raw.segments.length > count - 400, String(raw.segments.length));
  const parsed = await get(`/api/v1/messages/${id}/parsed`);
  assert.deepEqual([parsed.truncated, parsed.tree], [true, null]);
  assert.ok(parsed.failingSegments.every((i: number) => i <= raw.segments.length));
});

test('raw bytes purged by retention: 404 saying so', async () => {
  const store = data.h.store;
  // Retention counts from completion: a year on, every completed file with buyer data is purged.
  const purged = await store.purgeExpired(new Date(Date.parse(data.clock.now().toISOString()) + 365 * 86_400_000));
  const file = purged.files.find((f) => f.id === data.adviceFile.id);
  assert.ok(file, `the 945 was purged: ${JSON.stringify(purged.files.map((f) => f.id))}`);
  for (const suffix of ['/raw', '/parsed']) {
    const r = await api.request('GET', `/api/v1/messages/${data.adviceFile.id}${suffix}`);
    assert.deepEqual([r.status, r.body.error.code], [404, 'not-found']);
    assert.match(r.body.error.message, /purged by retention/);
  }
  const d = await get(`/api/v1/messages/${data.adviceFile.id}`);
  assert.equal(d.message.purged, true);
});
