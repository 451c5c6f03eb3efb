/**
 * A gateway context over real parts for the flow tests: the SP-API emulator (seeded with the
 * sample sellers) reached through the real amazon-sp-api client, a SQLite store in a temporary
 * data directory, each partner of mappings/ behind a directory transport at <root>/<partner>
 * (its own directory names under it), a clock the test moves, and a logger that keeps lines.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { adapterForSeller, type AmazonAdapter } from '../../src/amazon/index.ts';
import { DEFAULT_SETTINGS, PermanentError, type GatewayClock, type GatewayContext, type GatewaySettings } from '../../src/flows/context.ts';
import { handlers as deliveryHandlers } from '../../src/flows/outbox-delivery.ts';
import { loadMappings, type Mappings } from '../../src/mapping/load.ts';
import { instrumentStore } from '../../src/metrics/instrument-store.ts';
import { GatewayMetrics } from '../../src/metrics/registry.ts';
import { recordTokenRefresh } from '../../src/metrics/status-cursors.ts';
import { AmazonEmulator, type EmulatorOptions } from '../../src/sandbox/amazon/emulator.ts';
import { loadSeed, type Seed } from '../../src/sandbox/amazon/state.ts';
import { openStore } from '../../src/store/index.ts';
import type { GatewayStore } from '../../src/store/work.ts';
import { DirectoryTransport } from '../../src/transport/directory.ts';
import type { Transport } from '../../src/transport/transport.ts';

export const root = resolve(import.meta.dirname, '../..');
export const MAPPINGS = join(root, 'mappings');
export const sampleSeed = (): Seed => loadSeed(join(root, 'samples/sandbox/amazon-seed.yaml'));

/** Credentials the sample seller files name; the emulator accepts any well-formed refresh token. */
export const SELLER_ENV: NodeJS.ProcessEnv = {
  ACME_LWA_CLIENT_ID: 'amzn1.application-oa2-client.test',
  ACME_LWA_CLIENT_SECRET: 'test-secret',
  ACME_LWA_REFRESH_TOKEN: 'Atzr|acme-sandbox-refresh-token',
  NORTHWIND_LWA_CLIENT_ID: 'amzn1.application-oa2-client.test',
  NORTHWIND_LWA_CLIENT_SECRET: 'test-secret',
  NORTHWIND_LWA_REFRESH_TOKEN: 'Atzr|northwind-sandbox-refresh-token',
};

/** Time that moves only when the test says (or a flow sleeps). */
export class TestClock implements GatewayClock {
  constructor(private t = Date.parse('2026-11-02T12:00:00Z')) {}
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
  }
}

export interface Harness {
  ctx: GatewayContext;
  emulator: AmazonEmulator;
  clock: TestClock;
  store: GatewayStore;
  mappings: Mappings;
  /** <root>/<partner>: the partner's side of the exchange, with its directories created. */
  partnerRoot: string;
  partnerDir(partner: string, which: 'inbound' | 'outbound' | 'archive'): string;
  dataDir: string;
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  seed?: Seed;
  emulator?: Partial<EmulatorOptions>;
  mappingsDir?: string;
  settings?: Partial<GatewaySettings>;
  clock?: TestClock;
  /** Another harness's data directory: a restart over the same store. */
  dataDir?: string;
  partnerRoot?: string;
  env?: NodeJS.ProcessEnv;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const mappingsDir = options.mappingsDir ?? MAPPINGS;
  const loaded = loadMappings(mappingsDir);
  if (loaded.problems.length) throw new Error(`mappings in ${mappingsDir}: ${loaded.problems.map((p) => p.message).join('; ')}`);
  const mappings = loaded.mappings;
  const clock = options.clock ?? new TestClock();
  // The emulator's order times (lastUpdatedTime, when calls arrived) follow the test's clock; its
  // rate limits keep real time (a clock that stands still would never refill a bucket).
  const emulator = new AmazonEmulator({ seed: options.seed ?? sampleSeed(), timeScale: 1000, orderClock: clock, ...options.emulator });
  const port = await emulator.start();
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'dockgate-flow-'));
  const partnerRoot = options.partnerRoot ?? join(dataDir, 'partners');
  const store = openStore({ dataDir, retentionDays: 30 }) as GatewayStore;
  const logs: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, new Writable({ write(chunk, _e, cb) { for (const l of String(chunk).split('\n')) if (l) logs.push(JSON.parse(l)); cb(); } }));
  const dirs = (partner: string) => mappings.partners.get(partner)!.transport.directories;
  for (const id of mappings.partners.keys()) {
    for (const d of Object.values(dirs(id))) if (d) mkdirSync(join(partnerRoot, id, d), { recursive: true });
  }
  const adapters = new Map<string, AmazonAdapter>();
  const transports = new Map<string, Transport>();
  // As buildGatewayContext: the process's metrics, fed by the adapters and the store's writes.
  const metrics = new GatewayMetrics(clock);
  metrics.watchStore({ store, mappings: () => ctx.mappings });
  const ctx: GatewayContext = {
    mappings,
    mappingsDir,
    store: instrumentStore(store, metrics),
    amazon(seller) {
      let a = adapters.get(seller);
      if (!a) {
        const file = mappings.sellers.get(seller);
        if (!file) throw new Error(`no seller ${seller} in the mappings`);
        a = adapterForSeller(
          file,
          { usage: 'test' },
          {
            endpoint: { port },
            timeScale: 1000,
            timeoutMs: 5000,
            observer: { call: (e) => metrics.spapiCall(e), tokenRefresh: (e) => (metrics.tokenRefresh(e), recordTokenRefresh(ctx, e)) },
          },
          { ...SELLER_ENV, ...options.env },
        );
        adapters.set(seller, a);
      }
      return a;
    },
    async transport(partner) {
      let t = transports.get(partner);
      if (!t) {
        t = new DirectoryTransport(join(partnerRoot, partner));
        await t.connect();
        transports.set(partner, t);
      }
      return t;
    },
    clock,
    log,
    settings: { ...DEFAULT_SETTINGS, secondLookMs: 0, ...options.settings },
    instanceId: `test:${process.pid}`,
    metrics,
  };
  return {
    ctx,
    emulator,
    clock,
    store,
    mappings,
    partnerRoot,
    partnerDir: (partner, which) => join(partnerRoot, partner, dirs(partner)[which] ?? ''),
    dataDir,
    logs,
    async close() {
      for (const a of adapters.values()) a.close();
      for (const t of transports.values()) await t.disconnect();
      await emulator.stop();
      await store.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * What the runner does with the deliver-file jobs that are ready, once each: the handler, then
 * done, dead (a PermanentError) or later. Flow tests that need no worker's backoff use it.
 */
export async function drainDeliveries(h: Harness): Promise<{ done: number; failed: string[] }> {
  const owner = 'test-worker';
  const out = { done: 0, failed: [] as string[] };
  const now = h.clock.now().toISOString();
  for (const job of await h.store.work.jobs.claim({ owner, now, leaseMs: 60_000, limit: 100, kinds: ['deliver-file'] })) {
    try {
      await deliveryHandlers['deliver-file']!(job, h.ctx);
      await h.store.work.jobs.complete(job.id, owner, now);
      out.done++;
    } catch (e) {
      out.failed.push((e as Error).message);
      if (e instanceof PermanentError) await h.store.work.jobs.fail(job.id, owner, e.message, now);
      else await h.store.work.jobs.retry(job.id, owner, (e as Error).message, now, now);
    }
  }
  return out;
}
