/**
 * A GatewayContext over a real SQLite store in a temporary data directory, without Amazon or
 * partners (the worker and scheduler tests give their own handlers and tasks), a TestClock and
 * a logger that keeps its lines. Two contexts may share one data directory: two instances.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { DEFAULT_SETTINGS, type GatewayContext } from '../../src/flows/context.ts';
import { GatewayMetrics } from '../../src/metrics/registry.ts';
import { openStore } from '../../src/store/index.ts';
import type { GatewayStore } from '../../src/store/work.ts';
import { TestClock } from '../flows/harness.ts';

export interface StoreContext {
  ctx: GatewayContext;
  clock: TestClock;
  logs: Array<Record<string, unknown>>;
  dataDir: string;
  close(): Promise<void>;
}

export function storeContext(options: { dataDir?: string; clock?: TestClock; instanceId?: string } = {}): StoreContext {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'dockgate-gw-'));
  const store = openStore({ dataDir }) as unknown as GatewayStore;
  const clock = options.clock ?? new TestClock();
  const logs: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, new Writable({ write(chunk, _e, cb) { for (const l of String(chunk).split('\n')) if (l) logs.push(JSON.parse(l)); cb(); } }));
  const ctx: GatewayContext = {
    mappings: { sellers: new Map(), skuTables: new Map(), carrierTables: new Map(), partners: new Map(), layouts: new Map(), files: new Map() },
    mappingsDir: '',
    store,
    amazon: () => {
      throw new Error('no Amazon in this test');
    },
    transport: () => Promise.reject(new Error('no partners in this test')),
    clock,
    log,
    settings: { ...DEFAULT_SETTINGS, leaseMs: 60_000 },
    instanceId: options.instanceId ?? `test:${Math.random().toString(36).slice(2, 8)}`,
    metrics: new GatewayMetrics(clock),
  };
  return {
    ctx,
    clock,
    logs,
    dataDir,
    async close() {
      await store.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A promise the test settles. */
export function deferred<T = void>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
}

/** Timers that never fire: a worker whose lease renewal stopped (it crashed), or a scheduler driven by hand. */
export const frozenTimers = {
  setTimeout: ((fn: () => void, ms: number) => setTimeout(fn, ms)) as unknown as typeof setTimeout,
  clearTimeout,
  setInterval: (() => ({ unref() {} }) as unknown as ReturnType<typeof setInterval>) as unknown as typeof setInterval,
  clearInterval: (() => undefined) as typeof clearInterval,
};
