/**
 * The gateway unchanged on PostgreSQL (issue 13), through the real binaries: `dockgate start`
 * takes orders from the emulator to the warehouse simulator and its shipments back to Amazon on
 * a PostgreSQL database, riding out the database refusing connections for a while (503 on
 * /readyz meanwhile, no restart); then `dockgate serve` answers over that database (readiness
 * names the store without its password, an order's detail and the orders list read what the
 * flows wrote) and the read-only CLI reads the messages and the exception queue.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { join } from 'node:path';
import pg from 'pg';
import { crashWorld } from '../crash/world.ts';
import { MAPPINGS, root } from '../flows/harness.ts';
import { realPostgresPerFile } from '../store/postgres-per-file.ts';

const BIN = join(root, 'bin/dockgate.js');
const TOKEN = 'pg-gateway-test-token-0123456789abcdef';

const { skip, server } = realPostgresPerFile('gateway');

async function get(url: string): Promise<{ status: number; body: unknown }> {
  const r = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: r.status, body: await r.json() };
}

/** `dockgate serve` until it listens, `ask` its URL, then SIGTERM; its exit code and log. */
function serve(env: NodeJS.ProcessEnv, cwd: string, ask: (url: string) => Promise<Record<string, unknown>>): Promise<{ code: number | null; out: string; err: string; seen: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--mappings', MAPPINGS], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let seen: Record<string, unknown> = {};
    let asked = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"event":"listening"'));
      if (!line || asked) return;
      asked = true;
      ask(String((JSON.parse(line) as { url: string }).url))
        .then((s) => (seen = s))
        .catch((e: Error) => (seen = { error: e.stack ?? e.message }))
        .finally(() => child.kill('SIGTERM'));
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err, seen }));
  });
}

