/**
 * Validation of SP-API requests and responses against Amazon's official OpenAPI (Swagger 2.0)
 * models, e.g. ../shared/spapi-models/models/orders-api-model/ordersV0.json.
 *
 * The models are loaded as they are published. Swagger 2.0 schemas are close enough to JSON Schema
 * draft-07 for Ajv once a few differences are smoothed over (see `sanitizeSchema`):
 *  - `$ref: '#/definitions/X'` refers to the model document, so every model's `definitions` are
 *    registered once under a unique `$id` and refs are rewritten to `<id>#/definitions/X`;
 *  - non-body parameters are not schemas but carry the same validation keywords, so a schema is
 *    built from those keywords, and query/path strings are coerced to the declared type first;
 *  - Swagger-only keywords (x-*, example, readOnly, xml, externalDocs) are ignored (`strict: false`);
 *  - formats: the ones SP-API uses are implemented here (ajv-formats is not a dependency), any other
 *    format name is dropped so that it neither fails compilation nor prints warnings.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Ajv, type ErrorObject, type Format, type ValidateFunction } from 'ajv';

export interface OperationRef {
  /** Model file name without `.json`, e.g. `ordersV0` or `orders_2026-01-01`. */
  model: string;
  /** Lower-case HTTP method. */
  method: string;
  /** basePath + path key of the model, e.g. `/orders/v0/orders/{orderId}/shipmentConfirmation`. */
  pathTemplate: string;
  operationId: string;
}

export interface ValidationIssue {
  /** e.g. "query.marketplaceIds", "body.packageDetail.packageReferenceId", "response 200 body.payload.Orders[0].OrderStatus" */
  where: string;
  message: string;
}

/** One x-amzn-api-sandbox static example; `responseCode` is the status it is declared under. */
export interface SandboxExample {
  request?: { parameters?: Record<string, { value: unknown }> };
  response?: unknown;
  responseCode?: number;
}

/** "<where>: <message>", the usual one-line rendering of an issue. */
export function formatIssue(issue: ValidationIssue): string {
  return `${issue.where}: ${issue.message}`;
}

// ---------------------------------------------------------------------------------------------
// Swagger 2.0 shapes (only what is used here).

interface SwaggerParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'body' | 'formData';
  required?: boolean;
  type?: string;
  items?: Record<string, unknown>;
  collectionFormat?: string;
  schema?: unknown;
  $ref?: string;
  [keyword: string]: unknown;
}

interface SwaggerResponse {
  schema?: unknown;
  $ref?: string;
  'x-amzn-api-sandbox'?: { static?: SandboxExample[] };
}

interface SwaggerOperation {
  operationId?: string;
  parameters?: SwaggerParameter[];
  responses?: Record<string, SwaggerResponse>;
  'x-amzn-api-sandbox'?: { static?: SandboxExample[] };
}

interface SwaggerDocument {
  swagger: string;
  basePath?: string;
  paths?: Record<string, Record<string, unknown>>;
  definitions?: Record<string, unknown>;
  parameters?: Record<string, SwaggerParameter>;
  responses?: Record<string, SwaggerResponse>;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch']);

/** A path template segment: a literal, or a pattern capturing one or more parameters. */
type Segment = { literal: string } | { pattern: RegExp; names: string[] };

interface Operation {
  ref: OperationRef;
  /** `$id` of the model's definitions document. */
  schemaId: string;
  segments: Segment[];
  literalCount: number;
  parameters: SwaggerParameter[];
  responses: Record<string, SwaggerResponse>;
  examples: SandboxExample[];
}

// ---------------------------------------------------------------------------------------------
// Formats. Loose on purpose: the point is catching wrong kinds of values, not RFC pedantry.

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// ISO 8601 date-time with an explicit offset or Z; seconds and fractions optional.
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})$/;

function validDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= days[mo - 1];
}

function validDateTime(s: string): boolean {
  const m = DATE_TIME.exec(s);
  if (!m || !validDate(m[1])) return false;
  // 60 allows a leap second.
  return Number(m[2]) <= 23 && Number(m[3]) <= 59 && (m[4] === undefined || Number(m[4]) <= 60);
}

const FORMATS: Record<string, Format> = {
  'date-time': { type: 'string', validate: validDateTime },
  date: { type: 'string', validate: validDate },
  int32: { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n <= 2 ** 31 - 1 },
  int64: { type: 'number', validate: (n: number) => Number.isInteger(n) },
  double: { type: 'number', validate: (n: number) => Number.isFinite(n) },
  float: { type: 'number', validate: (n: number) => Number.isFinite(n) },
  uri: { type: 'string', validate: /^[A-Za-z][A-Za-z0-9+.-]*:\S*$/ },
  email: { type: 'string', validate: /^[^\s@]+@[^\s@]+$/ },
};

