/**
 * What `dockgate start` runs with, resolved once: command-line flags over environment
 * variables over dockgate.yaml's `gateway:` section over the defaults. Every mistake is a
 * ConfigError (exit 2) that names the flag, the variable or the file's key.
 */
import { resolve } from 'node:path';
import { ConfigError, type LoadedConfig } from '../config/config.ts';
import { DEFAULT_SETTINGS, type GatewaySettings } from '../flows/context.ts';
import type { PartnerFile } from '../mapping/schema.ts';
import { apiTokens, type ApiToken } from '../server/auth.ts';

/** What the command line gave (undefined: not given). */
export interface GatewayFlags {
  mappings?: string;
  amazonEndpoint?: string;
  amazonTimeScale?: string;
  partnerRoot?: string;
  pollSeconds?: string;
}

export interface AmazonEndpoint {
  /** As given, for messages. */
  url: string;
  host: string;
  port: number;
}

/** Every N seconds, or a node-cron expression. */
export type ScheduleSpec = { seconds: number } | { cron: string };

export interface GatewayConfig {
  dataDir: string;
  storeKey?: string;
  retentionDays: number;
  /** PostgreSQL instead of SQLite (LoadedConfig.databaseUrl). */
  databaseUrl?: string;
  storePoolSize?: number;
  mappingsDir: string;
  /** null: every partner / seller of the mappings. */
  partners: string[] | null;
  sellers: string[] | null;
  amazon: {
    /** The global override (flag, env or file), when any. */
    endpoint: AmazonEndpoint | null;
    perSeller: Record<string, AmazonEndpoint>;
    timeScale: number;
  };
  /** Every partner's transport a directory at <partnerRoot>/<partner id>. */
  partnerRoot: string | null;
  schedules: {
    orders: ScheduleSpec;
    checks: ScheduleSpec;
    /** Per partner, when set; else the partner file's transport.pollSeconds. */
    partners: Record<string, ScheduleSpec>;
    /** --poll-seconds / DOCKGATE_POLL_SECONDS: every poll (orders and files) at this interval. */
    pollSeconds: number | null;
  };
  settings: GatewaySettings;
  workers: number;
  maxAttempts: number;
}

/**
 * The seller order poll: SP-API searchOrders is published at 0.0056 requests per second with a
 * burst of 20 — one request every ~180 s sustained. A poll every 120 s takes one request per
 * marketplace page, which the burst absorbs, and the adapter's bucket keeps us under the rate.
 */
export const DEFAULT_ORDER_POLL_SECONDS = 120;
export const DEFAULT_CHECK_SECONDS = 60;
export const DEFAULT_WORKERS = 4;
export const DEFAULT_MAX_ATTEMPTS = 10;

/**
 * Amazon's own hosts (SP-API, its sandbox, LWA): anything under amazon.<tld> or amazonaws.com.
 * A time scale against them would send requests faster than Amazon allows.
 */
export function isAmazonHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return /(^|\.)amazon(\.[a-z]{2,3}){1,2}$/.test(h) || /(^|\.)amazonaws\.com(\.cn)?$/.test(h) || /(^|\.)amazonservices\.com$/.test(h);
}

/** http://host:port as the adapter takes it (it speaks plain HTTP to an override: an emulator, a local proxy). */
export function parseEndpoint(text: string, where: string): AmazonEndpoint {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${where}: ${JSON.stringify(text)} is not a URL; give http://host:port (e.g. http://127.0.0.1:8787 for dockgate sandbox amazon)`);
  }
  if (url.protocol !== 'http:') throw new ConfigError(`${where}: ${JSON.stringify(text)}: only http://host:port is supported (the override speaks plain HTTP to an emulator or a local proxy)`);
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(`${where}: ${JSON.stringify(text)}: give only http://host:port (no path, query or credentials)`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { url: text, host, port: url.port ? Number(url.port) : 80 };
}

function positiveNumber(text: string, where: string, integer: boolean, max: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)) || n > max) {
    throw new ConfigError(`${where} must be a positive ${integer ? 'whole ' : ''}number up to ${max}, got ${JSON.stringify(text)}`);
  }
  return n;
}

const spec = (v: number | string): ScheduleSpec => (typeof v === 'number' ? { seconds: v } : { cron: v });

