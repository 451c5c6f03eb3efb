/**
 * The removals routes over the real app (test/server/api-harness.ts: every response checked
 * against the OpenAPI document): expected arrivals listed with filters and pages, one with its
 * postings, and what the match route refuses. Matches that post units are in
 * test/flows/removals.test.ts, with the warehouse simulator and the emulator.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExpectedArrival } from '../../src/store/removals.ts';
import { startApi } from './api-harness.ts';

const NOW = '2026-11-25T12:00:00.000Z';

function arrival(o: Partial<ExpectedArrival> & Pick<ExpectedArrival, 'seller' | 'reference' | 'sellerSku'>): Omit<ExpectedArrival, 'id' | 'received' | 'state' | 'createdAt' | 'updatedAt'> {
  return { source: 'removal', fnsku: null, lpn: null, carrier: 'UPS', trackingNumber: null, disposition: 'Sellable', expected: 3, shippedAt: '2026-11-22T15:00:00.000Z', ...o };
}

test('GET /removals: newest first, by seller and state (open: expected or partially received), paged; GET /removals/{id} with its postings; what the match route refuses', async () => {
  const api = await startApi();
  const r = api.harness.store.work.removals;
  try {
    const a1 = (await r.upsertExpected(arrival({ seller: 'acme', reference: 'RMV-1000-0001', sellerSku: 'MUG-12OZ-WHT', trackingNumber: '1Z999AA10111111111' }), NOW)).record;
    const a2 = (await r.upsertExpected(arrival({ seller: 'acme', source: 'return', reference: '112-1234567-7654321', sellerSku: 'TSHIRT-RED-M', lpn: 'LPN1', carrier: null, expected: 1 }), NOW)).record;
    const a3 = (await r.upsertExpected(arrival({ seller: 'northwind', reference: 'RMV-2000-0001', sellerSku: 'NW-LANTERN' }), NOW)).record;
    await r.receive(a1.id, 1, NOW);
    await r.receive(a2.id, 1, NOW);
    const posting = await r.addPosting({ seller: 'acme', partner: 'reno-wms', fileMessageId: 1, receiptId: 'RCV1', line: 0, arrivalId: a1.id, sellerSku: 'MUG-12OZ-WHT', warehouseItem: 'MUG-12-WHT', quantity: 1, condition: 'sellable', disposition: 'sellable', matchedBy: 'removal-order', state: 'posted', exceptionId: null, at: NOW });

    const all = await api.request('GET', '/api/v1/removals');
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.items.map((a: ExpectedArrival) => a.id), [a3.id, a2.id, a1.id]);
    assert.equal(all.body.next, null);

    const acmeOpen = await api.request('GET', '/api/v1/removals?seller=acme&state=open');
    assert.deepEqual(acmeOpen.body.items.map((a: ExpectedArrival) => [a.reference, a.state, a.received]), [['RMV-1000-0001', 'partially-received', 1]]);
    const received = await api.request('GET', '/api/v1/removals?state=received');
    assert.deepEqual(received.body.items.map((a: ExpectedArrival) => a.lpn), ['LPN1']);
    const bySku = await api.request('GET', '/api/v1/removals?sku=NW-LANTERN');
    assert.deepEqual(bySku.body.items.map((a: ExpectedArrival) => a.seller), ['northwind']);

    const page1 = await api.request('GET', '/api/v1/removals?limit=2');
    assert.equal(page1.body.items.length, 2);
    const page2 = await api.request('GET', `/api/v1/removals?limit=2&cursor=${page1.body.next}`);
    assert.deepEqual(page2.body.items.map((a: ExpectedArrival) => a.id), [a1.id]);
    assert.equal(page2.body.next, null);

    for (const bad of ['state=lost', 'limit=0', 'cursor=bm9wZQ', 'colour=red']) {
      const res = await api.request('GET', `/api/v1/removals?${bad}`);
      assert.equal(res.status, 400, bad);
    }

    const one = await api.request('GET', `/api/v1/removals/${a1.id}`);
    assert.equal(one.status, 200);
    assert.deepEqual([one.body.arrival.reference, one.body.postings.map((p: { id: number }) => p.id)], ['RMV-1000-0001', [posting.id]]);
    assert.equal((await api.request('GET', '/api/v1/removals/424242')).status, 404);
    assert.equal((await api.request('GET', '/api/v1/removals/abc')).status, 400);

    // The match route: a posted line is matched already; no such posting; a body without a reference.
    const posted = await api.request('POST', `/api/v1/removals/postings/${posting.id}/match`, { body: { reference: 'RMV-1000-0001' } });
    assert.equal(posted.status, 409);
    assert.match(posted.body.error.message, /matched already \(arrival \d+\)/);
    assert.equal((await api.request('POST', '/api/v1/removals/postings/424242/match', { body: { reference: 'RMV-1000-0001' } })).status, 404);
    assert.equal((await api.request('POST', `/api/v1/removals/postings/${posting.id}/match`, { body: {} })).status, 400);
    assert.equal((await api.request('GET', '/api/v1/removals', { token: null })).status, 401);

    assert.ok(api.doc.paths['/api/v1/removals']?.get);
    assert.ok(api.doc.paths['/api/v1/removals/postings/{id}/match']?.post);
  } finally {
    await api.close();
  }
});