function isKnownFormat(format: unknown): boolean {
  return typeof format === 'string' && Object.hasOwn(FORMATS, format);
}

// ---------------------------------------------------------------------------------------------
// Schema preparation.

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mapValues(v: unknown, f: (s: unknown) => unknown): unknown {
  return isObject(v) ? Object.fromEntries(Object.entries(v).map(([k, s]) => [k, f(s)])) : v;
}

/**
 * A copy of a Swagger schema that Ajv (draft-07) compiles: local refs point into the registered
 * definitions document `schemaId`, unknown formats are dropped, draft-04 boolean
 * exclusiveMinimum/Maximum become draft-07 numbers, and Swagger's `discriminator` (a property
 * name, not Ajv's discriminator object) is removed. The walk follows schema positions only, so a
 * property *named* `format` or `$ref` in `properties` is left alone; enum/default/example values
 * are copied untouched.
 */
function sanitizeSchema(schema: unknown, schemaId: string): unknown {
  if (!isObject(schema)) return schema; // `true`/`false` schemas, or garbage Ajv will report
  const sub = (s: unknown) => sanitizeSchema(s, schemaId);
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    switch (key) {
      case '$ref':
        out.$ref = typeof value === 'string' && value.startsWith('#') ? schemaId + value : value;
        break;
      case 'properties':
      case 'patternProperties':
      case 'definitions':
        out[key] = mapValues(value, sub);
        break;
      case 'items':
        out[key] = Array.isArray(value) ? value.map(sub) : sub(value);
        break;
      case 'additionalProperties':
      case 'not':
        out[key] = sub(value);
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        out[key] = Array.isArray(value) ? value.map(sub) : value;
        break;
      case 'format':
        if (isKnownFormat(value)) out[key] = value;
        break;
      case 'discriminator':
        break;
      default:
        out[key] = value;
    }
  }
  for (const [flag, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (typeof out[flag] !== 'boolean') continue;
    if (out[flag] && typeof out[bound] === 'number') {
      out[flag] = out[bound];
      delete out[bound];
    } else {
      delete out[flag];
    }
  }
  return out;
}

// Validation keywords a non-body Swagger parameter (or its `items`) may carry.
const PARAMETER_KEYWORDS = [
  'type', 'format', 'enum', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf',
  'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'uniqueItems',
];

