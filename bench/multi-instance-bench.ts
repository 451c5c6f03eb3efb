/**
 * Benchmark: orders/s and confirmations/s with 1, 2 and 3 gateway instances on one PostgreSQL,
 * against one instance on SQLite (issue 13).
 *
 * An instance is a separate process of the real binary, `dockgate start` (long-running, every
 * poll every second), all instances of a configuration sharing one store and one raw-file
 * directory. Work can only be split where the gateway splits it: a seller's order poll and a
 * partner's file poll are each one scheduled task behind a store lock (one instance at a time),
 * while the outbox jobs (deliver-file, confirm-package) are claimed by every instance. So the
 * mappings are K sellers cloned from the sample seller acme, each with its own warehouse cloned
 * from reno-wms (written to a temporary mappings folder), and the orders are spread over them.
 *
 * In this process: the SP-API emulator (the sample seed's acme cloned K times, no seed orders)
 * at a time scale at which SP-API quotas are not what is measured, and one warehouse simulator
 * per partner. Per configuration, on a fresh store and a fresh emulator:
 *   0. the instances start and run their first rounds with nothing to do (start-up, reported
 *      apart, not in the rates);
 *   1. orders/s: N unshipped orders appear at the emulator (generateOrders, N/K per seller) ->
 *      every one of them in a ship-order set in its warehouse's directory (the W05 sets of the
 *      files the instances delivered, read as they appear);
 *   2. confirmations/s: the instances are paused (SIGSTOP) while each simulator takes its ship
 *      orders and writes a shipment advice per order (one package each), then resumed: the time
 *      from the resume to every package confirmed at the emulator.
 * CPU: user + system from /proc of the instances, of PostgreSQL (the postmaster, its reaped
 * children and the live backends) and of this process (emulator, simulators, the bench).
 *
 *   node --import tsx bench/multi-instance-bench.ts [--orders 1800] [--sellers 6] [--time-scale 1000]
 *     [--configs sqlite:1,postgres:1,postgres:2,postgres:3] [--no-write] [--keep]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { loadMappings } from '../src/mapping/load.ts';
import { AmazonEmulator } from '../src/sandbox/amazon/emulator.ts';
import { loadSeed } from '../src/sandbox/amazon/state.ts';
import { WarehouseSimulator } from '../src/sandbox/warehouse/index.ts';
import { PostgresServer, postgresUnavailable } from '../test/store/postgres-server.ts';
import { machine, numberArg, revision, sleep, stopGateway, writeSection } from './results.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const BIN = join(root, 'bin/dockgate.js');
const ordersWanted = numberArg('orders', 1800);
const sellerCount = numberArg('sellers', 6);
/**
 * 1000: searchOrders at 5.6 requests/s with its burst of 20 per seller (a page is 100 orders),
 * confirmShipment at 2,000/s per seller: far above what is measured. The
 * restricted data token (an hour of Amazon's time) lives 3.6 s of real time.
 */
const timeScale = numberArg('time-scale', 1000);
const configs = (() => {
  const i = process.argv.indexOf('--configs');
  const text = i >= 0 ? process.argv[i + 1] : 'sqlite:1,postgres:1,postgres:2,postgres:3';
  return text.split(',').map((c) => {
    const [store, n] = c.split(':');
    if ((store !== 'sqlite' && store !== 'postgres') || !(Number(n) >= 1)) throw new Error(`--configs: ${c} is not sqlite:N or postgres:N`);
    return { store, instances: Number(n) } as Config;
  });
})();
const write = !process.argv.includes('--no-write');
const keep = process.argv.includes('--keep');
/** Longest wait for one phase: a stuck run ends with what it reached, not never. */
const PHASE_LIMIT_MS = 5 * 60_000;
const SKU = 'TSHIRT-RED-M';

interface Config {
  store: 'sqlite' | 'postgres';
  instances: number;
}

interface Cpu {
  instances: number;
  postgres: number;
  bench: number;
  /** Every process of the machine (/proc/stat, busy = all but idle and iowait): the machine may be shared. */
  machine: number;
}

interface Result {
  config: Config;
  startupSeconds: number;
  orders: { seconds: number; delivered: number; twice: number; cpu: Cpu; transactions: number | null };
  confirmations: { seconds: number; confirmed: number; twice: number; stepSeconds: number; cpu: Cpu; transactions: number | null };
  /** What each instance did, from its log (`<event>` counts): how the work was split. */
  split: string;
  /** Set when the configuration did not finish: its error. */
  failedOrError?: string;
}

