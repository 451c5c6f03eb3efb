/**
 * Conformance with Amazon's official models (../shared/spapi-models, Swagger 2.0): every
 * request the adapter sends and every answer the emulator gives in a full scenario is validated
 * against its operation; the models' x-amzn-api-sandbox examples are replayed against the
 * emulator and its answers validated; the emulator's rate table matches the models' usage plans.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import rateLimits from '../../src/amazon/rate-limits.json' with { type: 'json' };
import { formatIssue, OpenApiModels, type OperationRef } from './openapi.ts';
import type { RecordedCall } from '../../src/sandbox/amazon/emulator.ts';
import { withEmulator } from '../amazon/helpers.ts';

const modelsDir = resolve(import.meta.dirname, '../../../shared/spapi-models');
const present = existsSync(modelsDir);
const SKIP = `${modelsDir}: SP-API models absent, conformance not checked`;
let loaded: OpenApiModels | undefined;
const models = () => (loaded ??= OpenApiModels.load(modelsDir));

/** Problems of one recorded call against its model operation. */
function check(call: RecordedCall): string[] {
  const op = models().find(call.method, call.path);
  if (!op) return [`${call.method} ${call.path}: no operation in the models`];
  const issues = [...models().validateRequest(op, { path: call.path, query: call.query, body: call.body }), ...models().validateResponse(op, { status: call.status, body: call.response })];
  return issues.map((i) => `${op.operationId} ${call.status}: ${formatIssue(i)}`);
}

test('every request the adapter sends and every answer the emulator gives conforms to the models', async (t) => {
  if (!present) return t.skip(SKIP);
  await withEmulator({}, async (emu, adapter) => {
    const a = adapter('acme');
    for await (const _ of a.searchMfnOrders({ lastUpdatedAfter: new Date('2026-10-01T00:00:00Z') }));
    for await (const _ of a.searchMfnOrders({ lastUpdatedAfter: new Date('2026-10-01T00:00:00Z'), includedData: ['BUYER', 'RECIPIENT', 'FULFILLMENT', 'PACKAGES'] }));
    const pkg = { packageReferenceId: '1', carrierCode: 'UPS', shippingMethod: 'UPS Ground', trackingNumber: '1Z999AA10123456784', shipDate: '2026-11-24T22:05:00Z', orderItems: [{ orderItemId: '12345678901234', quantity: 2 }] };
    await a.confirmShipment('112-3456789-1234567', 'ATVPDKIKX0DER', pkg);
    await a.confirmShipment('112-3456789-1234567', 'ATVPDKIKX0DER', pkg); // refused, read back
    await a.confirmShipment('112-3456789-1234567', 'ATVPDKIKX0DER', { ...pkg, packageReferenceId: '2', carrierCode: 'Other', carrierName: 'Veho', trackingNumber: 'VH123', orderItems: [{ orderItemId: '12345678901235', quantity: 1 }] });
    await a.confirmShipment('112-3456789-1234567', 'ATVPDKIKX0DER', { ...pkg, packageReferenceId: '3', orderItems: [{ orderItemId: '99999999999999', quantity: 1 }] }).catch(() => undefined);
    await a.getOrder('999-9999999-9999999').catch(() => undefined);
    await a.setMfnQuantity('TSHIRT-RED-M', 7);
    await a.getListingsItem('NO-SUCH-SKU');
    await a.fbaInventory();
    await a.fbaInventory(['TSHIRT-RED-M-FBA']);
    await a.inboundShipment('FBA15ABCD1234');
    await a.labelsUrl('FBA15ABCD1234');
    await a.report('GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA', { pollMs: 100 });
    // Issue 12: shipments with status and destination, tracking (small parcel, LTL, an unknown box), the generated reports.
    await a.listInboundShipments();
    await a.listInboundShipments({ statuses: ['READY_TO_SHIP'] });
    const where = { inboundPlanId: 'wf1a2b3c4d-5e6f-7a8b-9c0d-111111111111', shipmentId: 'sh1a2b3c4d-5e6f-7a8b-9c0d-222222222222' };
    const { operationId } = await a.updateShipmentTrackingDetails(where, { kind: 'small-parcel', boxes: [{ boxId: 'FBA15ABCD1234U000001', trackingId: '1Z999AA10123456784' }, { boxId: 'FBA15ABCD1234U000002', trackingId: '1Z999AA10123456795' }] });
    await a.inboundOperationStatus(operationId);
    await a.inboundOperationStatus('00000000-0000-0000-0000-000000000000').catch(() => undefined);
    await a.updateShipmentTrackingDetails(where, { kind: 'small-parcel', boxes: [{ boxId: 'FBA15ABCD1234U000009', trackingId: '1Z999AA10123456784' }] }).catch(() => undefined);
    await a.updateShipmentTrackingDetails({ inboundPlanId: 'wf2b3c4d5e-6f7a-8b9c-0d1e-333333333333', shipmentId: 'sh2b3c4d5e-6f7a-8b9c-0d1e-444444444444' }, { kind: 'ltl', billOfLadingNumber: 'BOL-0081', freightBillNumbers: ['PRO-123456'] });
    await a.inboundShipment('FBA15ABCD1234'); // getShipment now with trackingDetails
    await a.removalShipments({ pollMs: 100 });
    await a.customerReturns({ pollMs: 100 });
    await a.setMfnQuantity('SOCKS-6PK', 9);
    await a.merchantListings({ pollMs: 100 });
    await a.setMfnQuantitiesByFeed([{ sku: 'MUG-12OZ-WHT', quantity: 3 }, { sku: 'TSHIRT-RED-M-FBA', quantity: 1 }], { pollMs: 100 });
    for await (const _ of a.searchMfnOrders({ lastUpdatedAfter: new Date('2026-10-01T00:00:00Z'), buyerData: true }));
    emu.setFaults({ throttleShare: 1 });
    await adapter('acme', { maxAttempts: 1 }).getOrder('112-3456789-1234567').catch(() => undefined);
    emu.setFaults({ throttleShare: undefined, errorShare: 1 });
    await adapter('acme', { maxAttempts: 1 }).getOrder('112-3456789-1234567').catch(() => undefined);
    const api = emu.calls.filter((c) => c.operation !== 'lwaToken' && !c.path.startsWith('/emulator/') && c.status > 0);
    const operations = new Set(api.map((c) => c.operation));
    assert.deepEqual([...operations].sort(), Object.keys(rateLimits.operations).sort(), 'the scenario covers every emulated operation');
    assert.ok(api.some((c) => c.status === 429) && api.some((c) => c.status === 500) && api.some((c) => c.status === 400) && api.some((c) => c.status === 404));
    const problems = api.flatMap(check);
    assert.deepEqual(problems, []);
    t.diagnostic(`${api.length} calls over ${operations.size} operations validated against the models`);
  });
});