/** JSON schema of a path/query parameter (after coercion, see `coerceParameter`). */
function parameterSchema(p: Json): Json {
  const out: Json = {};
  for (const k of PARAMETER_KEYWORDS) if (p[k] !== undefined) out[k] = p[k];
  if (isObject(p.items)) out.items = parameterSchema(p.items);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Query/path coercion: everything arrives as text; turn it into what the schema expects so that
// Ajv checks values rather than the fact that they are strings.

const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function coerceScalar(type: unknown, s: string): unknown {
  if ((type === 'integer' || type === 'number') && NUMBER.test(s)) return Number(s);
  if (type === 'boolean' && (s === 'true' || s === 'false')) return s === 'true';
  return s;
}

// csv is the Swagger default; `multi` (repeated keys) arrives as string[]. Commas are accepted
// for both, since clients differ in how they send arrays.
const DELIMITERS: Record<string, string> = { csv: ',', multi: ',', ssv: ' ', tsv: '\t', pipes: '|' };

/** The typed value of a parameter, or a message when it cannot be one. */
function coerceParameter(p: SwaggerParameter, raw: string | string[]): { value: unknown } | { error: string } {
  if (p.type === 'array') {
    const delimiter = DELIMITERS[p.collectionFormat ?? 'csv'] ?? ',';
    const texts = Array.isArray(raw) ? raw : [raw];
    const parts = texts.length === 1 && texts[0] === '' ? [] : texts.flatMap((t) => t.split(delimiter));
    return { value: parts.map((s) => coerceScalar(p.items?.type, s)) };
  }
  if (Array.isArray(raw)) {
    if (raw.length !== 1) return { error: `given ${raw.length} times, expected a single value` };
    raw = raw[0];
  }
  return { value: coerceScalar(p.type, raw) };
}

// ---------------------------------------------------------------------------------------------
// Error rendering.

/** A value for a message: JSON, cut short. */
function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

function member(key: string, container: unknown): string {
  if (Array.isArray(container) && /^\d+$/.test(key)) return `[${key}]`;
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** Ajv's instancePath (`/payload/Orders/0/OrderStatus`) as `.payload.Orders[0].OrderStatus`. */
function dottedPath(instancePath: string, data: unknown): string {
  if (!instancePath) return '';
  let out = '';
  let current: unknown = data;
  for (const raw of instancePath.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += member(key, current);
    current = isObject(current) || Array.isArray(current) ? (current as Record<string, unknown>)[key] : undefined;
  }
  return out;
}

function toIssues(errors: ErrorObject[] | null | undefined, where: string, data: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    let path = where + dottedPath(e.instancePath, data);
    let message: string;
    switch (e.keyword) {
      case 'required':
        path += member(String(e.params.missingProperty), {});
        message = 'is required';
        break;
      case 'additionalProperties':
        path += member(String(e.params.additionalProperty), {});
        message = 'is not an allowed property';
        break;
      case 'enum': {
        const allowed = (e.params.allowedValues as unknown[]).map((v) => (typeof v === 'string' ? v : show(v)));
        const list = allowed.length > 12 ? `${allowed.slice(0, 12).join(', ')}, ... (${allowed.length} values)` : allowed.join(', ');
        message = `must be one of ${list} (found ${show(e.data)})`;
        break;
      }
      // Combinators and conditionals: the value itself says little; their sub-errors are listed too.
      case 'anyOf':
      case 'oneOf':
      case 'allOf':
      case 'if':
      case 'not':
        message = e.message ?? e.keyword;
        break;
      default:
        message = `${e.message ?? e.keyword} (found ${show(e.data)})`;
    }
    const line = `${path}\0${message}`;
    if (seen.has(line)) continue;
    seen.add(line);
    issues.push({ where: path, message });
  }
  return issues;
}

function isEmptyBody(body: unknown): boolean {
  return body === undefined || body === '';
}

// ---------------------------------------------------------------------------------------------
// Path templates.

function parseTemplate(template: string): Segment[] {
  return template
    .split('/')
    .slice(1)
    .map((segment) => {
      if (!segment.includes('{')) return { literal: segment };
      const names: string[] = [];
      const source = segment
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const m = /^\{([^}]+)\}$/.exec(part);
          if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(m[1]);
          return '([^/]*)';
        })
        .join('');
      return { pattern: new RegExp(`^${source}$`), names };
    });
}

/** The concrete path without query string or fragment, split into segments. */
function pathSegments(path: string): string[] {
  return path.replace(/[?#].*$/, '').split('/').slice(1);
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Decoded path parameter values, or undefined when the path does not fit the template. A trailing
 * slash is tolerated. With `allowEmpty`, an empty segment still matches a parameter (and comes
 * back as ''), so that validation can say which parameter is missing rather than just "no match".
 */
function matchTemplate(segments: Segment[], path: string, allowEmpty: boolean): Record<string, string> | undefined {
  const parts = pathSegments(path);
  const attempt = (parts: string[]): Record<string, string> | undefined => {
    if (parts.length !== segments.length) return undefined;
    const values: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const seg = segments[i];
      if ('literal' in seg) {
        if (seg.literal !== parts[i]) return undefined;
        continue;
      }
      const m = seg.pattern.exec(parts[i]);
      if (!m) return undefined;
      for (const [j, name] of seg.names.entries()) {
        if (m[j + 1] === '' && !allowEmpty) return undefined;
        values[name] = decode(m[j + 1]);
      }
    }
    return values;
  };
  return attempt(parts) ?? (parts.length > 1 && parts.at(-1) === '' ? attempt(parts.slice(0, -1)) : undefined);
}

// ---------------------------------------------------------------------------------------------

function listJsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listJsonFiles(p));
    else if (entry.isFile() && entry.name.endsWith('.json')) out.push(p);
  }
  return out.sort();
}

function opKey(ref: OperationRef): string {
  return `${ref.model} ${ref.method.toLowerCase()} ${ref.pathTemplate}`;
}

export class OpenApiModels {
  private readonly ajv: Ajv;
  private readonly ops: Operation[] = [];
  private readonly byKey = new Map<string, Operation>();
  private readonly validators = new Map<string, ValidateFunction>();

  private constructor() {
    // verbose: errors carry the offending value, for "(found ...)". unicodeRegExp: false because
    // model patterns are written for plain (non-/u) regular expressions.
    this.ajv = new Ajv({ strict: false, allErrors: true, verbose: true, unicodeRegExp: false });
    for (const [name, def] of Object.entries(FORMATS)) this.ajv.addFormat(name, def);
  }

