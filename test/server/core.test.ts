/**
 * The app's own contract over real HTTP: tokens (401 / 403), located 400s, size and media-type
 * limits, the one error shape for unknown paths, wrong methods and unexpected failures (no stack
 * in any response), the probes, and an OpenAPI document that every response here validates
 * against (the harness checks each one).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import pino from 'pino';
import { z } from 'zod';
import { ApiError, CURSORS, defineRoute, type RouteModule } from '../../src/server/api.ts';
import { startHttpServer } from '../../src/server/listen.ts';
import { healthModule } from '../../src/server/routes/health.ts';
import { routeModules } from '../../src/server/routes/index.ts';
import { startHarness, type Harness } from '../flows/harness.ts';
import { startApi, validateDocument, type Api } from './api-harness.ts';

/** Routes made for these tests: a typed query, a JSON body, a handler that throws. */
const probeModule: RouteModule = {
  name: 'probe',
  routes: [
    defineRoute({
      method: 'get',
      path: '/probe/items',
      operationId: 'probeList',
      summary: 'A list with a bounded limit',
      tags: ['probe'],
      query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      responses: { 200: { description: 'ok', schema: z.object({ limit: z.number() }) } },
      handler: ({ query }) => ({ json: { limit: query.limit } }),
    }),
    defineRoute({
      method: 'get',
      path: '/probe/items/{id}',
      operationId: 'probeItem',
      summary: 'One item by a numeric id',
      tags: ['probe'],
      params: z.object({ id: z.coerce.number().int().positive() }),
      responses: { 200: { description: 'ok', schema: z.object({ id: z.number() }) } },
      handler: ({ params }) => {
        if (params.id === 404) throw new ApiError('not-found', 'no item 404', 'path.id');
        return { json: { id: params.id } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/probe/items/{id}/assign',
      operationId: 'probeAssign',
      summary: 'Assign an owner',
      tags: ['probe'],
      params: z.object({ id: z.string() }),
      body: z.object({ owner: z.string().min(1), note: z.string().optional() }),
      responses: { 200: { description: 'ok', schema: z.object({ id: z.string(), owner: z.string(), by: z.string() }) } },
      handler: ({ params, body, principal }) => ({ json: { id: params.id, owner: body.owner, by: principal.name } }),
    }),
    defineRoute({
      method: 'get',
      path: '/probe/boom',
      operationId: 'probeBoom',
      summary: 'Fails unexpectedly',
      tags: ['probe'],
      responses: { 200: { description: 'never', schema: z.object({}) } },
      handler: () => {
        throw new Error('database exploded at /secret/path/store.sqlite');
      },
    }),
    defineRoute({
      method: 'get',
      path: '/probe/export.csv',
      operationId: 'probeCsv',
      summary: 'A text download',
      tags: ['probe'],
      responses: { 200: { description: 'csv', contentType: 'text/csv' } },
      handler: () => ({ text: 'a,b\n1,2\n', contentType: 'text/csv', filename: 'export.csv' }),
    }),
  ],
};

describe('the API core', () => {
  let harness: Harness;
  let api: Api;
  before(async () => {
    harness = await startHarness();
    api = await startApi({ harness, modules: [healthModule, probeModule], bodyLimitKb: 4 });
  });
  after(async () => {
    await api?.close();
    await harness?.close();
  });

  it('answers 401 in the error shape without a token and with an unknown one, with WWW-Authenticate', async () => {
    for (const token of [null, 'not-a-known-token']) {
      const r = await api.request('GET', '/api/v1/whoami', { token });
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, 'unauthorized');
      assert.equal(r.body.error.where, 'header.authorization');
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
    const basic = await api.request('GET', '/api/v1/whoami', { token: null, headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(basic.status, 401);
  });

  it('says who the token is, never the token', async () => {
    const r = await api.request('GET', '/api/v1/whoami', { token: api.buyer });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { name: 'test-buyer', access: 'read-write', buyerData: true });
    const ro = await api.request('GET', '/api/v1/whoami', { token: api.ro });
    assert.deepEqual(ro.body, { name: 'test-ro', access: 'read-only', buyerData: false });
  });

  it('refuses a read-only token on a POST with 403, lets a read-write one through', async () => {
    const denied = await api.request('POST', '/api/v1/probe/items/7/assign', { token: api.ro, body: { owner: 'ana' } });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, 'forbidden');
    const ok = await api.request('POST', '/api/v1/probe/items/7/assign', { token: api.rw, body: { owner: 'ana' } });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { id: '7', owner: 'ana', by: 'test-rw' });
  });

  it('locates a bad query value, path value and body field in a 400', async () => {
    const limit = await api.request('GET', '/api/v1/probe/items?limit=5000');
    assert.equal(limit.status, 400);
    assert.equal(limit.body.error.code, 'bad-request');
    assert.equal(limit.body.error.where, 'query.limit');
    assert.match(limit.body.error.message, /1000/);
    const id = await api.request('GET', '/api/v1/probe/items/abc');
    assert.equal(id.status, 400);
    assert.equal(id.body.error.where, 'path.id');
    const owner = await api.request('POST', '/api/v1/probe/items/7/assign', { body: { note: 'x' } });
    assert.equal(owner.status, 400);
    assert.equal(owner.body.error.where, 'body.owner');
    assert.match(owner.body.error.message, /string/);
    const fine = await api.request('GET', '/api/v1/probe/items?limit=20');
    assert.deepEqual(fine.body, { limit: 20 });
  });

  it('answers a body that is not JSON with 400 where "body", a non-JSON type with 415', async () => {
    const bad = await api.request('POST', '/api/v1/probe/items/7/assign', { raw: '{"owner": ', headers: { 'content-type': 'application/json' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.where, 'body');
    const form = await api.request('POST', '/api/v1/probe/items/7/assign', { raw: 'owner=ana', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 415);
    assert.equal(form.body.error.code, 'unsupported-media-type');
  });

  it('answers a body past the limit with 413', async () => {
    const r = await api.request('POST', '/api/v1/probe/items/7/assign', { body: { owner: 'x'.repeat(5 * 1024) } });
    assert.equal(r.status, 413);
    assert.equal(r.body.error.code, 'payload-too-large');
    assert.match(r.body.error.message, /4 KiB/);
  });

  it('answers unknown paths with 404 and a known path with a wrong method with 405, in the shape', async () => {
    const api404 = await api.request('GET', '/api/v1/no-such-thing');
    assert.equal(api404.status, 404);
    assert.equal(api404.body.error.code, 'not-found');
    const root404 = await api.request('GET', '/no-such-page', { token: null });
    assert.equal(root404.status, 404);
    assert.equal(root404.body.error.code, 'not-found');
    const handler404 = await api.request('GET', '/api/v1/probe/items/404');
    assert.equal(handler404.status, 404);
    assert.equal(handler404.body.error.where, 'path.id');
    const wrong = await api.request('DELETE', '/api/v1/probe/items/7');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.body.error.code, 'method-not-allowed');
    assert.equal(wrong.headers.get('allow'), 'GET');
  });

  it('answers an unexpected failure with 500 naming a log id, the stack and message only in the log', async () => {
    const r = await api.request('GET', '/api/v1/probe/boom');
    assert.equal(r.status, 500);
    const m = /^internal error \(logged as ([0-9a-f]+)\)$/.exec(r.body.error.message);
    assert.ok(m, r.body.error.message);
    const text = JSON.stringify(r.body);
    assert.doesNotMatch(text, /exploded|secret|at .*\.ts|stack/);
    const logged = harness.logs.find((l) => l.event === 'http-error' && l.errorId === m[1]);
    assert.ok(logged, 'the error is logged under its id');
    assert.match(JSON.stringify(logged), /exploded/);
  });

  it('sends text results with their type and file name, and security headers on everything', async () => {
    const r = await api.request('GET', '/api/v1/probe/export.csv');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/csv/);
    assert.equal(r.headers.get('content-disposition'), 'attachment; filename="export.csv"');
    assert.equal(r.body, 'a,b\n1,2\n');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    assert.match(r.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.equal(r.headers.get('x-powered-by'), null);
  });

  it('logs one line per request with the path but not the query values or the token', async () => {
    await api.request('GET', '/api/v1/probe/items?limit=321', { token: api.ro });
    const line = [...harness.logs].reverse().find((l) => l.event === 'http' && l.path === '/api/v1/probe/items');
    assert.ok(line);
    assert.equal(line.status, 200);
    assert.equal(line.principal, 'test-ro');
    assert.equal(typeof line.ms, 'number');
    const all = JSON.stringify(harness.logs);
    assert.doesNotMatch(all, /321/);
    assert.ok(!all.includes(api.ro) && !all.includes(api.rw), 'no token in the log');
  });

  it('serves a valid OpenAPI 3.1 document, open, describing every operation with security and error responses', async () => {
    const r = await api.request('GET', '/api/v1/openapi.json', { token: null });
    assert.equal(r.status, 200);
    validateDocument(r.body);
    assert.equal(r.body.openapi, '3.1.0');
    const assign = r.body.paths['/api/v1/probe/items/{id}/assign'].post;
    assert.equal(assign.operationId, 'probeAssign');
    assert.deepEqual(assign.security, [{ bearer: [] }]);
    for (const s of ['400', '401', '403', '404', '413', '415', '500']) assert.ok(assign.responses[s], `assign documents ${s}`);
    assert.deepEqual(assign.parameters.map((p: { name: string; in: string }) => `${p.in}.${p.name}`), ['path.id']);
    assert.deepEqual(assign.requestBody.content['application/json'].schema.required, ['owner']);
    const list = r.body.paths['/api/v1/probe/items'].get;
    assert.deepEqual(list.parameters, [{ name: 'limit', in: 'query', required: false, schema: { type: 'integer', default: 100, minimum: 1, maximum: 1000 } }]);
    assert.equal(r.body.paths['/healthz'].get.security, undefined);
    assert.equal(r.body.paths['/api/v1/openapi.json'].get.security, undefined);
    assert.ok(r.body.components.schemas.Error);
    assert.equal(r.body.components.securitySchemes.bearer.scheme, 'bearer');
  });

  it('documents every route module the API serves in a valid document', async () => {
    const full = await startApi({ harness });
    try {
      const r = await full.request('GET', '/api/v1/openapi.json', { token: null });
      validateDocument(r.body);
      for (const m of routeModules) for (const route of m.routes) assert.ok(r.body.paths[`/api/v1${route.path}`]?.[route.method], `${route.method} ${route.path} of ${m.name}`);
    } finally {
      await full.close();
    }
  });

  it('catches a document that is not 3.1 or has a dangling $ref', () => {
    assert.throws(() => validateDocument({ ...api.doc, openapi: '3.0.3' }), /3\.1/);
    const broken = structuredClone(api.doc);
    broken.paths['/healthz'].get.responses['200'] = { $ref: '#/components/responses/Nope' };
    assert.throws(() => validateDocument(broken), /Nope/);
  });

  it('checks responses against the document: an undocumented shape fails the request', async () => {
    const lying: RouteModule = {
      name: 'lying',
      routes: [
        defineRoute({ method: 'get', path: '/lie', operationId: 'lie', summary: 'says a number is a string', tags: ['probe'], responses: { 200: { description: 'ok', schema: z.object({ n: z.string() }) } }, handler: () => ({ json: { n: 1 } }) }),
        defineRoute({ method: 'get', path: '/teapot', operationId: 'teapot', summary: 'an undocumented status', tags: ['probe'], responses: { 200: { description: 'ok', schema: z.object({}) } }, handler: () => ({ status: 202, json: {} }) }),
      ],
    };
    const other = await startApi({ harness, modules: [lying] });
    try {
      await assert.rejects(other.request('GET', '/api/v1/lie'), /\/api\/v1\/lie -> 200: the body does not match.*\n.*"instancePath": "\/n"/s);
      await assert.rejects(other.request('GET', '/api/v1/teapot'), /status 202 is not documented/);
    } finally {
      await other.close();
    }
  });

  it('answers /healthz with the version and uptime, open', async () => {
    const r = await api.request('GET', '/healthz', { token: null });
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ok');
    assert.equal(r.body.version, '0.1.0');
    assert.equal(typeof r.body.uptimeSeconds, 'number');
  });

  it('answers /readyz: ready with no calls yet, 503 once a partner connection failed, ready again after it works', async () => {
    const now = harness.clock.now().toISOString();
    const first = await api.request('GET', '/readyz', { token: null });
    assert.equal(first.status, 200);
    assert.equal(first.body.ready, true);
    const names = first.body.checks.map((c: { name: string }) => c.name);
    assert.equal(names[0], 'store');
    for (const s of harness.mappings.sellers.keys()) assert.ok(names.includes(CURSORS.amazonToken(s)), s);
    for (const p of harness.mappings.partners.keys()) assert.ok(names.includes(CURSORS.partnerConnection(p)), p);
    assert.match(first.body.checks.find((c: { name: string }) => c.name.startsWith('amazon-token:')).detail, /unknown \(no call yet\)/);
    const partner = [...harness.mappings.partners.keys()][0];
    const cursor = CURSORS.partnerConnection(partner);
    await harness.store.work.cursors.set(cursor, JSON.stringify({ lastOkAt: '2026-11-02T11:00:00.000Z', lastErrorAt: '2026-11-02T11:30:00.000Z', lastError: 'connect ECONNREFUSED' }), now);
    const down = await api.request('GET', '/readyz', { token: null });
    assert.equal(down.status, 503);
    assert.equal(down.body.ready, false);
    const check = down.body.checks.find((c: { name: string }) => c.name === cursor);
    assert.deepEqual(check, { name: cursor, ok: false, detail: 'last connection failed: connect ECONNREFUSED', at: '2026-11-02T11:30:00.000Z' });
    await harness.store.work.cursors.set(cursor, JSON.stringify({ lastOkAt: '2026-11-02T11:45:00.000Z', lastErrorAt: '2026-11-02T11:30:00.000Z', lastError: 'connect ECONNREFUSED' }), now);
    const back = await api.request('GET', '/readyz', { token: null });
    assert.equal(back.status, 200);
  });

  it('counts an Amazon token that failed to refresh, or expired long ago, as not ready', async () => {
    const seller = [...harness.mappings.sellers.keys()][0];
    const cursor = CURSORS.amazonToken(seller);
    const now = harness.clock.now();
    const at = (ms: number) => new Date(now.getTime() + ms).toISOString();
    const readyWith = async (value: object) => {
      await harness.store.work.cursors.set(cursor, JSON.stringify(value), now.toISOString());
      const r = await api.request('GET', '/readyz', { token: null });
      return r.body.checks.find((c: { name: string }) => c.name === cursor) as { ok: boolean; detail: string };
    };
    assert.equal((await readyWith({ refreshedAt: at(-60_000), expiresAt: at(3_000_000) })).ok, true);
    const failed = await readyWith({ refreshedAt: at(-3_600_000), expiresAt: at(-60_000), lastErrorAt: at(-30_000), lastError: 'invalid_grant' });
    assert.equal(failed.ok, false);
    assert.match(failed.detail, /invalid_grant/);
    assert.equal((await readyWith({ refreshedAt: at(-7_200_000), expiresAt: at(-3_600_000) })).ok, false);
    assert.equal((await readyWith({ refreshedAt: at(-3_660_000), expiresAt: at(-60_000) })).ok, true);
    await harness.store.work.cursors.set(cursor, JSON.stringify({ refreshedAt: at(0), expiresAt: at(3_600_000) }), now.toISOString());
  });

  it('serves /metrics as Prometheus text, open', async () => {
    const r = await api.request('GET', '/metrics', { token: null });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(r.body, /# TYPE /);
  });

  it('redirects / to the dashboard', async () => {
    const r = await api.request('GET', '/', { token: null });
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('location'), '/dashboard/');
  });

  it('startHttpServer: logs one listening line with the URL, warns how to make a token when none is configured, and closes with a keep-alive client connected', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, new Writable({ write(chunk, _e, cb) { for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } }));
    const server = await startHttpServer(api.deps, { host: '127.0.0.1', port: 0, tokens: [], log });
    try {
      const listening = lines.filter((l) => l.event === 'listening');
      assert.equal(listening.length, 1);
      assert.match(String(listening[0].url), /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.equal(listening[0].url, server.url);
      const warn = lines.find((l) => l.event === 'no-api-tokens');
      assert.ok(warn);
      assert.match(String(warn.msg), /dockgate api token .*DOCKGATE_API_TOKEN/);
      const r = await fetch(`${server.url}api/v1/whoami`, { headers: { authorization: `Bearer ${api.rw}`, connection: 'keep-alive' } });
      assert.equal(r.status, 401);
      await r.text();
    } finally {
      // The fetch's keep-alive connection is idle now: close does not wait for it.
      await server.close();
    }
    assert.ok(lines.some((l) => l.event === 'http-closed'));
  });

  it('answers 401 to everything under /api/v1 when no token is configured', async () => {
    const none = await startApi({ harness, modules: [healthModule], tokens: [] });
    try {
      const r = await none.request('GET', '/api/v1/whoami', { token: none.rw });
      assert.equal(r.status, 401);
      assert.match(r.body.error.message, /no API token is configured/);
      assert.equal((await none.request('GET', '/healthz', { token: null })).status, 200);
    } finally {
      await none.close();
    }
  });
});
