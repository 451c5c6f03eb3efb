/**
 * The HTTP app: the open probes (/healthz, /readyz, /metrics), the OpenAPI document, the
 * dashboard's static files, and every route module under /api/v1 behind the bearer token.
 * Requests are checked against the routes' zod schemas before a handler sees them; every
 * failure, wherever it happens, leaves in the one error shape (src/server/api.ts ApiError).
 */
import { randomBytes } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { z, ZodError } from 'zod';
import { ApiError, defineRoute, type ApiDeps, type Principal, type RouteDefinition, type RouteModule, type RouteResult } from './api.ts';
import { authorize, TokenAuthenticator, type ApiTokens } from './auth.ts';
import { mountDashboard } from './dashboard.ts';
import { DEFAULT_BODY_LIMIT_KB } from '../gateway/config.ts';
import { API_BASE, buildOpenApiDocument, pathParamNames, type OpenApiDocument } from './openapi.ts';
import { openRoutes } from './routes/health.ts';
import { routeModules } from './routes/index.ts';

export { DEFAULT_BODY_LIMIT_KB };

export interface AppOptions {
  /** Route modules under /api/v1 (default: src/server/routes/index.ts). */
  modules?: RouteModule[];
  tokens: ApiTokens;
  bodyLimitKb?: number;
}

export interface App {
  app: Express;
  document: OpenApiDocument;
}

/** The dashboard's scripts and styles come from this origin only; the API answers JSON nobody should frame. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface CompiledRoute {
  route: RouteDefinition;
  fullPath: string;
  pattern: RegExp;
  names: string[];
  /** Literal segments first: "/messages/export" wins over "/messages/{id}". */
  literals: number;
  open: boolean;
}