const sellerIds = Array.from({ length: sellerCount }, (_, i) => `bench-s${i + 1}`);
const partnerOf = (seller: string) => seller.replace('bench-s', 'bench-w');
const refreshTokenEnv = (seller: string) => `${seller.toUpperCase().replace(/-/g, '_')}_LWA_REFRESH_TOKEN`;
const refreshToken = (seller: string) => `Atzr|${seller}-sandbox-refresh-token`;

/**
 * A mappings folder of K sellers, each a copy of acme with its own warehouse, a copy of
 * reno-wms (its own X12 id, listing only that seller); the layouts and tables as they are, a
 * SKU table per seller.
 */
function writeMappings(dir: string): void {
  const source = join(root, 'mappings');
  cpSync(join(source, 'layouts'), join(dir, 'layouts'), { recursive: true });
  mkdirSync(join(dir, 'tables'), { recursive: true });
  mkdirSync(join(dir, 'sellers'), { recursive: true });
  mkdirSync(join(dir, 'partners'), { recursive: true });
  cpSync(join(source, 'tables/carriers-us.yaml'), join(dir, 'tables/carriers-us.yaml'));
  const seller = parseYaml(readFileSync(join(source, 'sellers/acme.yaml'), 'utf8'));
  const skus = parseYaml(readFileSync(join(source, 'tables/acme-skus.yaml'), 'utf8'));
  const partner = parseYaml(readFileSync(join(source, 'partners/reno-wms.yaml'), 'utf8'));
  sellerIds.forEach((id, i) => {
    const p = partnerOf(id);
    writeFileSync(join(dir, 'sellers', `${id}.yaml`), toYaml({ ...seller, id, name: `Bench seller ${i + 1}`, sellingPartnerId: `A1BENCHSELLER${i + 1}`, credentials: { clientIdEnv: 'BENCH_LWA_CLIENT_ID', clientSecretEnv: 'BENCH_LWA_CLIENT_SECRET', refreshTokenEnv: refreshTokenEnv(id) }, skus: `${id}-skus`, warehouse: p }));
    writeFileSync(join(dir, 'tables', `${id}-skus.yaml`), toYaml({ ...skus, id: `${id}-skus`, seller: id }));
    const them = `BENCHW${i + 1}`;
    writeFileSync(join(dir, 'partners', `${p}.yaml`), toYaml({ ...partner, id: p, name: `Bench warehouse ${i + 1}`, x12: { ...partner.x12, them: { ...partner.x12.them, id: them, gsId: them } }, sellers: [id] }));
  });
}

/** The emulator's seed: acme of the sample seed once per bench seller, without its orders, plans, removals or returns. */
function benchSeed() {
  const acme = loadSeed(join(root, 'samples/sandbox/amazon-seed.yaml')).sellers.find((s) => s.id === 'acme')!;
  return {
    sellers: sellerIds.map((id, i) => ({ ...structuredClone(acme), id, sellingPartnerId: `A1BENCHSELLER${i + 1}`, refreshToken: refreshToken(id), orders: [], inboundPlans: [], removalShipments: [], customerReturns: [] })),
  };
}

const TICKS = 100; // USER_HZ: /proc times are in 1/100 s on Linux
/** utime, stime, cutime, cstime and ppid of a process, from /proc/<pid>/stat (null when it is gone). */
function procStat(pid: number): { own: number; reaped: number; ppid: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3 (state): ppid is field 4, utime..cstime fields 14-17.
    return { ppid: Number(f[1]), own: (Number(f[11]) + Number(f[12])) / TICKS, reaped: (Number(f[13]) + Number(f[14])) / TICKS };
  } catch {
    return null;
  }
}

/** CPU seconds of a process tree rooted at a server: itself, its children it reaped, its live children. */
function treeCpu(pid: number): number {
  const top = procStat(pid);
  if (!top) return 0;
  let sum = top.own + top.reaped;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = procStat(Number(name));
    if (s && s.ppid === pid) sum += s.own;
  }
  return sum;
}

/** CPU seconds the whole machine was busy since boot (all cores). */
function machineBusy(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const t = fields.slice(0, 8).map(Number); // user nice system idle iowait irq softirq steal
  return (t.reduce((a, b) => a + b, 0) - t[3] - t[4]) / TICKS;
}

