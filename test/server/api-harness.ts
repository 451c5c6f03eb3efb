/**
 * The API over real parts for every API test: the flow harness's gateway context (emulator,
 * SQLite store, directory transports, TestClock), the real app on 127.0.0.1:0, and node's fetch.
 * Every response request() gets is checked against the generated OpenAPI document: the
 * operation (path template and method) must document the status and the body must validate
 * against its schema (ajv, JSON Schema 2020-12), so the document cannot drift from what the
 * handlers send. A mismatch throws with the path, status and ajv's errors.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { flows } from '../../src/flows/index.ts';
import { allRetries } from '../../src/gateway/retries.ts';
import { MappingReloader } from '../../src/gateway/reload.ts';
import type { ApiDeps, GatewayControl, RouteModule } from '../../src/server/api.ts';
import { createApp } from '../../src/server/app.ts';
import { newToken, sha256Hex, type ApiToken } from '../../src/server/auth.ts';
import { metricsFor } from '../../src/server/listen.ts';
import type { OpenApiDocument, OpenApiOperation } from '../../src/server/openapi.ts';
import { routeModules } from '../../src/server/routes/index.ts';
import { startHarness, type Harness } from '../flows/harness.ts';

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response is JSON, else the text. */
  // biome-ignore lint: tests read any shape
  body: any;
}

export interface RequestOptions {
  /** Bearer token; default the read-write one; null sends no Authorization header. */
  token?: string | null;
  /** Sent as JSON (Content-Type application/json). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as-is instead of body (set the Content-Type in headers yourself). */
  raw?: string | Buffer;
}

export interface Api {
  url: string;
  /** A read-write token (name "test-rw"). */
  rw: string;
  /** A read-only token ("test-ro"). */
  ro: string;
  /** Read-write with buyer data ("test-buyer"). */
  buyer: string;
  harness: Harness;
  deps: ApiDeps;
  doc: OpenApiDocument;
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface StartApiOptions {
  /** Route modules (default: src/server/routes/index.ts). */
  modules?: RouteModule[];
  /** A harness the test made (closed by the test); else one is started and closed with the API. */
  harness?: Harness;
  /** The gateway's control; default null (as under `dockgate serve`). */
  control?: GatewayControl | null;
  /** The accepted tokens instead of the three test ones (rw, ro, buyer are still returned). */
  tokens?: ApiToken[];
  bodyLimitKb?: number;
  /** Replace parts of the deps (a mappings reloader of the test's own, metrics). */
  deps?: Partial<ApiDeps>;
}

export async function startApi(options: StartApiOptions = {}): Promise<Api> {
  const harness = options.harness ?? (await startHarness());
  const rw = newToken();
  const ro = newToken();
  const buyer = newToken();
  const tokens: ApiToken[] = options.tokens ?? [
    { name: 'test-rw', sha256: sha256Hex(rw), access: 'read-write', buyerData: false },
    { name: 'test-ro', sha256: sha256Hex(ro), access: 'read-only', buyerData: false },
    { name: 'test-buyer', sha256: sha256Hex(buyer), access: 'read-write', buyerData: true },
  ];
  const { ctx } = harness;
  const reloader = new MappingReloader(ctx, { sellers: [...ctx.mappings.sellers.keys()], partners: [...ctx.mappings.partners.keys()] }, []);
  const deps: ApiDeps = {
    ctx,
    control: options.control ?? null,
    retries: allRetries(flows),
    mappingProblems: () => reloader.problems(),
    reloadMappings: () => reloader.reload(),
    metrics: metricsFor(ctx),
    dataDir: harness.dataDir,
    ...options.deps,
  };
  const { app, document } = createApp(deps, { modules: options.modules ?? routeModules, tokens, bodyLimitKb: options.bodyLimitKb });
  validateDocument(document);
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const validator = new ResponseValidator(document);
  return {
    url,
    rw,
    ro,
    buyer,
    harness,
    deps,
    doc: document,
    async request(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      const token = o.token === undefined ? rw : o.token;
      if (token !== null) headers.authorization ??= `Bearer ${token}`;
      let body: string | Buffer | undefined;
      if (o.raw !== undefined) body = o.raw;
      else if (o.body !== undefined) {
        body = JSON.stringify(o.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(`${url}${path}`, { method, headers, body: body as BodyInit | undefined, redirect: 'manual' });
      const text = await res.text();
      const type = res.headers.get('content-type') ?? '';
      let parsed: unknown = text;
      if (/^application\/(.+\+)?json/.test(type)) {
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new Error(`${method} ${path} -> ${res.status}: Content-Type ${type} but the body is not JSON: ${text.slice(0, 200)}`);
        }
      }
      validator.check(method, path, res.status, type, parsed);
      return { status: res.status, headers: res.headers, body: parsed };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.harness) await harness.close();
    },
  };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every $ref in the document as a JSON pointer into it; throws on the first that does not resolve. */
function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`$ref ${ref}: only local references are used`);
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!node || typeof node !== 'object' || !(key in (node as object))) throw new Error(`$ref ${ref} does not resolve (no "${key}")`);
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function* refs(node: unknown, at: string): Generator<{ ref: string; at: string }> {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) yield* refs(node[i], `${at}/${i}`);
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') yield { ref: v, at };
      else yield* refs(v, `${at}/${k}`);
    }
  }
}