  /** Loads every Swagger 2.0 model (`"swagger": "2.0"`) below `dir`; other JSON files are skipped. */
  static load(dir: string): OpenApiModels {
    const models = new OpenApiModels();
    for (const file of listJsonFiles(dir)) {
      let doc: unknown;
      try {
        doc = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
      }
      if (isObject(doc) && doc.swagger === '2.0') models.addModel(basename(file, '.json'), doc as unknown as SwaggerDocument, file);
    }
    return models;
  }

  private addModel(model: string, doc: SwaggerDocument, file: string): void {
    if (this.ops.some((o) => o.ref.model === model)) throw new Error(`${file}: a model named ${model} is already loaded`);
    const schemaId = `https://spapi-models.invalid/${encodeURIComponent(model)}.json`;
    this.ajv.addSchema({ $id: schemaId, definitions: mapValues(doc.definitions ?? {}, (s) => sanitizeSchema(s, schemaId)) });

    const resolveParam = (p: SwaggerParameter): SwaggerParameter =>
      p.$ref?.startsWith('#/parameters/') ? (doc.parameters?.[p.$ref.slice('#/parameters/'.length)] ?? p) : p;
    const basePath = (doc.basePath ?? '').replace(/\/+$/, '');

    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      const shared = ((item.parameters as SwaggerParameter[] | undefined) ?? []).map(resolveParam);
      const pathTemplate = basePath + path;
      const segments = parseTemplate(pathTemplate);
      for (const [method, raw] of Object.entries(item)) {
        if (!HTTP_METHODS.has(method) || !isObject(raw)) continue;
        const op = raw as SwaggerOperation;
        const own = (op.parameters ?? []).map(resolveParam);
        // Operation parameters override path-level ones with the same name and location.
        const parameters = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own];
        const responses: Record<string, SwaggerResponse> = {};
        const examples: SandboxExample[] = [...(op['x-amzn-api-sandbox']?.static ?? [])];
        for (const [status, r] of Object.entries(op.responses ?? {})) {
          const response = r.$ref?.startsWith('#/responses/') ? (doc.responses?.[r.$ref.slice('#/responses/'.length)] ?? r) : r;
          responses[status] = response;
          // The examples of a response carry no status of their own: it is the one they sit under.
          for (const ex of response['x-amzn-api-sandbox']?.static ?? []) {
            examples.push(/^\d{3}$/.test(status) && ex.responseCode === undefined ? { ...ex, responseCode: Number(status) } : ex);
          }
        }
        const ref: OperationRef = Object.freeze({ model, method, pathTemplate, operationId: op.operationId ?? `${method} ${pathTemplate}` });
        const operation: Operation = {
          ref,
          schemaId,
          segments,
          literalCount: segments.filter((s) => 'literal' in s).length,
          parameters,
          responses,
          examples,
        };
        this.ops.push(operation);
        this.byKey.set(opKey(ref), operation);
      }
    }
  }

  /** Every loaded operation, in model file order. */
  operations(): OperationRef[] {
    return this.ops.map((o) => o.ref);
  }

  /** The operation's declared parameters (path-level ones included), e.g. to route example values. */
  parameters(ref: OperationRef): Array<{ name: string; in: string; required: boolean }> {
    return this.get(ref).parameters.map((p) => ({ name: p.name, in: p.in, required: p.required === true }));
  }

  /**
   * The operation for an HTTP method and a concrete path (query string ignored). Templates are
   * matched segment by segment; when several match, the one with more literal segments wins
   * (`/fba/inventory/v1/items/inventory` over `/fba/inventory/v1/items/{sellerSku}`).
   */
  find(method: string, path: string): OperationRef | undefined {
    const m = method.toLowerCase();
    let best: Operation | undefined;
    for (const op of this.ops) {
      if (op.ref.method !== m || (best && best.literalCount >= op.literalCount)) continue;
      if (matchTemplate(op.segments, path, false)) best = op;
    }
    return best?.ref;
  }

  /**
   * The operation with this operationId, in `model` when given. An id found in several models
   * (`getOrder` is in both ordersV0 and orders_2026-01-01) is an error without `model`.
   */
  operation(operationId: string, model?: string): OperationRef | undefined {
    const found = this.ops.filter((o) => o.ref.operationId === operationId && (model === undefined || o.ref.model === model));
    if (found.length > 1) {
      throw new Error(`operationId ${operationId} is in several models (${found.map((o) => o.ref.model).join(', ')}): pass the model`);
    }
    return found[0]?.ref;
  }

  private get(ref: OperationRef): Operation {
    const op = this.byKey.get(opKey(ref));
    if (!op) throw new Error(`unknown operation ${opKey(ref)}`);
    return op;
  }

  /** Compiled once per key; `schema` is only built on a cache miss. */
  private validator(key: string, schemaId: string, schema: () => unknown): ValidateFunction {
    let v = this.validators.get(key);
    if (!v) {
      v = this.ajv.compile(sanitizeSchema(schema(), schemaId) as Json);
      this.validators.set(key, v);
    }
    return v;
  }

  private validateParameter(op: Operation, p: SwaggerParameter, raw: string | string[], where: string): ValidationIssue[] {
    const coerced = coerceParameter(p, raw);
    if ('error' in coerced) return [{ where, message: coerced.error }];
    const validate = this.validator(`${opKey(op.ref)} ${where}`, op.schemaId, () => parameterSchema(p));
    return validate(coerced.value) ? [] : toIssues(validate.errors, where, coerced.value);
  }

  /**
   * Issues with a request: path parameters (taken from the concrete path), query parameters
   * (typed per the model; arrays as repeated keys or comma-separated), required parameters,
   * undeclared query parameters, and the JSON body. Headers are not checked.
   */
  validateRequest(ref: OperationRef, req: { path: string; query: Record<string, string | string[] | undefined>; body?: unknown }): ValidationIssue[] {
    const op = this.get(ref);
    const issues: ValidationIssue[] = [];

    const pathValues = matchTemplate(op.segments, req.path, true);
    if (!pathValues) {
      issues.push({ where: 'path', message: `${show(req.path)} does not match ${op.ref.pathTemplate}` });
    }
    for (const p of op.parameters.filter((q) => q.in === 'path')) {
      if (!pathValues) break;
      const where = `path.${p.name}`;
      const raw = pathValues[p.name];
      if (raw === undefined || raw === '') issues.push({ where, message: 'is required' });
      else issues.push(...this.validateParameter(op, p, raw, where));
    }

    const declared = new Set<string>();
    for (const p of op.parameters.filter((q) => q.in === 'query')) {
      declared.add(p.name);
      const where = `query.${p.name}`;
      const raw = req.query[p.name];
      if (raw === undefined) {
        if (p.required) issues.push({ where, message: 'is required' });
      } else {
        issues.push(...this.validateParameter(op, p, raw, where));
      }
    }
    for (const [name, value] of Object.entries(req.query)) {
      if (value !== undefined && !declared.has(name)) issues.push({ where: `query.${name}`, message: 'is not a parameter of this operation' });
    }

    const bodyParam = op.parameters.find((p) => p.in === 'body');
    if (!bodyParam) {
      if (!isEmptyBody(req.body)) issues.push({ where: 'body', message: `this operation takes no body (found ${show(req.body)})` });
    } else if (isEmptyBody(req.body)) {
      if (bodyParam.required) issues.push({ where: 'body', message: 'is required' });
    } else {
      const validate = this.validator(`${opKey(op.ref)} body`, op.schemaId, () => bodyParam.schema ?? {});
      if (!validate(req.body)) issues.push(...toIssues(validate.errors, 'body', req.body));
    }
    return issues;
  }

  /**
   * Issues with a response: the status must be declared (or a `default` exist); a body is checked
   * against that response's schema; a 204, or a response declared without schema, takes no body.
   */
  validateResponse(ref: OperationRef, res: { status: number; body?: unknown }): ValidationIssue[] {
    const op = this.get(ref);
    const status = String(res.status);
    const declared = op.responses[status] ? status : op.responses.default ? 'default' : undefined;
    if (!declared) {
      return [{ where: `response ${status}`, message: `status is not declared (declared: ${Object.keys(op.responses).join(', ')})` }];
    }
    const where = `response ${status} body`;
    const schema = op.responses[declared].schema;
    if (res.status === 204 || schema === undefined) {
      return isEmptyBody(res.body) ? [] : [{ where, message: `must be empty (found ${show(res.body)})` }];
    }
    if (isEmptyBody(res.body)) return [{ where, message: 'is required' }];
    const validate = this.validator(`${opKey(op.ref)} response ${declared}`, op.schemaId, () => schema);
    return validate(res.body) ? [] : toIssues(validate.errors, where, res.body);
  }

  /**
   * The operation's x-amzn-api-sandbox static examples as the model has them, for replay, each
   * with `responseCode` set to the status it is declared under. Copies: callers may modify them.
   */
  sandboxExamples(ref: OperationRef): SandboxExample[] {
    return structuredClone(this.get(ref).examples);
  }
}