function cpuNow(instances: ChildProcess[], postgresPid: number | null): Cpu {
  const own = process.cpuUsage();
  return {
    instances: instances.reduce((sum, c) => sum + (procStat(c.pid!)?.own ?? 0), 0),
    postgres: postgresPid ? treeCpu(postgresPid) : 0,
    bench: (own.user + own.system) / 1e6,
    machine: machineBusy(),
  };
}

const cpuSince = (a: Cpu, b: Cpu): Cpu => ({ instances: b.instances - a.instances, postgres: b.postgres - a.postgres, bench: b.bench - a.bench, machine: b.machine - a.machine });

/** The ship-order sets the instances delivered so far, read from new files of each warehouse's directory. */
class DeliveredSets {
  private readonly read = new Set<string>();
  readonly times = new Map<string, number>();
  constructor(private readonly dirs: string[]) {}

  scan(): void {
    for (const dir of this.dirs) {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (name.startsWith('.') || this.read.has(path)) continue;
        this.read.add(path);
        // W05-02: the depositor order number, one W05 per 940 set (the 940s here are new orders only).
        for (const m of readFileSync(path, 'latin1').matchAll(/W05\*[A-Z]\*([^*~\r\n]+)/g)) this.times.set(m[1], (this.times.get(m[1]) ?? 0) + 1);
      }
    }
  }

  get twice(): number {
    return [...this.times.values()].filter((n) => n > 1).length;
  }
}

/**
 * Transactions the bench database committed or rolled back so far (pg_stat_database), null on
 * SQLite. Backends report their counts at most about once a second: read after a pause.
 */
async function transactionsSoFar(databaseUrl: string | null): Promise<number | null> {
  if (!databaseUrl) return null;
  await sleep(1500);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const r = await db.query('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()');
    return Number(r.rows[0].n);
  } finally {
    await db.end();
  }
}

async function waitUntil(done: () => boolean, what: string): Promise<void> {
  const until = Date.now() + PHASE_LIMIT_MS;
  while (!done()) {
    if (Date.now() > until) throw new Error(`${what}: not done after ${PHASE_LIMIT_MS / 1000} s`);
    await sleep(100);
  }
}

