/**
 * Fulfillment Inbound 2024-03-20 for issue 12, through the real amazon-sp-api client against the
 * emulator: shipments with their statuses and FC addresses, tracking given to Amazon (small
 * parcel and LTL, refused as Amazon refuses), the hooks the flows' tests use; every request and
 * answer checked against Amazon's model.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AmazonApiError } from '../../src/amazon/errors.ts';
import { withEmulator } from '../amazon/helpers.ts';
import { modelProblems } from './model-check.ts';

const PLAN15 = { inboundPlanId: 'wf1a2b3c4d-5e6f-7a8b-9c0d-111111111111', shipmentId: 'sh1a2b3c4d-5e6f-7a8b-9c0d-222222222222' };

test('listInboundShipments: every shipment of the non-voided plans with status and FC; filtered by status; a status set by the hook shows', async () => {
  await withEmulator({}, async (emu, adapter) => {
    const a = adapter('acme');
    assert.deepEqual(await a.listInboundShipments(), [
      { inboundPlanId: 'wf2b3c4d5e-6f7a-8b9c-0d1e-333333333333', planName: 'Replenishment REPL-0081', shipmentId: 'sh2b3c4d5e-6f7a-8b9c-0d1e-444444444444', confirmationId: 'FBA16WXYZ5678', status: 'WORKING', destinationFc: 'ONT8' },
      { inboundPlanId: PLAN15.inboundPlanId, planName: 'Replenishment REPL-0077', shipmentId: PLAN15.shipmentId, confirmationId: 'FBA15ABCD1234', status: 'READY_TO_SHIP', destinationFc: 'RNO4' },
    ]);
    assert.deepEqual((await a.listInboundShipments({ statuses: ['READY_TO_SHIP'] })).map((s) => s.confirmationId), ['FBA15ABCD1234']);
    emu.setInboundShipmentStatus('acme', 'FBA16WXYZ5678', 'READY_TO_SHIP');
    emu.setInboundShipmentStatus('acme', 'FBA15ABCD1234', 'SHIPPED');
    assert.deepEqual((await a.listInboundShipments({ statuses: ['READY_TO_SHIP'] })).map((s) => s.confirmationId), ['FBA16WXYZ5678']);
    assert.throws(() => emu.setInboundShipmentStatus('acme', 'FBA15ABCD1234', 'SENT'), /status: one of ABANDONED/);
    assert.throws(() => emu.setInboundShipmentStatus('acme', 'FBA99NOTHERE', 'SHIPPED'), /not a shipment of seller acme/);
    // A voided plan's shipments are not listed.
    emu.addInboundPlan('acme', {
      inboundPlanId: 'wf9a9a9a9a-0000-0000-0000-999999999999',
      name: 'Voided',
      status: 'VOIDED',
      createdAt: '2026-11-26T09:00:00Z',
      marketplaceIds: ['ATVPDKIKX0DER'],
      shipments: [{ shipmentId: 'sh9a9a9a9a-0000-0000-0000-999999999999', confirmationId: 'FBA19VOID0001', destinationFc: 'PHX7', status: 'CANCELLED' }],
    });
    assert.ok(!(await a.listInboundShipments()).some((s) => s.confirmationId === 'FBA19VOID0001'));
    assert.deepEqual(modelProblems(emu), []);
  });
});

test('inboundShipment: the FC address from getShipment.destination, the plan name, boxes with SSCCs', async () => {
  await withEmulator({}, async (emu, adapter) => {
    const a = adapter('acme');
    const s = await a.inboundShipment('FBA15ABCD1234');
    assert.ok(s);
    assert.deepEqual([s.planName, s.status, s.destinationFc, s.destinationAddress], [
      'Replenishment REPL-0077',
      'READY_TO_SHIP',
      'RNO4',
      { name: 'Amazon.com Services LLC RNO4', addressLine1: '8000 N Virginia St', city: 'Reno', stateOrRegion: 'NV', postalCode: '89506', countryCode: 'US' },
    ]);
    const t = await a.inboundShipment('FBA16WXYZ5678');
    assert.equal(t?.destinationAddress?.city, 'Moreno Valley');
    assert.deepEqual(t?.boxes.map((b) => b.sscc), ['00006141411234567913', '00006141411234567920', '00006141411234567937']);
    assert.equal(t?.items[0].quantity, 60);
    assert.deepEqual(modelProblems(emu), []);
  });
});

test('updateShipmentTrackingDetails: per-box tracking recorded, operation SUCCESS; unknown boxes and bad LTL refused in Amazon error shape, nothing recorded', async () => {
  await withEmulator({}, async (emu, adapter) => {
    const a = adapter('acme');
    const { operationId } = await a.updateShipmentTrackingDetails(PLAN15, { kind: 'small-parcel', boxes: [{ boxId: 'FBA15ABCD1234U000001', trackingId: '1Z999AA10123456784' }] });
    assert.match(operationId, /^[0-9a-f-]{36}$/);
    const op = await a.inboundOperationStatus(operationId);
    assert.deepEqual([op.operation, op.operationStatus, op.operationProblems], ['updateShipmentTrackingDetails', 'SUCCESS', []]);
    // A later update names the boxes it changes; the others keep theirs.
    await a.updateShipmentTrackingDetails(PLAN15, { kind: 'small-parcel', boxes: [{ boxId: 'FBA15ABCD1234U000002', trackingId: '1Z999AA10123456795' }] });
    const shown = () => emu.inboundShipments('acme').find((x) => x.confirmationId === 'FBA15ABCD1234')!;
    assert.deepEqual(shown().tracking && shown().tracking!.kind === 'small-parcel' ? shown().tracking : null, {
      kind: 'small-parcel',
      boxes: [
        { boxId: 'FBA15ABCD1234U000001', trackingId: '1Z999AA10123456784' },
        { boxId: 'FBA15ABCD1234U000002', trackingId: '1Z999AA10123456795' },
      ],
      operationId: shown().tracking!.operationId,
      at: shown().tracking!.at,
      updates: 2,
    });

    const unknown = (await a.updateShipmentTrackingDetails(PLAN15, { kind: 'small-parcel', boxes: [{ boxId: 'FBA15ABCD1234U000009', trackingId: 'X1' }] }).catch((e) => e)) as AmazonApiError;
    assert.ok(unknown instanceof AmazonApiError);
    assert.deepEqual([unknown.status, unknown.code], [400, 'InvalidInput']);
    assert.match(unknown.message, /FBA15ABCD1234U000009 is not a box of shipment/);
    // Two PRO numbers: the model allows one; the adapter refuses before sending (no call), the emulator as Amazon would.
    const calls = emu.calls.length;
    const ltl = (await a.updateShipmentTrackingDetails(PLAN15, { kind: 'ltl', billOfLadingNumber: 'BOL1', freightBillNumbers: ['PRO1', 'PRO2'] }).catch((e) => e)) as AmazonApiError;
    assert.deepEqual([ltl.status, ltl.code, emu.calls.length], [undefined, 'InvalidTracking', calls]);
    const direct = await a.call('updateShipmentTrackingDetails', { path: PLAN15, body: { trackingDetails: { ltlTrackingDetail: { freightBillNumber: [] } } } }).catch((e) => e);
    assert.deepEqual([direct.status, direct.code], [400, 'InvalidInput']);
    const both = await a.call('updateShipmentTrackingDetails', { path: PLAN15, body: { trackingDetails: {} } }).catch((e) => e);
    assert.deepEqual([both.status, both.code], [400, 'InvalidInput']);
    assert.equal(shown().tracking!.updates, 2, 'a refused update records nothing');

    const plan16 = { inboundPlanId: 'wf2b3c4d5e-6f7a-8b9c-0d1e-333333333333', shipmentId: 'sh2b3c4d5e-6f7a-8b9c-0d1e-444444444444' };
    await a.updateShipmentTrackingDetails(plan16, { kind: 'ltl', billOfLadingNumber: 'BOL-0081', freightBillNumbers: ['PRO-123456'] });
    const t16 = emu.inboundShipments('acme').find((x) => x.confirmationId === 'FBA16WXYZ5678')!.tracking;
    assert.deepEqual(t16 && { kind: t16.kind, bol: t16.kind === 'ltl' && t16.billOfLadingNumber, pro: t16.kind === 'ltl' && t16.freightBillNumbers }, { kind: 'ltl', bol: 'BOL-0081', pro: ['PRO-123456'] });

    const missing = (await a.updateShipmentTrackingDetails({ ...PLAN15, shipmentId: 'sh00000000-0000-0000-0000-00000000ffff' }, { kind: 'ltl', billOfLadingNumber: 'B', freightBillNumbers: ['P'] }).catch((e) => e)) as AmazonApiError;
    assert.equal(missing.status, 404);
    emu.setInboundShipmentStatus('acme', 'FBA15ABCD1234', 'CANCELLED');
    const cancelled = (await a.updateShipmentTrackingDetails(PLAN15, { kind: 'small-parcel', boxes: [{ boxId: 'FBA15ABCD1234U000001', trackingId: 'X' }] }).catch((e) => e)) as AmazonApiError;
    assert.match(cancelled.message, /CANCELLED and does not take tracking/);
    // The two deliberately malformed bodies above are the model's to refuse; everything else conforms.
    assert.deepEqual(modelProblems(emu).filter((p) => !/freightBillNumber: must NOT have fewer|trackingDetails: must have/.test(p)), []);
  });
});

test('listInboundPlans: status filter, sort and pages of 30 at most; the adapter follows the pages', async () => {
  await withEmulator({}, async (emu, adapter) => {
    for (let i = 0; i < 40; i++) {
      const n = String(i).padStart(12, '0');
      emu.addInboundPlan('acme', {
        inboundPlanId: `wf00000000-0000-0000-0000-${n}`,
        name: `Bulk ${i}`,
        status: i % 2 ? 'SHIPPED' : 'ACTIVE',
        createdAt: new Date(Date.UTC(2026, 9, 1) + i * 3600_000).toISOString().replace('.000Z', 'Z'),
        lastUpdatedAt: new Date(Date.UTC(2026, 9, 1) + i * 3600_000).toISOString().replace('.000Z', 'Z'),
        marketplaceIds: ['ATVPDKIKX0DER'],
        shipments: [{ shipmentId: `sh00000000-0000-0000-0000-${n}`, confirmationId: `FBA20${String(i).padStart(7, '0')}`, destinationFc: 'ABE2', status: i % 2 ? 'SHIPPED' : 'READY_TO_SHIP', boxes: [] }],
      });
    }
    assert.throws(() => emu.addInboundPlan('acme', { inboundPlanId: 'wf00000000-0000-0000-0000-000000000000', name: 'dup', createdAt: '2026-11-01T00:00:00Z', marketplaceIds: ['ATVPDKIKX0DER'] }), /already exists/);
    const a = adapter('acme');
    const ready = await a.listInboundShipments({ statuses: ['READY_TO_SHIP'] });
    assert.equal(ready.length, 21); // 20 bulk + FBA15ABCD1234
    const token = (await (await fetch(`http://127.0.0.1:${emu.port}/auth/o2/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: 'Atzr|acme-sandbox-refresh-token', client_id: 'x', client_secret: 'y' }) })).json()) as { access_token: string };
    const get = async (q: string) => {
      const r = await fetch(`http://127.0.0.1:${emu.port}/inbound/fba/2024-03-20/inboundPlans?${q}`, { headers: { 'x-amz-access-token': token.access_token } });
      return { status: r.status, body: (await r.json()) as { inboundPlans?: Array<{ name: string; status: string }>; pagination?: { nextToken?: string }; errors?: unknown[] } };
    };
    const shipped = await get('status=SHIPPED&pageSize=30&sortBy=CREATION_TIME&sortOrder=ASC');
    assert.equal(shipped.body.inboundPlans?.length, 20);
    assert.ok(shipped.body.inboundPlans?.every((p) => p.status === 'SHIPPED'));
    assert.equal(shipped.body.inboundPlans?.[0].name, 'Bulk 1');
    assert.equal(shipped.body.pagination, undefined);
    const first = await get('pageSize=30&sortBy=CREATION_TIME&sortOrder=DESC');
    assert.deepEqual(first.body.inboundPlans?.slice(0, 3).map((p) => p.name), ['Replenishment REPL-0081', 'Replenishment REPL-0077', 'Bulk 39']);
    const second = await get(`pageSize=30&sortBy=CREATION_TIME&sortOrder=DESC&paginationToken=${first.body.pagination?.nextToken}`);
    assert.equal((first.body.inboundPlans?.length ?? 0) + (second.body.inboundPlans?.length ?? 0), 42);
    assert.equal((await get('status=WORKING')).status, 400);
    assert.equal((await get('pageSize=31')).status, 400);
    // The model refuses the same two requests the emulator refused; nothing else is out of it.
    assert.deepEqual(modelProblems(emu), ['listInboundPlans 400: query.status: must be one of ACTIVE, VOIDED, SHIPPED (found "WORKING")', 'listInboundPlans 400: query.pageSize: must be <= 30 (found 31)']);
  });
});

test('/emulator/inbound-shipments shows status, boxes and tracking; POST .../status sets a status', async () => {
  await withEmulator({}, async (emu) => {
    const base = `http://127.0.0.1:${emu.port}/emulator/inbound-shipments`;
    const set = await fetch(`${base}/FBA16WXYZ5678/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seller: 'acme', status: 'READY_TO_SHIP' }) });
    assert.equal(set.status, 200);
    const bad = await fetch(`${base}/FBA16WXYZ5678/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seller: 'acme', status: 'NOPE' }) });
    assert.deepEqual([bad.status, ((await bad.json()) as { field: string }).field], [400, 'status']);
    const view = (await (await fetch(`${base}?seller=acme`)).json()) as { shipments: Array<{ confirmationId: string; status: string; boxes: unknown[]; tracking: unknown }> };
    assert.deepEqual(view.shipments.map((s) => [s.confirmationId, s.status, s.boxes.length, s.tracking]), [
      ['FBA15ABCD1234', 'READY_TO_SHIP', 2, null],
      ['FBA16WXYZ5678', 'READY_TO_SHIP', 3, null],
    ]);
  });
});