function compile(route: RouteDefinition, fullPath: string, open: boolean): CompiledRoute {
  const names = pathParamNames(fullPath);
  const source = fullPath
    .split(/(\{[A-Za-z0-9_]+\})/)
    .map((part) => (/^\{[A-Za-z0-9_]+\}$/.test(part) ? '([^/]+)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const literals = fullPath.split('/').filter((s) => s && !s.startsWith('{')).length;
  return { route, fullPath, pattern: new RegExp(`^${source}/?$`), names, literals, open };
}

/** openapi.json is open: it describes the API and holds no data. */
function openApiRoute(document: () => OpenApiDocument): RouteDefinition {
  return defineRoute({
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This OpenAPI 3.1 document',
    tags: ['meta'],
    responses: { 200: { description: 'The document', schema: z.object({ openapi: z.string(), info: z.object({ title: z.string(), version: z.string() }).loose(), paths: z.record(z.string(), z.unknown()) }).loose() } },
    handler: () => ({ json: document() }),
  });
}

function errorBody(e: ApiError) {
  return { error: { status: e.status, code: e.code, message: e.message, ...(e.where ? { where: e.where } : {}), ...(e.details ? { details: e.details } : {}) } };
}

function sendError(res: Response, e: ApiError): void {
  if (e.code === 'unauthorized') res.setHeader('WWW-Authenticate', 'Bearer realm="dockgate"');
  res.status(e.status).json(errorBody(e));
}

/** A zod failure as the located 400: the first issue names where and what was expected. */
export function zodToApiError(err: ZodError, part: 'path' | 'query' | 'body'): ApiError {
  const first = err.issues[0];
  const where = [part, ...(first?.path ?? []).map(String)].join('.');
  const issues = err.issues.slice(0, 20).map((i) => ({ where: [part, ...i.path.map(String)].join('.'), message: i.message }));
  return new ApiError('bad-request', `${where}: ${first?.message ?? 'invalid'}`, where, issues.length > 1 ? { issues } : undefined);
}

function parsePart(schema: z.ZodType | undefined, value: unknown, part: 'path' | 'query' | 'body'): unknown {
  if (!schema) return value;
  const r = schema.safeParse(value);
  if (!r.success) throw zodToApiError(r.error, part);
  return r.data;
}

function sendResult(res: Response, result: RouteResult): void {
  if ('text' in result) {
    res.status(result.status ?? 200).type(result.contentType);
    if (result.filename) res.setHeader('Content-Disposition', `attachment; filename="${result.filename.replace(/["\\\r\n]/g, '_')}"`);
    res.send(result.text);
    return;
  }
  res.status(result.status ?? 200).json(result.json);
}

const hasBody = (req: Request) => Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;

export function createApp(deps: ApiDeps, options: AppOptions): App {
  const modules = options.modules ?? routeModules;
  const auth = new TokenAuthenticator(options.tokens);
  const log = deps.ctx.log;
  const open = [...openRoutes(), { route: openApiRoute(() => document), fullPath: `${API_BASE}/openapi.json` }];
  const document: OpenApiDocument = buildOpenApiDocument({ modules, open });
  const routes: CompiledRoute[] = [
    ...open.map((o) => compile(o.route, o.fullPath, true)),
    ...modules.flatMap((m) => m.routes.map((r) => compile(r, `${API_BASE}${r.path}`, false))),
  ].sort((a, b) => b.literals - a.literals);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.on('finish', () => {
      const principal = (res.locals.principal as Principal | undefined)?.name ?? null;
      // The path only: query values can carry order ids and buyer-facing filters; the Authorization header never leaves here.
      log.info({ event: 'http', method: req.method, path: req.path, status: res.statusCode, ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000, principal }, `${req.method} ${req.path} ${res.statusCode}`);
    });
    next();
  });

  const jsonParser = express.json({ limit: `${options.bodyLimitKb ?? DEFAULT_BODY_LIMIT_KB}kb`, type: () => true });

  const dispatch: RequestHandler = (req, res, next) => {
    const path = req.path;
    const matching = routes.filter((r) => r.pattern.test(path));
    if (!matching.length) return next();
    const method = req.method.toLowerCase();
    const found = matching.find((r) => r.route.method === method || (method === 'head' && r.route.method === 'get'));
    if (!found) {
      const allow = [...new Set(matching.map((r) => r.route.method.toUpperCase()))];
      res.setHeader('Allow', allow.join(', '));
      return sendError(res, new ApiError('method-not-allowed', `${req.method} is not allowed on ${path}; allowed: ${allow.join(', ')}`, 'method'));
    }
    void handle(found, req, res).catch(next);
  };

  const handle = async (compiled: CompiledRoute, req: Request, res: Response): Promise<void> => {
    const { route } = compiled;
    let principal: Principal = { name: 'anonymous', access: 'read-only', buyerData: false };
    if (!compiled.open) {
      principal = auth.authenticate(req.headers.authorization);
      res.locals.principal = principal;
      authorize(principal, route.access ?? (route.method === 'get' ? 'read' : 'write'));
    }
    let body: unknown;
    if (route.method !== 'get') {
      if (hasBody(req)) {
        if (!req.is('application/json')) throw new ApiError('unsupported-media-type', `the body must be application/json (got ${req.headers['content-type'] ?? 'no Content-Type'})`, 'header.content-type');
        await new Promise<void>((resolve, reject) => jsonParser(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
        body = req.body;
      }
    }
    const match = compiled.pattern.exec(req.path)!;
    const rawParams: Record<string, string> = {};
    compiled.names.forEach((n, i) => {
      try {
        rawParams[n] = decodeURIComponent(match[i + 1]);
      } catch {
        throw new ApiError('bad-request', `path.${n}: not a valid percent-encoded value`, `path.${n}`);
      }
    });
    const params = parsePart(route.params, rawParams, 'path');
    const query = parsePart(route.query, { ...(req.query as Record<string, unknown>) }, 'query');
    const parsedBody = route.body ? parsePart(route.body, body ?? {}, 'body') : body;
    const result = await route.handler({ params, query, body: parsedBody, principal, deps, req, res });
    if (!res.headersSent) sendResult(res, result);
  };

  // Probes, metrics, openapi.json and the API; an unknown /api/v1 path is a 404 in the error shape.
  app.use(dispatch);
  app.use(API_BASE, (req, _res, next) => next(new ApiError('not-found', `no such API path: ${req.method} ${API_BASE}${req.path}`, 'path')));
  mountDashboard(app);
  app.use((req, _res, next) => next(new ApiError('not-found', `nothing at ${req.path}`, 'path')));

  const onError: ErrorRequestHandler = (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = toApiError(err);
    if (e.code === 'internal') {
      const id = randomBytes(6).toString('hex');
      log.error({ event: 'http-error', errorId: id, method: req.method, path: req.path, err }, `${req.method} ${req.path}: internal error ${id}`);
      e.message = `internal error (logged as ${id})`;
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    sendError(res, e);
  };
  app.use(onError);
  return { app, document };
}

/** Express's own errors (body parser, static files) and zod's as the error shape; anything else is internal. */
function toApiError(err: unknown): ApiError & { message: string } {
  if (err instanceof ApiError) return err;
  if (err instanceof ZodError) return zodToApiError(err, 'body');
  const e = err as { type?: string; status?: number; statusCode?: number; expose?: boolean; message?: string; limit?: number };
  if (e?.type === 'entity.too.large') return new ApiError('payload-too-large', `the body is larger than the limit of ${Math.round((e.limit ?? 0) / 1024)} KiB (api.bodyLimitKb)`, 'body');
  if (e?.type === 'entity.parse.failed') return new ApiError('bad-request', `the body is not valid JSON: ${e.message ?? 'parse error'}`, 'body');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return new ApiError('unsupported-media-type', e.message ?? 'unsupported body encoding', 'header.content-type');
  const status = e?.status ?? e?.statusCode;
  if (status === 404) return new ApiError('not-found', 'not found', 'path');
  if (status && status >= 400 && status < 500 && e.expose) return new ApiError('bad-request', e.message ?? 'bad request');
  return new ApiError('internal', 'internal error');
}
