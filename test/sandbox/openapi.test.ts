/**
 * OpenApiModels against Amazon's published SP-API models (../shared/spapi-models), plus a tiny
 * hand-written model for the matching/coercion rules that need no Amazon file.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { formatIssue, OpenApiModels, type OperationRef, type SandboxExample } from './openapi.ts';

const modelsDir = resolve(import.meta.dirname, '../../../shared/spapi-models');
const present = existsSync(modelsDir);
const SKIP = `${modelsDir}: SP-API models absent`;

let loaded: OpenApiModels | undefined;
/** Loaded once for all tests (about 0.1 s). */
function models(): OpenApiModels {
  loaded ??= OpenApiModels.load(modelsDir);
  return loaded;
}

function mustFind(method: string, path: string): OperationRef {
  const op = models().find(method, path);
  assert.ok(op, `${method} ${path} resolves`);
  return op;
}

const validConfirmShipment = () => ({
  marketplaceId: 'ATVPDKIKX0DER',
  packageDetail: {
    packageReferenceId: '1',
    carrierCode: 'UPS',
    trackingNumber: '1Z999AA10123456784',
    shipDate: '2026-11-24T14:05:00Z',
    orderItems: [{ orderItemId: '12345678901234', quantity: 2 }],
  },
});

test('find resolves concrete paths to operations', (t) => {
  if (!present) return t.skip(SKIP);
  const m = models();
  const confirm = mustFind('POST', '/orders/v0/orders/123-1234567-1234567/shipmentConfirmation');
  assert.deepEqual(confirm, {
    model: 'ordersV0',
    method: 'post',
    pathTemplate: '/orders/v0/orders/{orderId}/shipmentConfirmation',
    operationId: 'confirmShipment',
  });
  assert.equal(mustFind('get', '/orders/2026-01-01/orders?marketplaceIds=ATVPDKIKX0DER').operationId, 'searchOrders');
  assert.equal(mustFind('GET', '/listings/2021-08-01/items/A3SELLER/TSHIRT-RED-M').operationId, 'getListingsItem');
  assert.equal(mustFind('PATCH', '/listings/2021-08-01/items/A3SELLER/MUG%2F12OZ').operationId, 'patchListingsItem');
  assert.equal(mustFind('GET', '/orders/v0/orders/123-1234567-1234567/').operationId, 'getOrder', 'trailing slash');
  assert.equal(m.find('GET', '/orders/v0/orders/123-1234567-1234567/shipmentConfirmation'), undefined, 'wrong method');
  assert.equal(m.find('GET', '/orders/v0/nothing/here'), undefined);
  assert.equal(m.find('GET', '/listings/2021-08-01/items//SKU'), undefined, 'empty path parameter');
});

test('operation looks up operationIds, and asks for the model when the id is ambiguous', (t) => {
  if (!present) return t.skip(SKIP);
  const m = models();
  assert.equal(m.operation('confirmShipment')?.pathTemplate, '/orders/v0/orders/{orderId}/shipmentConfirmation');
  assert.equal(m.operation('getOrder', 'orders_2026-01-01')?.pathTemplate, '/orders/2026-01-01/orders/{orderId}');
  assert.throws(() => m.operation('getOrder'), /several models/);
  assert.equal(m.operation('noSuchOperation'), undefined);
});

test('validateRequest checks the confirmShipment body', (t) => {
  if (!present) return t.skip(SKIP);
  const m = models();
  const op = mustFind('POST', '/orders/v0/orders/123-1234567-1234567/shipmentConfirmation');
  const path = '/orders/v0/orders/123-1234567-1234567/shipmentConfirmation';

  assert.deepEqual(m.validateRequest(op, { path, query: {}, body: validConfirmShipment() }), []);

  const numericRef = validConfirmShipment() as { packageDetail: Record<string, unknown> };
  numericRef.packageDetail.packageReferenceId = 1;
  assert.deepEqual(
    m.validateRequest(op, { path, query: {}, body: numericRef }).map(formatIssue),
    ['body.packageDetail.packageReferenceId: must be string (found 1)'],
  );

  const { marketplaceId: _, ...noMarketplace } = validConfirmShipment();
  assert.deepEqual(m.validateRequest(op, { path, query: {}, body: noMarketplace }), [{ where: 'body.marketplaceId', message: 'is required' }]);

  const badItems = validConfirmShipment();
  Object.assign(badItems.packageDetail, { shipDate: '11/24/2026', orderItems: [{ orderItemId: 12, quantity: '2' }] });
  assert.deepEqual(
    m.validateRequest(op, { path, query: {}, body: badItems }).map((i) => i.where),
    ['body.packageDetail.shipDate', 'body.packageDetail.orderItems[0].orderItemId', 'body.packageDetail.orderItems[0].quantity'],
  );

  assert.deepEqual(m.validateRequest(op, { path, query: {} }), [{ where: 'body', message: 'is required' }]);
});

