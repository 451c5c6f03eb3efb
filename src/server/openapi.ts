/**
 * The OpenAPI 3.1 document, generated from the route declarations (src/server/api.ts): every
 * route's parameters, body and responses are its zod schemas through zod's own JSON Schema
 * output, so the document says exactly what the app checks. The open probes (/healthz, /readyz,
 * /metrics) and openapi.json itself are documented without security; every other operation
 * needs the bearer token and documents the shared Error responses.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { API_ERROR_CODES, type RouteDefinition, type RouteModule } from './api.ts';

export type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown>; responses: Record<string, unknown> };
  tags?: Array<{ name: string }>;
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Array<{ name: string; in: 'path' | 'query'; required: boolean; schema: JsonSchema; description?: string }>;
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> } | { $ref: string }>;
  security?: Array<Record<string, string[]>>;
}

export const API_BASE = '/api/v1';

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'The one error shape of every failure.',
  properties: {
    error: {
      type: 'object',
      properties: {
        status: { type: 'integer' },
        code: { type: 'string', enum: Object.keys(API_ERROR_CODES) },
        message: { type: 'string' },
        where: { type: 'string', description: 'Where in the request: "query.limit", "body.owner", "path.id", "header.authorization", "body".' },
        details: { type: 'object', additionalProperties: {} },
      },
      required: ['status', 'code', 'message'],
      additionalProperties: false,
    },
  },
  required: ['error'],
  additionalProperties: false,
};

/** The error responses every operation may give, by status, and which operations get them. */
const SHARED_ERRORS: Array<{ status: number; name: string; description: string; when: 'secured' | 'all' | 'write' }> = [
  { status: 400, name: 'BadRequest', description: 'A parameter, query value or body that does not match (error.where says which).', when: 'all' },
  { status: 401, name: 'Unauthorized', description: 'No bearer token, or an unknown one.', when: 'secured' },
  { status: 403, name: 'Forbidden', description: 'A read-only token on a call that changes state.', when: 'secured' },
  { status: 404, name: 'NotFound', description: 'No such thing.', when: 'all' },
  { status: 413, name: 'PayloadTooLarge', description: 'The body is past the size limit (api.bodyLimitKb).', when: 'write' },
  { status: 415, name: 'UnsupportedMediaType', description: 'A body that is not application/json.', when: 'write' },
  { status: 500, name: 'Internal', description: 'An unexpected failure (the message names the log entry).', when: 'all' },
];

const errorRef = { $ref: '#/components/schemas/Error' };

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]);
}

/**
 * zod -> JSON Schema, fitted into the document: "$schema" keys dropped, the schema's own $defs
 * moved to components.schemas (refs rewritten), and a recursive schema's "#" refs pointed at a
 * component of its own, since "#" inside the document would mean the document.
 */
class SchemaConverter {
  constructor(readonly components: Record<string, JsonSchema>) {}

  convert(schema: z.ZodType, io: 'input' | 'output', hint: string): JsonSchema {
    const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
    const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
    delete json.$defs;
    delete json.$schema;
    const names = new Map<string, string>();
    for (const name of Object.keys(defs)) names.set(name, name.startsWith('__') ? `${hint}${name.replace(/^_+/, '_')}` : name);
    let selfName: string | null = null;
    const rewrite = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(rewrite);
      if (!node || typeof node !== 'object') return node;
      const out: JsonSchema = {};
      for (const [k, v] of Object.entries(node as JsonSchema)) {
        if (k === '$schema') continue;
        if (k === '$ref' && typeof v === 'string') {
          if (v === '#') {
            selfName ??= hint;
            out.$ref = `#/components/schemas/${selfName}`;
          } else if (v.startsWith('#/$defs/')) {
            out.$ref = `#/components/schemas/${names.get(v.slice(8)) ?? v.slice(8)}`;
          } else out.$ref = v;
          continue;
        }
        out[k] = rewrite(v);
      }
      return out;
    };
    // A name taken by a different schema gets a suffix (refs follow the final names).
    for (const [name, final] of names) {
      const body = JSON.stringify(defs[name]);
      let n = final;
      for (let i = 2; this.raw.has(n) && this.raw.get(n) !== body; i++) n = `${final}${i}`;
      names.set(name, n);
      this.raw.set(n, body);
    }
    for (const [name, final] of names) this.components[final] = rewrite(defs[name]) as JsonSchema;
    const root = rewrite(json) as JsonSchema;
    if (selfName) {
      this.components[selfName] = root;
      return { $ref: `#/components/schemas/${selfName}` };
    }
    return root;
  }

  /** The zod output each component came from, to tell a same-named different schema. */
  private readonly raw = new Map<string, string>();
}