/** Refuse (or allow again) new connections to `database` and end those it has: the database gone, as far as the gateway can tell. */
async function setReachable(adminUrl: string, database: string, reachable: boolean): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS ${reachable ? 'true' : 'false'}`);
    if (!reachable) await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
  } finally {
    await c.end();
  }
}

test('postgres: dockgate start runs the flows on PostgreSQL and rides out its database going away (not ready meanwhile, the work done once it is back, no restart); dockgate serve and the read-only CLI read it back', { skip: skip ?? false, timeout: 10 * 60_000 }, async () => {
  const plain = await server().migratedDatabase('gateway');
  // A password in the URL (trust auth ignores it): it must never be printed.
  const url = plain.replace('postgres://dockgate@', 'postgres://dockgate:s3cret-pw@');
  assert.notEqual(url, plain, `the test's URL carries a password (${plain})`);
  const database = new URL(url).pathname.slice(1);
  const orders = 6;
  const world = await crashWorld({ orders, env: { DOCKGATE_DATABASE_URL: url } });
  const args = [...world.args.filter((a) => a !== '--once'), '--http-port', '0'];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: world.work, env: { ...world.env, DOCKGATE_API_TOKEN: TOKEN, DOCKGATE_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  /** Wait for a state: `probe` is asked again (every 200 ms, up to `times`) until it holds. */
  const until = async (what: string, probe: () => Promise<boolean>, times = 600) => {
    for (let i = 0; i < times; i++) {
      if (child.exitCode !== null) assert.fail(`the gateway ended (${child.exitCode}) while waiting for ${what}: ${err.slice(-2000)}`);
      if (await probe().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.fail(`${what}: not reached; ${err.slice(-2000)}`);
  };
  let code: number | null = null;
  try {
    try {
      let base = '';
      await until('listening', async () => {
        const line = out.split('\n').find((l) => l.includes('"event":"listening"'));
        if (line) base = String((JSON.parse(line) as { url: string }).url);
        return base !== '';
      });
      await until('ready', async () => (await get(`${base}readyz`)).status === 200);

      await setReachable(server().url(), database, false);
      let down: { status: number; body: unknown } = { status: 0, body: null };
      await until('not ready with the database gone', async () => {
        down = await get(`${base}readyz`);
        return down.status === 503;
      });
      const checks = (down.body as { checks: Array<{ name: string; ok: boolean; detail: string }> }).checks;
      assert.equal(checks[0].name, 'store');
      assert.equal(checks[0].ok, false);
      assert.match(checks[0].detail, /not writable/);
      assert.equal((await get(`${base}healthz`)).status, 200, 'the process itself answers');

      await setReachable(server().url(), database, true);
      await until('ready again', async () => (await get(`${base}readyz`)).status === 200);
      // The work goes on: every order to the warehouse and back to Amazon, by this same process.
      await until(
        'every order shipped at Amazon',
        async () => {
          await world.warehouse.step();
          return world.confirmedOrders() === orders;
        },
        1500,
      );
      assert.equal(child.exitCode, null, 'the gateway was never restarted');
    } finally {
      child.kill('SIGTERM');
      code = await exited;
      await setReachable(server().url(), database, true);
    }
    assert.equal(code, 0, `SIGTERM ends the gateway with 0: ${err.slice(-2000)}`);
    assert.ok(!out.includes('s3cret-pw') && !err.includes('s3cret-pw'), 'the password is never printed by start');

    const db = new pg.Client({ connectionString: plain });
    await db.connect();
    let orderId: string;
    try {
      const counts = (await db.query("SELECT state, count(*)::int AS n FROM orders WHERE seller = 'acme' GROUP BY state")).rows as Array<{ state: string; n: number }>;
      assert.equal(counts.reduce((a, c) => a + c.n, 0), orders, `every order is in the PostgreSQL database: ${JSON.stringify(counts)}`);
      orderId = (await db.query("SELECT order_id FROM orders WHERE seller = 'acme' ORDER BY order_id LIMIT 1")).rows[0].order_id as string;
      const sqlite = spawnSync('ls', [world.dataDir], { encoding: 'utf8' }).stdout;
      assert.ok(!sqlite.includes('dockgate.sqlite'), `no SQLite database was made beside it (${sqlite.trim()})`);
    } finally {
      await db.end();
    }

    const env = { ...process.env, DOCKGATE_DATABASE_URL: url, DOCKGATE_DATA_DIR: world.dataDir, DOCKGATE_API_TOKEN: TOKEN, DOCKGATE_HTTP_PORT: '0' };
    const r = await serve(env, world.work, async (base) => ({
      ready: await get(`${base}readyz`),
      order: await get(`${base}api/v1/orders/acme/${orderId}`),
      list: await get(`${base}api/v1/orders?seller=acme&limit=100`),
    }));
    assert.equal(r.seen.error, undefined, String(r.seen.error));
    assert.equal(r.code, 0, r.err);
    const ready = r.seen.ready as { body: { checks: Array<{ name: string; ok: boolean; detail: string }> } };
    const store = ready.body.checks.find((c) => c.name === 'store');
    assert.ok(store, JSON.stringify(ready.body));
    assert.match(store.detail, /postgres postgres:\/\/dockgate:\*+@127\.0\.0\.1:\d+\//, 'readiness names the PostgreSQL store');
    const order = r.seen.order as { status: number; body: { order?: { orderId: string; state: string } } };
    assert.equal(order.status, 200, JSON.stringify(order.body));
    assert.equal(order.body.order?.orderId, orderId);
    assert.equal(order.body.order?.state, 'confirmed');
    const list = r.seen.list as { status: number; body: { items: unknown[] } };
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.equal(list.body.items.length, orders);
    assert.ok(!r.out.includes('s3cret-pw') && !r.err.includes('s3cret-pw'), 'the password is never logged');
    assert.ok(r.out.split('\n').some((l) => l.includes('"event":"serving"') && l.includes('"store":"postgres ')), 'serve logs the store it reads');

    // The read-only CLI (a READ ONLY transaction on PostgreSQL, where the flows' locking reads must run as plain reads).
    const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: world.work, env, encoding: 'utf8' });
    const messages = cli('messages', 'list', '--partner', 'reno-wms', '--json');
    assert.equal(messages.status, 0, messages.stderr);
    const rows = JSON.parse(messages.stdout) as Array<{ id: number; direction: string }>;
    const sent = rows.find((m) => m.direction === 'out');
    assert.ok(sent, `a file sent to reno-wms is listed: ${messages.stdout.slice(0, 400)}`);
    const shown = cli('messages', 'show', String(sent.id), '--json');
    assert.equal(shown.status, 0, shown.stderr);
    assert.equal((JSON.parse(shown.stdout) as { summary: { id: number } }).summary.id, sent.id);
    const listed = cli('exceptions', 'list', '--json');
    assert.equal(listed.status, 0, listed.stderr);
    const parsed = JSON.parse(listed.stdout) as unknown;
    assert.ok(Array.isArray(parsed) || Array.isArray((parsed as { items?: unknown }).items), listed.stdout);
  } finally {
    await world.close();
  }
});