/** The document itself is OpenAPI 3.1-shaped: throws with what is wrong. */
export function validateDocument(doc: OpenApiDocument): void {
  const wrong: string[] = [];
  if (typeof doc.openapi !== 'string' || !/^3\.1\.\d+$/.test(doc.openapi)) wrong.push(`openapi is ${JSON.stringify(doc.openapi)}, not 3.1.x`);
  if (!doc.info || typeof doc.info.title !== 'string' || typeof doc.info.version !== 'string') wrong.push('info.title and info.version must be strings');
  if (!doc.paths || typeof doc.paths !== 'object') wrong.push('paths is missing');
  const ids = new Map<string, string>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    if (!path.startsWith('/')) wrong.push(`path ${path} does not start with /`);
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method)) {
        wrong.push(`${path}: ${method} is not an HTTP method`);
        continue;
      }
      const where = `${method.toUpperCase()} ${path}`;
      if (!op.operationId) wrong.push(`${where}: no operationId`);
      else if (ids.has(op.operationId)) wrong.push(`${where}: operationId ${op.operationId} also used by ${ids.get(op.operationId)}`);
      else ids.set(op.operationId, where);
      if (!op.responses || Object.keys(op.responses).length === 0) wrong.push(`${where}: no responses`);
      for (const name of [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])) {
        if (!op.parameters?.some((p) => p.in === 'path' && p.name === name && p.required)) wrong.push(`${where}: path parameter ${name} is not declared (in: path, required)`);
      }
      for (const [status, r] of Object.entries(op.responses ?? {})) {
        if (!/^[1-5]\d\d$|^default$/.test(status)) wrong.push(`${where}: response key ${status}`);
        if (!('$ref' in r) && typeof r.description !== 'string') wrong.push(`${where} ${status}: no description`);
      }
      if (op.security) for (const s of op.security) for (const name of Object.keys(s)) if (!doc.components?.securitySchemes?.[name]) wrong.push(`${where}: security scheme ${name} is not declared`);
    }
  }
  for (const { ref, at } of refs(doc, '#')) {
    try {
      resolvePointer(doc, ref);
    } catch (e) {
      wrong.push(`${at}: ${(e as Error).message}`);
    }
  }
  if (JSON.stringify(doc).includes('"$schema"')) wrong.push('a "$schema" key is left inside the document');
  // Every schema compiles as JSON Schema 2020-12.
  if (!wrong.length) {
    try {
      new ResponseValidator(doc).compileAll();
    } catch (e) {
      wrong.push(`a schema does not compile: ${(e as Error).message}`);
    }
  }
  if (wrong.length) throw new Error(`the OpenAPI document is not valid:\n  ${wrong.join('\n  ')}`);
}

/** Checks responses against the document's operations. */
export class ResponseValidator {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly templates: Array<{ path: string; pattern: RegExp; literals: number }>;