test('validateRequest checks path and query parameters', (t) => {
  if (!present) return t.skip(SKIP);
  const m = models();
  const search = mustFind('GET', '/orders/2026-01-01/orders');
  const path = '/orders/2026-01-01/orders';
  const ok = { createdAfter: '2026-11-01T00:00:00Z', marketplaceIds: 'ATVPDKIKX0DER,A2EUQ1WTGCTBG2', maxResultsPerPage: '50' };
  assert.deepEqual(m.validateRequest(search, { path, query: ok }), []);
  assert.deepEqual(m.validateRequest(search, { path, query: { ...ok, includedData: ['BUYER', 'PACKAGES'] } }), [], 'repeated keys');
  assert.deepEqual(
    m.validateRequest(search, {
      path,
      query: { createdAfter: 'yesterday', maxResultsPerPage: 'ten', includedData: 'BUYER,NOPE', marketplaceId: 'X' },
    }).map(formatIssue),
    [
      'query.createdAfter: must match format "date-time" (found "yesterday")',
      'query.maxResultsPerPage: must be integer (found "ten")',
      'query.includedData[1]: must be one of BUYER, RECIPIENT, PROCEEDS, EXPENSE, PROMOTION, CANCELLATION, FULFILLMENT, PACKAGES, TAX, PAYMENT, FULFILLMENT_ORDERS (found "NOPE")',
      'query.marketplaceId: is not a parameter of this operation',
    ],
  );
  const tooMany = Array.from({ length: 51 }, (_, i) => `M${i}`).join(',');
  assert.deepEqual(m.validateRequest(search, { path, query: { marketplaceIds: tooMany } }).map((i) => i.where), ['query.marketplaceIds']);

  const getOrders = m.operation('getOrders', 'ordersV0')!;
  assert.deepEqual(m.validateRequest(getOrders, { path: '/orders/v0/orders', query: {} }), [{ where: 'query.MarketplaceIds', message: 'is required' }]);

  const getItem = mustFind('GET', '/listings/2021-08-01/items/S/K');
  assert.deepEqual(
    m.validateRequest(getItem, { path: '/listings/2021-08-01/items//K', query: { marketplaceIds: 'ATVPDKIKX0DER' } }),
    [{ where: 'path.sellerId', message: 'is required' }],
  );
  assert.equal(m.validateRequest(getItem, { path: '/orders/v0/orders', query: { marketplaceIds: 'X' } })[0].where, 'path');
});

test('validateResponse checks status and body', (t) => {
  if (!present) return t.skip(SKIP);
  const m = models();
  const confirm = mustFind('POST', '/orders/v0/orders/1/shipmentConfirmation');
  assert.deepEqual(m.validateResponse(confirm, { status: 204 }), []);
  assert.deepEqual(m.validateResponse(confirm, { status: 204, body: '' }), []);
  assert.equal(m.validateResponse(confirm, { status: 204, body: { ok: true } })[0].message, 'must be empty (found {"ok":true})');
  const undeclared = m.validateResponse(confirm, { status: 299 });
  assert.equal(undeclared.length, 1);
  assert.equal(undeclared[0].where, 'response 299');
  assert.deepEqual(m.validateResponse(confirm, { status: 400, body: { errors: [{ code: 'InvalidInput', message: 'bad' }] } }), []);
  assert.deepEqual(m.validateResponse(confirm, { status: 400, body: { errors: [{ code: 400 }] } }).map(formatIssue), [
    'response 400 body.errors[0].message: is required',
    'response 400 body.errors[0].code: must be string (found 400)',
  ]);

  const search = mustFind('GET', '/orders/2026-01-01/orders');
  const [example] = m.sandboxExamples(search);
  assert.equal(example.responseCode, 200);
  assert.deepEqual(m.validateResponse(search, { status: 200, body: example.response }), []);
  const broken = structuredClone(example.response) as { orders: Array<Record<string, unknown>> };
  broken.orders[0].orderId = 42;
  assert.deepEqual(m.validateResponse(search, { status: 200, body: broken }).map((i) => i.where), ['response 200 body.orders[0].orderId']);
  assert.deepEqual(m.validateResponse(search, { status: 200 }), [{ where: 'response 200 body', message: 'is required' }]);
});

