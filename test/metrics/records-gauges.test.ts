/**
 * The gauges of issue 12's records, read from a real store at scrape time: FBA shipments and
 * expected arrivals by seller and state, and none of their business keys (shipment ids, removal
 * order ids, LPNs, tracking numbers) anywhere in the scrape.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadMappings } from '../../src/mapping/load.ts';
import { GatewayMetrics } from '../../src/metrics/index.ts';
import type { FbaShipmentRecord } from '../../src/store/fba.ts';
import { openStore } from '../../src/store/index.ts';
import { MAPPINGS } from '../flows/harness.ts';

const NOW = '2026-11-25T00:00:00.000Z';

const shipment = (seller: string, shipmentId: string, state: FbaShipmentRecord['state']): FbaShipmentRecord => ({
  seller,
  shipmentId,
  inboundPlanId: 'wf1a2b3c4d-5e6f',
  amazonShipmentId: 'sh1a2b3c4d-5e6f',
  planName: null,
  marketplaceId: 'ATVPDKIKX0DER',
  partner: 'reno-wms',
  destinationFc: 'RNO4',
  amazonReferenceId: null,
  amazonStatus: 'READY_TO_SHIP',
  boxes: [],
  labelsUrl: null,
  state,
  source: 'poll',
  sentAt: NOW,
  shippedAt: null,
  trackingAt: null,
  shipped: null,
  problems: [],
  asnMessageId: null,
  exceptionId: null,
  createdAt: NOW,
  updatedAt: NOW,
});

const sample = (text: string, name: string, labels: Record<string, string>): number | null => {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line ? Number(line.split(' ').at(-1)) : null;
};

test('FBA shipments and expected arrivals counted by seller and state at scrape time, without their ids', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-gauges-'));
  const store = openStore({ dataDir: dir });
  try {
    const metrics = new GatewayMetrics({ now: () => new Date(NOW) }, { defaultMetrics: false });
    const { mappings } = loadMappings(MAPPINGS);
    metrics.watchStore({ store, mappings: () => mappings });
    await store.work.fba.put(shipment('acme', 'FBA15ABCD1234', 'sent'));
    await store.work.fba.put(shipment('acme', 'FBA16WXYZ5678', 'sent'));
    await store.work.fba.put(shipment('northwind', 'FBA17NW000001', 'mismatched'));
    const base = { seller: 'acme', source: 'removal' as const, sellerSku: 'TSHIRT-RED-M-FBA', fnsku: null, lpn: null, carrier: 'UPS', disposition: 'Sellable', expected: 3, shippedAt: NOW };
    const a = await store.work.removals.upsertExpected({ ...base, reference: 'RMV-5120-0042', trackingNumber: '1Z999AA10187654321' }, NOW);
    await store.work.removals.upsertExpected({ ...base, reference: 'RMV-5120-0043', trackingNumber: '1Z999AA10187654322' }, NOW);
    await store.work.removals.receive(a.record.id, 1, NOW);

    let text = await metrics.render();
    assert.equal(sample(text, 'dockgate_fba_shipments', { seller: 'acme', state: 'sent' }), 2);
    assert.equal(sample(text, 'dockgate_fba_shipments', { seller: 'northwind', state: 'mismatched' }), 1);
    assert.equal(sample(text, 'dockgate_expected_arrivals', { seller: 'acme', state: 'expected' }), 1);
    assert.equal(sample(text, 'dockgate_expected_arrivals', { seller: 'acme', state: 'partially-received' }), 1);
    assert.match(text, /# TYPE dockgate_fba_shipments gauge/);
    assert.match(text, /# TYPE dockgate_expected_arrivals gauge/);
    for (const key of ['FBA15ABCD1234', 'FBA17NW000001', 'RMV-5120-0042', '1Z999AA10187654321', 'TSHIRT-RED-M-FBA']) assert.ok(!text.includes(key), `${key} is not in the scrape`);

    // A state left is not left behind as a stale series.
    await store.work.fba.put(shipment('northwind', 'FBA17NW000001', 'tracking-accepted'));
    text = await metrics.render();
    assert.equal(sample(text, 'dockgate_fba_shipments', { seller: 'northwind', state: 'mismatched' }), null);
    assert.equal(sample(text, 'dockgate_fba_shipments', { seller: 'northwind', state: 'tracking-accepted' }), 1);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
