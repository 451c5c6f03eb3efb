/**
 * The gateway unchanged on PostgreSQL (issue 13), through the real binaries: `dockgate start
 * --once` takes orders from the emulator to the warehouse simulator and its shipments back to
 * Amazon on a PostgreSQL database, then `dockgate serve` (read-only) answers over that database:
 * readiness names the store without its password, an order's detail and the orders list read
 * what the flows wrote, and `dockgate exceptions list` reads the queue.
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
const ORDERS = 12;
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

test('postgres: dockgate start runs the flows on PostgreSQL, dockgate serve and the CLI read them back', { skip: skip ?? false, timeout: 10 * 60_000 }, async () => {
  const plain = await server().migratedDatabase('gateway');
  // A password in the URL (trust auth ignores it): it must never be printed.
  const url = plain.replace('postgres://dockgate@', 'postgres://dockgate:s3cret-pw@');
  assert.notEqual(url, plain, `the test's URL carries a password (${plain})`);
  const world = await crashWorld({ orders: ORDERS, env: { DOCKGATE_DATABASE_URL: url } });
  try {
    for (let i = 0; world.confirmedOrders() < ORDERS; i++) {
      assert.ok(i < 15, `not settled after ${i} runs: ${world.confirmedOrders()} of ${ORDERS} orders shipped at Amazon`);
      const run = await world.runGateway(null);
      assert.ok(run.code === 0 || run.code === 1, `dockgate start --once ended with ${run.code ?? run.signal}: ${run.stderr}`);
      assert.ok(!run.stderr.includes('s3cret-pw'), 'the password is not printed');
      await world.warehouse.step();
    }

    const db = new pg.Client({ connectionString: plain });
    await db.connect();
    let orderId: string;
    try {
      const counts = (await db.query("SELECT state, count(*)::int AS n FROM orders WHERE seller = 'acme' GROUP BY state")).rows as Array<{ state: string; n: number }>;
      assert.equal(counts.reduce((a, c) => a + c.n, 0), ORDERS, `every order is in the PostgreSQL database: ${JSON.stringify(counts)}`);
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
    assert.equal(list.body.items.length, ORDERS);
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