/** Resolve the gateway's configuration. `env` and `cwd` default to the process's. */
export function resolveGatewayConfig(loaded: LoadedConfig, flags: GatewayFlags = {}, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): GatewayConfig {
  const g = loaded.config.gateway ?? {};
  const base = loaded.base ?? cwd;
  const fileName = loaded.file ?? 'dockgate.yaml';
  // A flag or variable is relative to where the command runs; a file value to the file's folder.
  const pick = (flag: string | undefined, envName: string): { value: string; where: string } | undefined => {
    if (flag !== undefined) return { value: flag, where: `--${envName.replace(/^DOCKGATE_/, '').toLowerCase().replace(/_/g, '-')}` };
    const e = env[envName];
    if (e !== undefined && e !== '') return { value: e, where: envName };
    return undefined;
  };

  const m = pick(flags.mappings, 'DOCKGATE_MAPPINGS');
  const mappingsDir = m ? resolve(cwd, m.value) : resolve(base, g.mappings ?? 'mappings');

  const e = pick(flags.amazonEndpoint, 'DOCKGATE_AMAZON_ENDPOINT');
  const endpoint = e ? parseEndpoint(e.value, e.where) : g.amazon?.endpoint ? parseEndpoint(g.amazon.endpoint, `${fileName}: gateway.amazon.endpoint`) : null;
  const perSeller: Record<string, AmazonEndpoint> = {};
  for (const [seller, o] of Object.entries(g.amazon?.perSeller ?? {})) perSeller[seller] = parseEndpoint(o.endpoint, `${fileName}: gateway.amazon.perSeller.${seller}.endpoint`);

  const t = pick(flags.amazonTimeScale, 'DOCKGATE_AMAZON_TIME_SCALE');
  const timeScale = t ? positiveNumber(t.value, t.where, false, 100_000) : (g.amazon?.timeScale ?? 1);
  const timeScaleWhere = t?.where ?? `${fileName}: gateway.amazon.timeScale`;
  if (timeScale !== 1) {
    // Every endpoint a seller may use must point away from Amazon; which sellers lack one is
    // known once the mappings are loaded (checkTimeScale).
    const all = [...(endpoint ? [endpoint] : []), ...Object.values(perSeller)];
    if (all.length === 0) throw new ConfigError(`${timeScaleWhere} ${timeScale}: refused without an endpoint override (--amazon-endpoint): a time scale against Amazon's own hosts would break its quotas`);
    const toAmazon = all.find((x) => isAmazonHost(x.host));
    if (toAmazon) throw new ConfigError(`${timeScaleWhere} ${timeScale}: refused: the endpoint ${toAmazon.url} is one of Amazon's own hosts, whose quotas do not run faster`);
  }

  const r = pick(flags.partnerRoot, 'DOCKGATE_PARTNER_ROOT');
  const partnerRoot = r ? resolve(cwd, r.value) : null;

  const p = pick(flags.pollSeconds, 'DOCKGATE_POLL_SECONDS');
  const pollSeconds = p ? positiveNumber(p.value, p.where, true, 86_400) : null;

  const partners: Record<string, ScheduleSpec> = {};
  for (const [id, v] of Object.entries(g.schedules?.partners ?? {})) partners[id] = spec(v);

  const settings: GatewaySettings = { ...DEFAULT_SETTINGS };
  for (const k of Object.keys(DEFAULT_SETTINGS).concat('notPickedUpMinutes') as Array<keyof GatewaySettings>) {
    const v = (g as Record<string, unknown>)[k];
    if (typeof v === 'number') (settings as unknown as Record<string, number>)[k] = v;
  }

  return {
    dataDir: loaded.dataDir,
    storeKey: loaded.storeKey,
    retentionDays: loaded.config.store.retentionDays,
    ...(loaded.databaseUrl && { databaseUrl: loaded.databaseUrl, storePoolSize: loaded.config.store.postgres?.poolSize }),
    mappingsDir,
    partners: g.partners ?? null,
    sellers: g.sellers ?? null,
    amazon: { endpoint, perSeller, timeScale },
    partnerRoot,
    schedules: { orders: spec(g.schedules?.orders ?? DEFAULT_ORDER_POLL_SECONDS), checks: spec(g.schedules?.checks ?? DEFAULT_CHECK_SECONDS), partners, pollSeconds },
    settings,
    workers: g.workers ?? DEFAULT_WORKERS,
    maxAttempts: g.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  };
}

/** The endpoint a seller's calls go to (a per-seller override wins over the global one), or null: Amazon itself. */
export function endpointFor(config: GatewayConfig, seller: string): AmazonEndpoint | null {
  return config.amazon.perSeller[seller] ?? config.amazon.endpoint;
}

