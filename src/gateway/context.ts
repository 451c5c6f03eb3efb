/**
 * The GatewayContext `dockgate start` runs the flows with, built from configuration: the
 * mappings, the store, one Amazon adapter per seller (one quota registry for the process, the
 * endpoint override and time scale), one transport per partner (SFTP with its pinned host key,
 * a directory, or a directory under --partner-root), a JSON logger and this process's lease id.
 *
 * Adapters and transports are made on first use and not kept when making them fails: a seller
 * whose credentials are missing (AmazonConfigError) or a partner whose server refuses us is
 * tried again at the next cycle, while the others run.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { adapterForSeller, AmazonConfigError, QuotaRegistry, type AmazonAdapter } from '../amazon/index.ts';
import { realGatewayClock, type GatewayClock, type GatewayContext } from '../flows/context.ts';
import type { Mappings } from '../mapping/load.ts';
import { instrumentStore } from '../metrics/instrument-store.ts';
import { GatewayMetrics } from '../metrics/registry.ts';
import { recordPartnerConnection, recordTokenRefresh } from '../metrics/status-cursors.ts';
import type { PartnerFile } from '../mapping/schema.ts';
import { openStore } from '../store/index.ts';
import type { GatewayStore } from '../store/work.ts';
import { DirectoryTransport } from '../transport/directory.ts';
import { SftpTransport, sftpOptionsFromMapping } from '../transport/sftp.ts';
import { TransportError, type Transport } from '../transport/transport.ts';
import { endpointFor, type GatewayConfig } from './config.ts';

/**
 * Fields a log line must never show: credentials (adapter options, SFTP settings), and buyer
 * personal data should a flow pass an order or address by mistake.
 */
export const REDACT_PATHS = [
  'password',
  'privateKey',
  'passphrase',
  'clientSecret',
  'refreshToken',
  'accessToken',
  'storeKey',
  'credentials',
  'authorization',
  '*.password',
  '*.privateKey',
  '*.clientSecret',
  '*.refreshToken',
  '*.accessToken',
  '*.credentials',
  '*.authorization',
  'headers.authorization',
  'headers["x-amz-access-token"]',
  'address',
  '*.address',
  'buyer',
  '*.buyer',
  'shipTo',
  '*.shipTo',
  'recipient',
  '*.recipient',
];

/** The gateway's logger: JSON lines on stdout (or the given stream), secrets censored. */
export function gatewayLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.DOCKGATE_LOG_LEVEL ?? 'info',
      base: { pid: process.pid, host: hostname() },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    (options.destination ?? process.stdout) as pino.DestinationStream,
  );
}

/** host:pid:random — unique for this process among instances sharing a store. */
export function newInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/**
 * The adapter's production guard takes the partner whose documents cause the calls; a seller's
 * calls serve every partner listing it, so its adapter may reach Amazon's production hosts only
 * when all of them are in production (any test partner among them keeps it off).
 */
export function sellerUsage(mappings: Mappings, seller: string): Pick<PartnerFile, 'usage'> {
  const partners = [...mappings.partners.values()].filter((p) => p.sellers.includes(seller));
  return { usage: partners.length > 0 && partners.every((p) => p.usage === 'production') ? 'production' : 'test' };
}

/** The transport a partner's files move through, unconnected: --partner-root wins over the partner file. */
export function transportFor(config: GatewayConfig, mappingsDir: string, partner: PartnerFile, env: NodeJS.ProcessEnv = process.env): Transport {
  const t = partner.transport;
  if (config.partnerRoot) {
    const root = join(config.partnerRoot, partner.id);
    // The partner's own directory names under its root, made if missing (a fresh sandbox).
    for (const d of [t.directories.inbound, t.directories.outbound, t.directories.archive]) {
      if (d) mkdirSync(join(root, d.replace(/^\/+/, '')), { recursive: true });
    }
    return new DirectoryTransport(root);
  }
  if (t.type === 'directory') return new DirectoryTransport(isAbsolute(t.path) ? t.path : resolve(mappingsDir, t.path));
  return new SftpTransport(sftpOptionsFromMapping(t, env));
}

export interface BuiltContext {
  ctx: GatewayContext;
  /** Close adapters, transports and the store. */
  close(): Promise<void>;
}

export interface ContextOptions {
  mappings: Mappings;
  log: Logger;
  clock?: GatewayClock;
  env?: NodeJS.ProcessEnv;
  instanceId?: string;
  readOnly?: boolean;
}