/** The request an example describes, routed by where the model declares each parameter. */
function exampleRequest(m: OpenApiModels, op: OperationRef, example: SandboxExample) {
  const given = example.request?.parameters ?? {};
  let path = op.pathTemplate;
  const query: Record<string, string> = {};
  let body: unknown;
  for (const p of m.parameters(op)) {
    // Examples name the body parameter "body" whatever the model calls it ("payload", ...).
    const entry = given[p.name] ?? (p.in === 'body' ? given.body : undefined);
    if (!entry || !('value' in entry)) continue;
    const value = entry.value;
    const text = Array.isArray(value) ? value.map(String).join(',') : String(value);
    if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(text));
    else if (p.in === 'query') query[p.name] = text;
    else if (p.in === 'body') body = value;
  }
  // Examples often give only the parameters the sandbox matches on; a missing path parameter
  // becomes an empty segment, which validateRequest reports as missing.
  return { path: path.replace(/\{[^}]+\}/g, ''), query, body };
}

test('Amazon sandbox examples replay through validateRequest and validateResponse', (t) => {
  if (!present) return t.skip(SKIP);
  const m = models();
  let requests = 0;
  let cleanRequests = 0;
  let successExamples = 0;
  let cleanSuccessExamples = 0;
  let cleanResponses = 0;
  const failures: string[] = [];
  for (const op of m.operations()) {
    for (const example of m.sandboxExamples(op)) {
      const status = example.responseCode ?? 200;
      const label = `${op.model} ${op.operationId} (${status})`;
      requests++;
      const issues = m.validateRequest(op, exampleRequest(m, op, example));
      if (issues.length === 0) cleanRequests++;
      else failures.push(`request ${label}: ${issues.map(formatIssue).join('; ')}`);
      if (status < 300) {
        successExamples++;
        if (issues.length === 0) cleanSuccessExamples++;
      }

      // A 204 cannot carry a body; the models write its example response as {}.
      const empty = example.response === undefined || (status === 204 && JSON.stringify(example.response) === '{}');
      const responseIssues = m.validateResponse(op, { status, body: empty ? undefined : example.response });
      if (responseIssues.length === 0) cleanResponses++;
      else failures.push(`response ${label}: ${responseIssues.map(formatIssue).join('; ')}`);
    }
  }
  const pct = (a: number, b: number) => `${a}/${b} (${((100 * a) / b).toFixed(1)}%)`;
  t.diagnostic(`requests valid: ${pct(cleanRequests, requests)}; of examples under a 2xx status: ${pct(cleanSuccessExamples, successExamples)}`);
  t.diagnostic(`responses valid: ${pct(cleanResponses, requests)}`);
  // Known: 4xx examples that are invalid on purpose, examples that give no parameters at all
  // (catch-alls), and a few that disagree with their own model.
  for (const f of failures) t.diagnostic(f.length > 300 ? `${f.slice(0, 297)}...` : f);

  assert.ok(requests >= 150, `found ${requests} examples`);
  // Integer arithmetic: the pinned models sit right at 80% (164/205).
  assert.ok(cleanRequests * 5 >= requests * 4, `requests valid: ${pct(cleanRequests, requests)}, expected at least 80%`);
  assert.ok(cleanResponses * 10 >= requests * 9, `responses valid: ${pct(cleanResponses, requests)}, expected at least 90%`);
});

test('every declared schema compiles', (t) => {
  if (!present) return t.skip(SKIP);
  const m = models();
  for (const op of m.operations()) {
    m.validateRequest(op, { path: op.pathTemplate, query: {}, body: {} });
    for (const status of [200, 201, 202, 204, 400, 404, 500]) m.validateResponse(op, { status, body: {} });
  }
});