/** The operations the emulator serves, as the models name them. */
function served(): OperationRef[] {
  const m = models();
  return Object.entries(rateLimits.operations).map(([id, l]) => m.operation(id, l.model.split('/')[1].replace(/\.json$/, ''))!);
}

test("Amazon's sandbox examples replayed against the emulator get answers that conform to the models", async (t) => {
  if (!present) return t.skip(SKIP);
  await withEmulator({}, async (emu) => {
    const token = (await (await fetch(`http://127.0.0.1:${emu.port}/auth/o2/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: 'Atzr|acme-sandbox-refresh-token', client_id: 'x', client_secret: 'y' }) })).json()) as { access_token: string };
    let replayed = 0;
    const problems: string[] = [];
    for (const op of served()) {
      const params = models().parameters(op);
      for (const ex of models().sandboxExamples(op)) {
        const values = ex.request?.parameters ?? {};
        let path = op.pathTemplate;
        const query = new URLSearchParams();
        let body: unknown;
        for (const p of params) {
          const v = values[p.name]?.value;
          if (v === undefined) continue;
          if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(String(v)));
          else if (p.in === 'query') query.set(p.name, Array.isArray(v) ? v.join(',') : String(v));
          else if (p.in === 'body') body = v;
        }
        if (path.includes('{')) continue; // an example that gives no value for a path parameter cannot be sent
        const res = await fetch(`http://127.0.0.1:${emu.port}${path}${query.size ? `?${query}` : ''}`, {
          method: op.method.toUpperCase(),
          headers: { 'x-amz-access-token': token.access_token, 'content-type': 'application/json' },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
        const text = await res.text();
        replayed++;
        const issues = models().validateResponse(op, { status: res.status, body: text ? JSON.parse(text) : undefined });
        problems.push(...issues.map((i) => `${op.operationId} example answered ${res.status}: ${formatIssue(i)}`));
      }
    }
    t.diagnostic(`${replayed} sandbox examples replayed`);
    assert.ok(replayed >= 10);
    assert.deepEqual(problems, []);
  });
});

test("the emulator's rate limits are the models' usage plans", (t) => {
  if (!present) return t.skip(SKIP);
  for (const [operationId, l] of Object.entries(rateLimits.operations)) {
    const model = JSON.parse(readFileSync(join(modelsDir, 'models', l.model), 'utf8')) as { paths: Record<string, Record<string, { operationId?: string; description?: string }>> };
    const op = Object.values(model.paths).flatMap((p) => Object.values(p)).find((o) => o.operationId === operationId);
    assert.ok(op, `${operationId} in ${l.model}`);
    const m = /\|\s*Rate \(requests per second\)\s*\|\s*Burst\s*\|\s*\n\s*\|[-\s|]+\|\s*\n\s*\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|/.exec(op.description ?? '');
    assert.ok(m, `${operationId}: usage plan table`);
    assert.deepEqual([l.rate, l.burst], [Number(m[1]), Number(m[2])], operationId);
  }
});
