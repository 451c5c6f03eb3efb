/**
 * A running gateway for the browser tests, as an operator runs it: the real binary
 * (`dockgate start --http-port 0`) against the SP-API emulator in this process, the warehouse
 * simulator playing reno-wms over the --partner-root directories (stepping on its own, as a
 * warehouse would), a temporary copy of mappings/ the test may edit, DOCKGATE_API_TOKEN for a
 * read-write token and a read-only one from the config file (hashed, as configuration holds it).
 * The URL comes from the one JSON line the gateway prints once listening.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMappings } from '../../src/mapping/load.ts';
import type { Seed } from '../../src/sandbox/amazon/state.ts';
import { AmazonEmulator } from '../../src/sandbox/amazon/emulator.ts';
import { WarehouseSimulator } from '../../src/sandbox/warehouse/index.ts';
import { MAPPINGS, root, SELLER_ENV, sampleSeed } from '../flows/harness.ts';

const BIN = join(root, 'bin/dockgate.js');

/** Poll `check` until it gives a value (not null / undefined / false); the last failure is in the error. */
export async function until<T>(what: string, check: () => Promise<T | null | undefined | false> | T | null | undefined | false, options: { timeoutMs?: number; everyMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let last: unknown = null;
  for (;;) {
    try {
      const v = await check();
      if (v !== null && v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, options.everyMs ?? 250));
  }
}

export interface RunningGateway {
  url: string;
  /** Read-write (DOCKGATE_API_TOKEN, principal "env"). */
  token: string;
  /** Read-only, from api.tokens in the config (principal "viewer"). */
  readOnlyToken: string;
  emulator: AmazonEmulator;
  /** Order ids the warehouse took in a ship-order file so far. */
  warehouseOrders: Set<string>;
  /** What the warehouse's own cycles found wrong (files it could not read, orders it could not map). */
  warehouseProblems: string[];
  /**
   * The warehouse reads the mappings again (after the test edited the SKU table): a 3PL knows
   * the item it stocks; the simulator learns a seller's new SKU from the table, as the gateway
   * does. Its saved state carries on.
   */
  reloadWarehouse(): Promise<void>;
  /** The temporary copy of mappings/ the gateway reads. */
  mappingsDir: string;
  partnerRoot: string;
  /** Everything the gateway printed (JSON log lines). */
  output(): string;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startGateway(options: { orders?: number } = {}): Promise<RunningGateway> {
  const seed: Seed = sampleSeed();
  // Only the orders the test makes: what the pages show is then the test's own doing.
  for (const s of seed.sellers) s.orders = [];
  const emulator = new AmazonEmulator({ seed, timeScale: 100 });
  emulator.generateOrders('acme', { count: options.orders ?? 3, sku: 'TSHIRT-RED-M' });
  const port = await emulator.start();
  const work = mkdtempSync(join(tmpdir(), 'dockgate-dashboard-'));
  const mappingsDir = join(work, 'mappings');
  cpSync(MAPPINGS, mappingsDir, { recursive: true });
  const partnerRoot = join(work, 'partners');
  const token = randomBytes(24).toString('base64url');
  const readOnlyToken = randomBytes(24).toString('base64url');
  const sha = createHash('sha256').update(readOnlyToken).digest('hex');
  const config = join(work, 'dockgate.yaml');
  // Checks (and so health sampling) every 5 s; the simulator renames its files into place, so
  // the inbound step's two looks need not be seconds apart.
  writeFileSync(
    config,
    ['gateway:', '  secondLookMs: 300', '  schedules:', '    checks: 5', 'api:', '  tokens:', `    - { name: viewer, sha256: ${sha}, access: read-only, buyerData: false }`, ''].join('\n'),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, ...SELLER_ENV, DOCKGATE_DATA_DIR: join(work, 'data'), DOCKGATE_LOG_LEVEL: 'info', DOCKGATE_API_TOKEN: token };
  delete env.DOCKGATE_STORE_KEY;
  delete env.DOCKGATE_CONFIG;
  delete env.DOCKGATE_HTTP_PORT;
  const args = [BIN, 'start', '--config', config, '--http-port', '0', '--poll-seconds', '1', '--mappings', mappingsDir, '--partner-root', partnerRoot, '--amazon-endpoint', `http://127.0.0.1:${port}`, '--amazon-time-scale', '100'];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let url: string | null = null;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    }),
  );
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const l of lines) {
      if (!l.startsWith('{') || url) continue;
      try {
        const j = JSON.parse(l) as { event?: string; url?: string };
        if (j.event === 'listening' && j.url) url = j.url.replace(/\/$/, '');
      } catch {
        // Not a JSON line: nothing to read here.
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));

  const simulator = () => new WarehouseSimulator({ mappings: loadMappings(mappingsDir).mappings, partner: 'reno-wms', root: partnerRoot, shipAfterSeconds: 0, inventoryEverySeconds: 60, seed: 11 });
  const warehouseOrders = new Set<string>();
  const warehouseProblems: string[] = [];
  // The warehouse works on its own, as a 3PL does: a cycle, then the next one shortly after.
  const stepLoop = (warehouse: WarehouseSimulator) => {
    const loop = { running: true, done: Promise.resolve() };
    loop.done = (async () => {
      while (loop.running) {
        try {
          const r = await warehouse.step();
          for (const id of r.ordersReceived) warehouseOrders.add(id);
          warehouseProblems.push(...r.problems);
        } catch {
          // The directories appear once the gateway has connected: the next cycle finds them.
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    return loop;
  };
  let stepper = stepLoop(simulator());

  const stopAll = async () => {
    stepper.running = false;
    await stepper.done;
    if (!exited) child.kill('SIGTERM');
    const r = await exit;
    await emulator.stop();
    rmSync(work, { recursive: true, force: true });
    return r;
  };

  try {
    await until('the listening JSON line', () => {
      if (exited) throw new Error(`the gateway exited (${exited.code ?? exited.signal}): ${err}\n${out.slice(-3000)}`);
      return url;
    });
  } catch (e) {
    await stopAll();
    throw e;
  }
  const base = url!;
  return {
    url: base,
    token,
    readOnlyToken,
    emulator,
    warehouseOrders,
    warehouseProblems,
    async reloadWarehouse() {
      stepper.running = false;
      await stepper.done;
      stepper = stepLoop(simulator());
    },
    mappingsDir,
    partnerRoot,
    output: () => out + err,
    async api(method, path, body) {
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // CSV or text: kept as it came.
      }
      return { status: res.status, body: parsed };
    },
    stop: stopAll,
  };
}