/** With a time scale, every active seller must have an endpoint override (checked once the sellers are known). */
export function checkTimeScale(config: GatewayConfig, sellers: string[]): void {
  if (config.amazon.timeScale === 1) return;
  const without = sellers.filter((s) => !endpointFor(config, s));
  if (without.length) {
    throw new ConfigError(`--amazon-time-scale ${config.amazon.timeScale}: refused: seller(s) ${without.join(', ')} have no endpoint override and would call Amazon's own hosts, whose quotas do not run faster`);
  }
}

/** How often a partner's files are polled: --poll-seconds, else gateway.schedules.partners, else the partner file. */
export function partnerSchedule(config: GatewayConfig, partner: PartnerFile): ScheduleSpec {
  if (config.schedules.pollSeconds) return { seconds: config.schedules.pollSeconds };
  return config.schedules.partners[partner.id] ?? { seconds: partner.transport.pollSeconds };
}

export function orderSchedule(config: GatewayConfig): ScheduleSpec {
  return config.schedules.pollSeconds ? { seconds: config.schedules.pollSeconds } : config.schedules.orders;
}

/** The active ones of the mappings: the configured list (unknown ids are a ConfigError), else all. */
export function activeIds(kind: 'partner' | 'seller', configured: string[] | null, known: Iterable<string>): string[] {
  const all = [...known];
  if (!configured) return all;
  const unknown = configured.filter((id) => !all.includes(id));
  if (unknown.length) throw new ConfigError(`gateway.${kind}s: no ${kind} ${unknown.join(', ')} in the mappings (known: ${all.join(', ') || 'none'})`);
  return configured;
}

/** The API and dashboard's socket and who may call them (`dockgate start` and `dockgate serve`). */
export interface HttpFlags {
  httpPort?: string;
  httpHost?: string;
}

export interface HttpConfig {
  host: string;
  /** null: do not listen (`dockgate start` without a port anywhere). 0: a free port. */
  port: number | null;
  tokens: ApiToken[];
  bodyLimitKb: number;
}

export const DEFAULT_HTTP_HOST = '127.0.0.1';
export const DEFAULT_BODY_LIMIT_KB = 64;
/** `dockgate serve` listens here when no port is given. */
export const DEFAULT_SERVE_PORT = 8740;

/** A host name or an IP literal (IPv6 with or without brackets): what listen() takes. */
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$/;

/**
 * --http-port over DOCKGATE_HTTP_PORT over http.port, else `defaultPort` (null for start: it
 * listens only when asked; 8740 for serve); --http-host over DOCKGATE_HTTP_HOST over http.host
 * over 127.0.0.1. Tokens: api.tokens plus DOCKGATE_API_TOKEN.
 */
export function resolveHttpConfig(loaded: LoadedConfig, flags: HttpFlags, env: NodeJS.ProcessEnv = process.env, defaultPort: number | null = null): HttpConfig {
  const fileName = loaded.file ?? 'dockgate.yaml';
  const given = (flag: string | undefined, flagName: string, envName: string) =>
    flag !== undefined ? { value: flag, where: flagName } : env[envName] !== undefined && env[envName] !== '' ? { value: env[envName]!, where: envName } : undefined;
  const p = given(flags.httpPort, '--http-port', 'DOCKGATE_HTTP_PORT');
  let port: number | null = loaded.config.http?.port ?? defaultPort;
  if (p) {
    const n = Number(p.value);
    if (!/^\d+$/.test(p.value.trim()) || !Number.isInteger(n) || n < 0 || n > 65_535) throw new ConfigError(`${p.where} must be a port number from 0 to 65535 (0: a free port), got ${JSON.stringify(p.value)}`);
    port = n;
  }
  const h = given(flags.httpHost, '--http-host', 'DOCKGATE_HTTP_HOST');
  const host = h ? h.value.trim() : (loaded.config.http?.host ?? DEFAULT_HTTP_HOST);
  if (!HOST.test(host)) throw new ConfigError(`${h?.where ?? `${fileName}: http.host`} must be a host name or an IP address (127.0.0.1, 0.0.0.0, ::1), got ${JSON.stringify(host)}`);
  return {
    host: host.replace(/^\[(.*)\]$/, '$1'),
    port,
    tokens: apiTokens(loaded.config.api?.tokens ?? [], env),
    bodyLimitKb: loaded.config.api?.bodyLimitKb ?? DEFAULT_BODY_LIMIT_KB,
  };
}