async function runConfig(config: Config, server: PostgresServer | null, mappingsDir: string): Promise<Result | undefined> {
  const work = mkdtempSync(join(tmpdir(), `dockgate-bench-instances-${config.store}${config.instances}-`));
  const dataDir = join(work, 'data');
  const partnerRoot = join(work, 'partners');
  mkdirSync(dataDir);
  const { mappings, problems } = loadMappings(mappingsDir);
  if (problems.length) throw new Error(`bench mappings: ${problems.map((p) => p.message).join('; ')}`);
  const warehouses = sellerIds.map((s) => new WarehouseSimulator({ mappings, partner: partnerOf(s), root: partnerRoot, shipAfterSeconds: 0, partialShare: 0, splitShare: 0, inventoryEverySeconds: 0, stock: 1e9, seed: 13 }));
  const outbound = sellerIds.map((s) => join(partnerRoot, partnerOf(s), mappings.partners.get(partnerOf(s))!.transport.directories.outbound));
  for (const d of outbound) mkdirSync(d, { recursive: true });
  const emulator = new AmazonEmulator({ seed: benchSeed(), timeScale });
  const port = await emulator.start(0);
  const databaseUrl = server ? await server.migratedDatabase('bench') : null;
  const postgresPid = server ? Number(readFileSync(join(server.base, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]) : null;
  // The simulator renames its files into place: the file poll's two looks need not be seconds apart.
  writeFileSync(join(work, 'dockgate.yaml'), 'gateway:\n  secondLookMs: 300\n');
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_LWA_CLIENT_ID: 'amzn1.application-oa2-client.bench', BENCH_LWA_CLIENT_SECRET: 'bench-secret', DOCKGATE_DATA_DIR: dataDir, DOCKGATE_LOG_LEVEL: 'info' };
  for (const s of sellerIds) env[refreshTokenEnv(s)] = refreshToken(s);
  if (databaseUrl) env.DOCKGATE_DATABASE_URL = databaseUrl;
  else delete env.DOCKGATE_DATABASE_URL;
  delete env.DOCKGATE_STORE_KEY;
  const args = ['start', '--config', join(work, 'dockgate.yaml'), '--mappings', mappingsDir, '--partner-root', partnerRoot, '--amazon-endpoint', `http://127.0.0.1:${port}`, '--amazon-time-scale', String(timeScale), '--poll-seconds', '1'];
  const instances: ChildProcess[] = [];
  const logs: string[] = [];
  let result: Result | undefined;
  const stderrs: string[] = [];
  try {
    // 0. Start-up: every instance scheduled its tasks; then a few rounds with nothing to do.
    const t00 = Date.now();
    const scheduled = Array.from({ length: config.instances }, () => false);
    for (let i = 0; i < config.instances; i++) {
      const logFile = join(work, `instance-${i + 1}.log`);
      logs.push(logFile);
      stderrs.push('');
      const child = spawn(process.execPath, [BIN, ...args], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: string[] = [];
      child.stdout!.on('data', (d: Buffer) => {
        if (!scheduled[i] && d.includes('"task-scheduled"')) scheduled[i] = true;
        out.push(d.toString());
        if (out.length > 2000) writeFileSync(logFile, out.splice(0).join(''), { flag: 'a' });
      });
      child.stdout!.on('end', () => writeFileSync(logFile, out.splice(0).join(''), { flag: 'a' }));
      child.stderr!.on('data', (d: Buffer) => (stderrs[i] = (stderrs[i] + d.toString()).slice(-4000)));
      instances.push(child);
    }
    const alive = () => {
      const gone = instances.findIndex((c) => c.exitCode !== null || c.signalCode !== null);
      if (gone >= 0) throw new Error(`instance ${gone + 1} ended (${instances[gone].exitCode ?? instances[gone].signalCode}): ${stderrs[gone]}`);
      return true;
    };
    await waitUntil(() => alive() && scheduled.every(Boolean), 'start-up');
    const startupSeconds = (Date.now() - t00) / 1000;
    await sleep(3000);
    alive();

    // 1. Orders: N at the emulator -> every one in a set in its warehouse's directory.
    const sets = new DeliveredSets(outbound);
    const x0 = await transactionsSoFar(databaseUrl);
    const c0 = cpuNow(instances, postgresPid);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < sellerIds.length; i++) {
      const count = Math.floor(ordersWanted / sellerIds.length) + (i < ordersWanted % sellerIds.length ? 1 : 0);
      emulator.generateOrders(sellerIds[i], { count, sku: SKU, quantity: 1 });
    }
    await waitUntil(() => {
      alive();
      sets.scan();
      return sets.times.size >= ordersWanted;
    }, `orders (${sets.times.size} of ${ordersWanted} delivered)`);
    const ordersSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const c1 = cpuNow(instances, postgresPid);
    // The pause also lets the instances finish their deliveries' bookkeeping.
    const x1 = await transactionsSoFar(databaseUrl);

    // 2. Confirmations: the advices written while the instances stand still, then every package confirmed.
    for (const c of instances) c.kill('SIGSTOP');
    const s0 = process.hrtime.bigint();
    let packages = 0;
    for (const w of warehouses) {
      const r = await w.step();
      if (r.problems.length) throw new Error(`warehouse ${w.partner.id}: ${r.problems.join('; ')}`);
      packages += r.shipped.reduce((sum, s) => sum + s.packages.length, 0);
    }
    const stepSeconds = Number(process.hrtime.bigint() - s0) / 1e9;
    const confirmed = () => {
      let n = 0;
      for (const id of sellerIds) for (const o of emulator.seller(id)!.orders.values()) n += o.confirmations.length;
      return n;
    };
    const c2 = cpuNow(instances, postgresPid);
    const t1 = process.hrtime.bigint();
    for (const c of instances) c.kill('SIGCONT');
    await waitUntil(() => alive() && confirmed() >= packages, `confirmations (${confirmed()} of ${packages})`);
    const confirmationsSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
    const c3 = cpuNow(instances, postgresPid);
    const x2 = await transactionsSoFar(databaseUrl);
    let twiceConfirmed = 0;
    for (const id of sellerIds) {
      for (const o of emulator.seller(id)!.orders.values()) {
        const tracking = o.confirmations.map((c) => c.trackingNumber);
        if (new Set(tracking).size !== tracking.length) twiceConfirmed++;
      }
    }
    result = {
      config,
      split: '',
      startupSeconds,
      orders: { seconds: ordersSeconds, delivered: sets.times.size, twice: sets.twice, cpu: cpuSince(c0, c1), transactions: x0 === null ? null : x1! - x0 },
      confirmations: { seconds: confirmationsSeconds, confirmed: confirmed(), twice: twiceConfirmed, stepSeconds, cpu: cpuSince(c2, c3), transactions: x1 === null ? null : x2! - x1 },
    };
  } finally {
    for (const c of instances) c.kill('SIGCONT');
    await Promise.all(instances.map((c) => stopGateway(c)));
    await emulator.stop();
    if (result) result.split = splitOf(logs);
    if (keep) process.stderr.write(`kept ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
  return result;
}

/** The log events that show who did what: a 940 built (an order poll with new orders), delivered (a deliver-file job), a warehouse file taken (a file poll), a package confirmed (a confirm-package job). */
const SPLIT_EVENTS = { 'ship-orders-queued': '940s built', 'file-delivered': 'files delivered', 'inbound.taken': 'warehouse files taken', 'package.confirmed': 'packages confirmed' } as const;

function splitOf(logs: string[]): string {
  return logs
    .map((file, i) => {
      const text = readFileSync(file, 'utf8');
      const counts = Object.entries(SPLIT_EVENTS).map(([event, what]) => `${text.split(`"event":"${event}"`).length - 1} ${what}`);
      return `instance ${i + 1}: ${counts.join(', ')}`;
    })
    .join('; ');
}

const label = (c: Config) => `${c.store === 'sqlite' ? 'SQLite' : 'PostgreSQL'}, ${c.instances} instance${c.instances > 1 ? 's' : ''}`;
const cores = cpus().length;
/** Ours, and the rest of the machine's busy time over the same wall time (other work on a shared machine). */
const cpuText = (cpu: Cpu, seconds: number) => {
  const ours = cpu.instances + cpu.postgres + cpu.bench;
  const pct = (x: number) => `${((x / seconds / cores) * 100).toFixed(0)}%`;
  return `${cpu.instances.toFixed(1)} / ${cpu.postgres.toFixed(1)} / ${cpu.bench.toFixed(1)} s = ${pct(ours)}; other processes ${pct(Math.max(0, cpu.machine - ours))}`;
};

async function main(): Promise<void> {
  const top = mkdtempSync(join(tmpdir(), 'dockgate-bench-instances-'));
  const mappingsDir = join(top, 'mappings');
  writeMappings(mappingsDir);
  const needsPostgres = configs.some((c) => c.store === 'postgres');
  const unavailable = needsPostgres ? postgresUnavailable() : null;
  if (unavailable) throw new Error(`PostgreSQL configurations asked for, but ${unavailable}`);
  const server = needsPostgres ? await PostgresServer.start() : null;
  const results: Result[] = [];
  try {
    for (const config of configs) {
      process.stderr.write(`${label(config)}: ${ordersWanted} orders over ${sellerCount} sellers ...\n`);
      try {
        const r = (await runConfig(config, config.store === 'postgres' ? server : null, mappingsDir))!;
        results.push(r);
        process.stderr.write(`  start-up ${r.startupSeconds.toFixed(1)} s; orders ${r.orders.seconds.toFixed(1)} s (${(r.orders.delivered / r.orders.seconds).toFixed(0)}/s); confirmations ${r.confirmations.seconds.toFixed(1)} s (${(r.confirmations.confirmed / r.confirmations.seconds).toFixed(0)}/s)\n`);
      } catch (e) {
        process.stderr.write(`  FAILED: ${(e as Error).stack ?? e}\n`);
        results.push({ config, startupSeconds: NaN, orders: { seconds: NaN, delivered: 0, twice: 0, cpu: { instances: 0, postgres: 0, bench: 0, machine: 0 }, transactions: null }, confirmations: { seconds: NaN, confirmed: 0, twice: 0, stepSeconds: NaN, cpu: { instances: 0, postgres: 0, bench: 0, machine: 0 }, transactions: null }, split: '', failedOrError: (e as Error).message });
      }
    }
  } finally {
    await server?.stop();
    rmSync(top, { recursive: true, force: true });
  }

  const ok = results.filter((r) => !r.failedOrError);
  const ordersRate = (r: Result) => r.orders.delivered / r.orders.seconds;
  const confirmRate = (r: Result) => r.confirmations.confirmed / r.confirmations.seconds;
  const sqlite1 = ok.find((r) => r.config.store === 'sqlite' && r.config.instances === 1);
  const pg1 = ok.find((r) => r.config.store === 'postgres' && r.config.instances === 1);
  const factor = (r: Result, base: Result | undefined, rate: (r: Result) => number) => (base ? `${(rate(r) / rate(base)).toFixed(2)}x` : 'n/a');
  const rows = results.map((r) =>
    r.failedOrError
      ? `| ${label(r.config)} | failed: ${r.failedOrError.replace(/\|/g, '\\|').slice(0, 300)} | | | | | |`
      : `| ${label(r.config)} | **${ordersRate(r).toFixed(0)}** (${r.orders.seconds.toFixed(1)} s) | ${factor(r, pg1, ordersRate)} / ${factor(r, sqlite1, ordersRate)} | **${confirmRate(r).toFixed(0)}** (${r.confirmations.seconds.toFixed(1)} s) | ${factor(r, pg1, confirmRate)} / ${factor(r, sqlite1, confirmRate)} | ${r.startupSeconds.toFixed(1)} s |`,
  );
  const perUnit = (x: number | null, n: number) => (x === null ? '' : `; ${(x / n).toFixed(1)} PostgreSQL transactions each`);
  const cpuRows = ok.map((r) => `| ${label(r.config)} | ${cpuText(r.orders.cpu, r.orders.seconds)}${perUnit(r.orders.transactions, r.orders.delivered)} | ${cpuText(r.confirmations.cpu, r.confirmations.seconds)}${perUnit(r.confirmations.transactions, r.confirmations.confirmed)} |`);
  const checks = ok.map((r) => `${label(r.config)}: ${r.orders.delivered} orders delivered (${r.orders.twice} in two sets), ${r.confirmations.confirmed} packages confirmed (${r.confirmations.twice} orders confirmed twice); the simulators' step ${r.confirmations.stepSeconds.toFixed(1)} s`).join('; ');
  const body = `## Gateway: several instances on one store — ${new Date().toISOString().slice(0, 10)}

Machine: ${machine()}. Code: ${revision()}. Load average at the end (1, 5, 15 min): ${loadavg().map((l) => l.toFixed(1)).join(', ')}.

\`npm run bench:instances\` (\`bench/multi-instance-bench.ts\`): instances are separate processes of the real binary,
\`dockgate start --poll-seconds 1\` (long-running: start-up is in its own column, not in the rates), sharing one store and one
raw-file directory. **${ordersWanted.toLocaleString('en-US')} orders over ${sellerCount} sellers** (copies of acme, SKU ${SKU}, quantity 1), each seller with its own
warehouse (copies of reno-wms, X12), so that there are ${sellerCount} order-poll tasks and ${sellerCount} file-poll tasks to share: each task runs
on one instance at a time (the store's lock), the outbox jobs (deliver-file, confirm-package) are claimed by every instance.
Amazon is the SP-API emulator in the bench process at time scale ${timeScale.toLocaleString('en-US')} (searchOrders ${(0.0056 * timeScale).toFixed(1)}/s burst 20,
confirmShipment ${(2 * timeScale).toLocaleString('en-US')}/s per seller): SP-API quotas are not what is measured. One warehouse simulator per warehouse, in the bench process.

- **orders/s**: the orders appear at the emulator (all at once) -> every one in a 940 set in its warehouse's directory.
- **confirmations/s**: with the instances paused (SIGSTOP), each simulator takes its 940s and writes a 945 per order (one package each,
  and a 997); from the instances' resume -> every package confirmed at the emulator (945 and 997 files polled, recorded, parsed,
  packages recorded, confirm-package jobs run).
- PostgreSQL is the test harness's server (\`test/store/postgres-server.ts\`: fsync, synchronous_commit and full_page_writes off, a
  thrown-away cluster) on the same machine; SQLite is the store's own (WAL). The directory transport fsyncs each file it puts on both.

| configuration | orders/s (wall) | vs PG 1 / vs SQLite 1 | confirmations/s (wall) | vs PG 1 / vs SQLite 1 | start-up (spawn to tasks scheduled) |
|---|---|---|---|---|---|
${rows.join('\n')}

CPU time (user + system) in each phase: instances / PostgreSQL (all its processes) / bench process (emulator, simulators, the
bench's reading of the 940s), the share of the machine's ${cores} cores they add up to, and the share the machine's other processes
took meanwhile (/proc/stat: the machine is shared with other work, which the wall-time rates feel):

| configuration | orders phase | confirmations phase |
|---|---|---|
${cpuRows.join('\n')}

Checks: ${checks}.

How the work was split (each instance's log):
${ok.filter((r) => r.config.instances > 1).map((r) => `- ${label(r.config)}: ${r.split}.`).join('\n')}
`;
  process.stdout.write(body);
  if (write) writeSection(join(here, 'RESULTS.md'), 'Gateway: several instances on one store', body);
  if (results.some((r) => r.failedOrError)) process.exitCode = 1;
}

await main();