// A hand-written model: no Amazon file needed.
test('matching, coercion, formats and Swagger-only keywords on a small model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-openapi-'));
  mkdirSync(join(dir, 'nested'));
  writeFileSync(join(dir, 'not-swagger.json'), JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' }));
  writeFileSync(
    join(dir, 'nested', 'widgets.json'),
    JSON.stringify({
      swagger: '2.0',
      basePath: '/api',
      paths: {
        '/widgets/{widgetId}': {
          get: {
            operationId: 'getWidget',
            parameters: [
              { name: 'widgetId', in: 'path', required: true, type: 'integer', minimum: 1 },
              { name: 'limit', in: 'query', type: 'integer', format: 'int32', minimum: 0, maximum: 10, exclusiveMaximum: true },
              { name: 'tags', in: 'query', type: 'array', items: { type: 'string', pattern: '^[a-z]+$' }, collectionFormat: 'pipes' },
              { name: 'since', in: 'query', type: 'string', format: 'date' },
              { name: 'color', in: 'query', type: 'string', format: 'rgb-hex' },
              { name: 'X-Trace', in: 'header', required: true, type: 'string' },
            ],
            responses: {
              '200': { description: 'ok', schema: { $ref: '#/definitions/Widget' } },
              default: { description: 'error', schema: { type: 'object', required: ['error'] } },
            },
          },
        },
        '/widgets/special': {
          get: { operationId: 'getSpecial', responses: { '200': { description: 'ok' } } },
        },
      },
      definitions: {
        Widget: {
          type: 'object',
          discriminator: 'kind',
          required: ['kind', 'format'],
          'x-nullable': true,
          properties: {
            kind: { type: 'string', readOnly: true, example: 'gear', xml: { name: 'k' } },
            format: { type: 'string', enum: ['round', 'square'] },
            weight: { type: 'number', format: 'double', exclusiveMinimum: true, minimum: 0 },
            made: { type: 'string', format: 'date-time' },
          },
          externalDocs: { url: 'https://example.com' },
        },
      },
    }),
  );
  const m = OpenApiModels.load(dir);
  assert.deepEqual(m.operations().map((o) => o.operationId), ['getWidget', 'getSpecial']);

  // More literal segments win over a template that also matches.
  assert.equal(m.find('GET', '/api/widgets/special')?.operationId, 'getSpecial');
  const op = m.find('get', '/api/widgets/7')!;
  assert.equal(op.operationId, 'getWidget');

  const req = (path: string, query: Record<string, string | string[] | undefined> = {}) => m.validateRequest(op, { path, query }).map(formatIssue);
  assert.deepEqual(req('/api/widgets/7', { limit: '9', tags: 'a|bc', since: '2026-02-28', color: 'whatever', extra: undefined }), []);
  assert.deepEqual(req('/api/widgets/0'), ['path.widgetId: must be >= 1 (found 0)']);
  assert.deepEqual(req('/api/widgets/x7'), ['path.widgetId: must be integer (found "x7")']);
  assert.deepEqual(req('/api/widgets/7', { limit: '10' }), ['query.limit: must be < 10 (found 10)']);
  assert.deepEqual(req('/api/widgets/7', { limit: ['1', '2'] }), ['query.limit: given 2 times, expected a single value']);
  assert.deepEqual(req('/api/widgets/7', { tags: ['ok', 'Not|fine'] }), [
    'query.tags[1]: must match pattern "^[a-z]+$" (found "Not")',
  ]);
  assert.deepEqual(req('/api/widgets/7', { since: '2026-02-30' }), ['query.since: must match format "date" (found "2026-02-30")']);
  assert.deepEqual(m.validateRequest(op, { path: '/api/widgets/7', query: {}, body: { a: 1 } }).map((i) => i.where), ['body']);

  const res = (status: number, body?: unknown) => m.validateResponse(op, { status, body }).map(formatIssue);
  assert.deepEqual(res(200, { kind: 'gear', format: 'round', weight: 1.5, made: '2026-11-24T14:05:00.123+01:00' }), []);
  assert.deepEqual(res(200, { kind: 'gear', format: 'oval', weight: 0, made: '2026-11-24T14:05:00' }), [
    'response 200 body.format: must be one of round, square (found "oval")',
    'response 200 body.weight: must be > 0 (found 0)',
    'response 200 body.made: must match format "date-time" (found "2026-11-24T14:05:00")',
  ]);
  assert.deepEqual(res(503, { error: 'busy' }), [], 'default response');
  assert.deepEqual(res(503, {}), ['response 503 body.error: is required']);
  const special = m.operation('getSpecial')!;
  assert.deepEqual(m.validateResponse(special, { status: 200, body: 'text' }).map(formatIssue), ['response 200 body: must be empty (found "text")']);
  assert.deepEqual(m.validateResponse(special, { status: 404 }).map(formatIssue), ['response 404: status is not declared (declared: 200)']);
  assert.deepEqual(m.sandboxExamples(special), []);
});