export function buildGatewayContext(config: GatewayConfig, options: ContextOptions): BuiltContext {
  const env = options.env ?? process.env;
  const { mappings, log } = options;
  const rawStore = openStore({ dataDir: config.dataDir, encryptionKey: config.storeKey, retentionDays: config.retentionDays, readOnly: options.readOnly, databaseUrl: config.databaseUrl, poolSize: config.storePoolSize }) as unknown as GatewayStore;
  const clock = options.clock ?? realGatewayClock;
  // One registry per process; the business counters are counted where the flows write.
  const metrics = new GatewayMetrics(clock);
  const store = instrumentStore(rawStore, metrics);
  // Status cursors are for readyz and the partners API; a read-only store (`dockgate serve`) makes no calls to record.
  const cursorsWritable = !options.readOnly;
  // One set of buckets for every instance on this store: every seller's calls count against its
  // own quota however many flows (orders, confirmations, listings) and instances make them at
  // once. A read-only store (`dockgate serve`) cannot take tokens: its buckets stay in the process.
  const sharedQuota = options.readOnly
    ? undefined
    : { repo: rawStore.work.quota, onError: (error: unknown, what: { seller: string; operation: string; write: string }) => log.warn({ event: 'quota-store-error', ...what, err: error }, `shared quota ${what.write} failed for ${what.seller} ${what.operation}`) };
  const quota = new QuotaRegistry(config.amazon.timeScale, undefined, sharedQuota);
  const adapters = new Map<string, AmazonAdapter>();
  const transports = new Map<string, Promise<Transport>>();
  const connected = new Map<string, Transport>();

  const ctx: GatewayContext = {
    mappings,
    mappingsDir: config.mappingsDir,
    store,
    amazon(seller) {
      const existing = adapters.get(seller);
      if (existing) return existing;
      const file = mappings.sellers.get(seller);
      if (!file) throw new AmazonConfigError(`seller ${seller}: no seller file with this id in ${config.mappingsDir}`);
      const endpoint = endpointFor(config, seller);
      const adapter = adapterForSeller(
        file,
        sellerUsage(mappings, seller),
        {
          ...(endpoint && { endpoint: { host: endpoint.host, port: endpoint.port } }),
          timeScale: config.amazon.timeScale,
          quota,
          onEvent: (e) => log.info({ event: `amazon-${e.type}`, ...e }, `amazon ${e.type} ${e.operation}`),
          observer: {
            call: (e) => metrics.spapiCall(e),
            tokenRefresh: (e) => {
              metrics.tokenRefresh(e);
              if (cursorsWritable) recordTokenRefresh(ctx, e);
            },
          },
        },
        env,
      );
      adapters.set(seller, adapter);
      log.info({ event: 'seller-ready', seller, endpoint: endpoint?.url ?? 'amazon' }, `seller ${seller}: SP-API via ${endpoint?.url ?? "Amazon's hosts"}`);
      return adapter;
    },
    transport(partner) {
      let pending = transports.get(partner);
      if (pending) return pending;
      pending = (async () => {
        const file = mappings.partners.get(partner);
        if (!file) throw new TransportError(`partner ${partner}: no partner file with this id in ${config.mappingsDir}`, 'not-found');
        let t: Transport;
        try {
          // A transport that cannot even be made (its key file missing) is a failed connection too.
          t = transportFor(config, config.mappingsDir, file, env);
          await t.connect();
        } catch (e) {
          metrics.transportConnection(partner, false);
          if (cursorsWritable) await recordPartnerConnection(ctx, partner, e as Error);
          throw e;
        }
        metrics.transportConnection(partner, true);
        if (cursorsWritable) await recordPartnerConnection(ctx, partner, null);
        connected.set(partner, t);
        log.info({ event: 'partner-connected', partner, transport: t.describe }, `partner ${partner}: connected to ${t.describe}`);
        return t;
      })();
      // A failed connect is not kept: the next cycle connects again.
      pending.catch(() => transports.delete(partner));
      transports.set(partner, pending);
      return pending;
    },
    clock,
    log,
    settings: config.settings,
    instanceId: options.instanceId ?? newInstanceId(),
    metrics,
  };
  metrics.watchStore({ store: rawStore, mappings: () => ctx.mappings });

  return {
    ctx,
    async close() {
      for (const a of adapters.values()) a.close();
      for (const [partner, t] of connected) {
        await t.disconnect().catch((e: Error) => log.warn({ event: 'partner-disconnect-failed', partner, err: e.message }, 'disconnect failed'));
      }
      await rawStore.close();
    },
  };
}