  constructor(private readonly doc: OpenApiDocument) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    const toUrn = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(toUrn);
      if (!node || typeof node !== 'object') return node;
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? urn(v) : toUrn(v)]));
    };
    this.toUrn = toUrn;
    for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) this.ajv.addSchema({ ...(toUrn(schema) as object), $id: urn(`#/components/schemas/${name}`) });
    this.templates = Object.keys(doc.paths)
      .map((path) => ({
        path,
        pattern: new RegExp(`^${path.split(/(\{[^}]+\})/).map((p) => (p.startsWith('{') ? '[^/]+' : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}/?$`),
        literals: path.split('/').filter((s) => s && !s.startsWith('{')).length,
      }))
      .sort((a, b) => b.literals - a.literals);
  }

  private readonly toUrn: (node: unknown) => unknown;

  compileAll(): void {
    for (const [path, item] of Object.entries(this.doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const status of Object.keys(op.responses)) this.schemaFor(`${method} ${path} ${status}`, this.response(op, status));
        if (op.requestBody) for (const c of Object.values(op.requestBody.content)) this.ajv.compile(this.toUrn(c.schema) as object);
        for (const p of op.parameters ?? []) this.ajv.compile(this.toUrn(p.schema) as object);
      }
    }
  }

  private response(op: OpenApiOperation, status: string): { description: string; content?: Record<string, { schema: Record<string, unknown> }> } | undefined {
    const r = op.responses[status] ?? op.responses.default;
    if (!r) return undefined;
    return ('$ref' in r ? resolvePointer(this.doc, r.$ref as string) : r) as { description: string; content?: Record<string, { schema: Record<string, unknown> }> };
  }

  private schemaFor(key: string, response: ReturnType<ResponseValidator['response']>): ValidateFunction | null {
    const schema = response?.content?.['application/json']?.schema;
    if (!schema) return null;
    const known = this.compiled.get(key);
    if (known) return known;
    const v = this.ajv.compile(this.toUrn(schema) as object);
    this.compiled.set(key, v);
    return v;
  }

  private errorShape(): ValidateFunction {
    const v = this.ajv.getSchema(urn('#/components/schemas/Error'));
    if (!v) throw new Error('the OpenAPI document has no components.schemas.Error');
    return v;
  }

  check(method: string, fullPath: string, status: number, contentType: string, body: unknown): void {
    const path = fullPath.split('?')[0];
    const m = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
    const fail = (why: string, errors?: unknown) => {
      throw new Error(`${method.toUpperCase()} ${fullPath} -> ${status}: ${why}${errors ? `\n${JSON.stringify(errors, null, 2)}` : ''}\nbody: ${JSON.stringify(body)?.slice(0, 2000)}`);
    };
    const template = this.templates.find((t) => t.pattern.test(path));
    const op = template ? this.doc.paths[template.path][m] : undefined;
    if (!op) {
      // No operation: an unknown path or method under the API is an error in the one shape; the dashboard's files are not the API's.
      const isApi = path.startsWith('/api/') || template !== undefined;
      if (isApi || (status >= 400 && /json/.test(contentType))) {
        if (status < 400) fail('no operation in the OpenAPI document answers this');
        const v = this.errorShape();
        if (!v(body)) fail('the error body is not the Error shape', v.errors);
        if ((body as { error: { status: number } }).error.status !== status) fail('error.status differs from the HTTP status');
      }
      return;
    }
    const response = this.response(op, String(status));
    if (!response) fail(`status ${status} is not documented for ${m.toUpperCase()} ${template!.path} (documented: ${Object.keys(op.responses).join(', ')})`);
    const content = response!.content;
    if (!content) return;
    const media = Object.keys(content);
    const actual = contentType.split(';')[0].trim().toLowerCase();
    if (!media.includes(actual)) fail(`Content-Type ${contentType || '(none)'} is not documented (${media.join(', ')})`);
    if (actual !== 'application/json') return;
    const v = this.schemaFor(`${m} ${template!.path} ${status}`, response)!;
    if (!v(body)) fail('the body does not match the documented schema', v.errors);
    const error = (body as { error?: { status?: number } } | null)?.error;
    if (status >= 400 && error && error.status !== status) fail('error.status differs from the HTTP status');
  }
}

function urn(ref: string): string {
  if (!ref.startsWith('#/components/schemas/')) throw new Error(`unexpected $ref ${ref} in a schema`);
  return `urn:dockgate:schema:${encodeURIComponent(decodeURIComponent(ref.slice('#/components/schemas/'.length)))}`;
}