function parameters(conv: SchemaConverter, route: RouteDefinition, where: 'path' | 'query', fullPath: string): NonNullable<OpenApiOperation['parameters']> {
  const schema = where === 'path' ? route.params : route.query;
  const out: NonNullable<OpenApiOperation['parameters']> = [];
  if (schema) {
    const json = conv.convert(schema, 'input', `${route.operationId}_${where}`);
    const props = (json.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((json.required ?? []) as string[]);
    for (const [name, s] of Object.entries(props)) {
      const { description, ...rest } = s as JsonSchema & { description?: string };
      out.push({ name, in: where, required: where === 'path' || required.has(name), schema: rest, ...(description ? { description } : {}) });
    }
  }
  if (where === 'path') {
    // A template name the params schema does not declare is still a (string) parameter.
    for (const name of pathParamNames(fullPath)) if (!out.some((p) => p.name === name)) out.push({ name, in: 'path', required: true, schema: { type: 'string' } });
  }
  return out;
}

function operation(conv: SchemaConverter, route: RouteDefinition, fullPath: string, secured: boolean): OpenApiOperation {
  const op: OpenApiOperation = { operationId: route.operationId, summary: route.summary, tags: route.tags, responses: {} };
  if (route.description) op.description = route.description;
  const params = [...parameters(conv, route, 'path', fullPath), ...parameters(conv, route, 'query', fullPath)];
  if (params.length) op.parameters = params;
  // Only a call with a body can be too large or of the wrong type.
  const write = route.method !== 'get';
  if (route.body) op.requestBody = { required: true, content: { 'application/json': { schema: conv.convert(route.body, 'input', `${route.operationId}_body`) } } };
  for (const [status, r] of Object.entries(route.responses)) {
    if (r.contentType && r.contentType !== 'application/json') {
      op.responses[status] = { description: r.description, content: { [r.contentType]: { schema: { type: 'string' } } } };
    } else if (r.schema) {
      op.responses[status] = { description: r.description, content: { 'application/json': { schema: conv.convert(r.schema, 'output', `${route.operationId}_${status}`) } } };
    } else if (Number(status) >= 400) {
      // An error status declared without a schema is the one error shape.
      op.responses[status] = { description: r.description, content: { 'application/json': { schema: errorRef } } };
    } else op.responses[status] = { description: r.description };
  }
  for (const e of SHARED_ERRORS) {
    if (op.responses[e.status]) continue;
    if (e.when === 'secured' && !secured) continue;
    if (e.when === 'write' && !write) continue;
    op.responses[e.status] = { $ref: `#/components/responses/${e.name}` };
  }
  if (secured) op.security = [{ bearer: [] }];
  return op;
}

export interface DocumentParts {
  /** Routes under /api/v1 behind the token. */
  modules: RouteModule[];
  /** Routes at the root without a token (/healthz, /readyz, /metrics), and open /api/v1 ones (openapi.json), with their full paths. */
  open: Array<{ route: RouteDefinition; fullPath: string }>;
}

export function buildOpenApiDocument(parts: DocumentParts): OpenApiDocument {
  const schemas: Record<string, JsonSchema> = { Error: ERROR_SCHEMA };
  const conv = new SchemaConverter(schemas);
  const responses: Record<string, unknown> = {};
  for (const e of SHARED_ERRORS) responses[e.name] = { description: e.description, content: { 'application/json': { schema: errorRef } } };
  const paths: OpenApiDocument['paths'] = {};
  const operationIds = new Map<string, string>();
  const add = (route: RouteDefinition, fullPath: string, secured: boolean) => {
    const seen = operationIds.get(route.operationId);
    if (seen) throw new Error(`operationId ${route.operationId} is declared twice (${seen} and ${route.method.toUpperCase()} ${fullPath})`);
    operationIds.set(route.operationId, `${route.method.toUpperCase()} ${fullPath}`);
    paths[fullPath] ??= {};
    if (paths[fullPath][route.method]) throw new Error(`${route.method.toUpperCase()} ${fullPath} is declared twice`);
    paths[fullPath][route.method] = operation(conv, route, fullPath, secured);
  };
  for (const { route, fullPath } of parts.open) add(route, fullPath, false);
  const tags = new Set<string>();
  for (const m of parts.modules) {
    for (const [name, s] of Object.entries(m.schemas ?? {})) {
      if (!schemas[name]) schemas[name] = conv.convert(s, 'output', name);
    }
    for (const r of m.routes) {
      add(r, `${API_BASE}${r.path}`, true);
      for (const t of r.tags) tags.add(t);
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Dockgate operator API',
      version: packageVersion(),
      description: 'Messages, orders, exceptions, partners, flows, reconciliation and health of a Dockgate gateway. Bearer token on /api/v1 (dockgate api token); one error shape for every failure.',
    },
    paths,
    components: { schemas, responses, securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A token from `dockgate api token`, configured by its sha256 under api.tokens, or DOCKGATE_API_TOKEN.' } } },
    tags: [...tags].sort().map((name) => ({ name })),
  };
}
