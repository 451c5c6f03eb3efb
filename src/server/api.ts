/**
 * The REST API's contract, shared by the app (src/server/app.ts) and every route module
 * (src/server/routes/*.ts): a route is declared once, with zod schemas for its parameters,
 * query, body and responses, and that one declaration both validates the request and becomes
 * its part of the OpenAPI 3.1 document (zod's toJSONSchema). Nothing about a route is written
 * twice, so the document cannot drift from what the handler accepts and returns.
 *
 * The error shape is one for every failure (ApiError -> { error: { status, code, message,
 * where?, details? } }); handlers throw ApiError, never send error bodies themselves.
 */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { ExceptionRetries, GatewayContext } from '../flows/context.ts';
import type { MappingProblem } from '../mapping/load.ts';

/** Codes of the one error shape; the status goes with the code. */
export const API_ERROR_CODES = {
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  conflict: 409,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  internal: 500,
  unavailable: 503,
} as const;
export type ApiErrorCode = keyof typeof API_ERROR_CODES;

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** Where in the request: "query.limit", "body.owner", "path.id", "header.authorization". */
    readonly where?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = API_ERROR_CODES[code];
  }
}

/** Who is calling: a configured token (by name) or the DOCKGATE_API_TOKEN one. */
export interface Principal {
  /** The token's name from configuration ("env" for DOCKGATE_API_TOKEN). Never the token itself. */
  name: string;
  access: 'read-only' | 'read-write';
  /** Buyer personal data (names, addresses, phones in raw 940s and orders) shown only when true. */
  buyerData: boolean;
}

/** One scheduled task of the running gateway, as the flows endpoint shows it. */
export interface FlowTaskStatus {
  /** The scheduler's task name: "orders:acme", "files:reno-wms", "checks", "not-picked-up:reno-wms", "channels:acme". */
  name: string;
  /** "every 60 s" or the cron expression. */
  schedule: string;
  lastRun: {
    startedAt: string;
    finishedAt: string;
    outcome: 'ran' | 'skipped-overlap' | 'skipped-locked' | 'failed';
    /** Summed counts of the run's flow summaries. */
    counts: Record<string, number>;
    failed: number;
    error?: string;
  } | null;
  nextRunAt: string | null;
  running: boolean;
}

/** What a mapping reload found and did. */
export interface MappingReload {
  loadedAt: string;
  problems: Array<{ file: string; line: number; column?: number; message: string }>;
  /** Partners and sellers in use after the reload (a file with problems keeps its last good version). */
  partners: string[];
  sellers: string[];
  /** Partners or sellers added or removed by the edit: they take effect at the next restart. */
  restartNeeded: string[];
}

/** The running gateway's handles the API needs; null under `dockgate serve` (no gateway runs). */
export interface GatewayControl {
  tasks(): FlowTaskStatus[];
  /** Run one task now (ApiError not-found / conflict when unknown / already running). */
  runNow(name: string): Promise<FlowTaskStatus>;
}

/** The Prometheus endpoint's source (src/metrics). */
export interface MetricsEndpoint {
  contentType: string;
  render(): Promise<string>;
}

export interface ApiDeps {
  /**
   * The gateway's context: store, mappings (ctx.mappings is swapped by a reload), adapters,
   * transports, clock, log. Under `dockgate serve` a context over the same data directory and
   * mappings (exceptions retry works there too, as `dockgate exceptions retry` does).
   */
  ctx: GatewayContext;
  control: GatewayControl | null;
  /** What `exceptions retry` does per kind (src/gateway/retries.ts allRetries(flows)). */
  retries: ExceptionRetries;
  /** The problems of the last mapping load. */
  mappingProblems(): MappingProblem[];
  /** Load the mappings folder again; files that load replace theirs in ctx.mappings. */
  reloadMappings(): Promise<MappingReload>;
  metrics: MetricsEndpoint;
  /** The data directory (for the readiness check's write probe). */
  dataDir: string;
}

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** What a handler gets: the validated, typed request parts. */
export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal;
  deps: ApiDeps;
  req: Request;
  res: Response;
}

/** A handler's answer: JSON with a status, or raw text (text/csv, text/plain). */
export type RouteResult = { status?: number; json: unknown } | { status?: number; text: string; contentType: string; filename?: string };

// biome-ignore lint: the schemas are any zod type
type Schema = z.ZodType<any, any>;

export interface RouteDefinition<P extends Schema = Schema, Q extends Schema = Schema, B extends Schema = Schema> {
  method: HttpMethod;
  /** OpenAPI style, under /api/v1: "/messages/{id}". */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  params?: P;
  query?: Q;
  body?: B;
  /** Response schemas by status; a text response is { contentType, description } instead. */
  responses: Record<number, { description: string; schema?: Schema; contentType?: string }>;
  /** GET defaults to read; every other method to write (a read-only token gets 403). */
  access?: 'read' | 'write';
  handler(input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>): Promise<RouteResult> | RouteResult;
}

/** Declare a route (typed by its schemas). */
export function defineRoute<P extends Schema, Q extends Schema, B extends Schema>(route: RouteDefinition<P, Q, B>): RouteDefinition {
  return route as unknown as RouteDefinition;
}

/** A route module: its routes and the named schemas they share (components.schemas). */
export interface RouteModule {
  name: string;
  routes: RouteDefinition[];
  /** Named schemas this module's responses use by reference (zod schemas registered by name). */
  schemas?: Record<string, Schema>;
}

/** Cursor names where the gateway records what the API and `dockgate serve` show across processes. */
export const CURSORS = {
  /** JSON FlowTaskStatus['lastRun'] of a task, written after each run. */
  taskRun: (task: string) => `task-run:${task}`,
  /** JSON { lastOkAt, lastErrorAt?, lastError? } of a partner's transport connection. */
  partnerConnection: (partner: string) => `partner-connection:${partner}`,
  /** JSON { refreshedAt, expiresAt, lastErrorAt?, lastError? } of a seller's LWA access token. */
  amazonToken: (seller: string) => `amazon-token:${seller}`,
} as const;
