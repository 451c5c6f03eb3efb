/**
 * `dockgate start` as anyone checking it from outside runs it: the real binary with the
 * contract flags (--mappings, --partner-root, --amazon-endpoint, --amazon-time-scale) against
 * the SP-API emulator running in this process; `messages list --json` and `exceptions list
 * --json` read the same data directory; SIGTERM stops a running gateway with exit 0.
 * The test waits for states (an exit, a line on stdout), never for durations.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AmazonEmulator } from '../../src/sandbox/amazon/emulator.ts';
import { MAPPINGS, root, SELLER_ENV, sampleSeed } from '../flows/harness.ts';

const BIN = join(root, 'bin/dockgate.js');

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** The binary, asynchronously: the emulator in this process must keep answering while it runs. */
function dockgate(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; onLine?: (line: string, child: ReturnType<typeof spawn>) => void }): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let partial = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      partial += d.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const l of lines) options.onLine?.(l, child);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, out, err }));
  });
}

async function setup(sellers?: string[]) {
  // The seed's FBA inbound plans would add a replenishment's 940 (src/flows/fba-replenishment.ts) to the orders these tests count.
  const seed = sampleSeed();
  for (const x of seed.sellers) x.inboundPlans = [];
  const emulator = new AmazonEmulator({ seed, timeScale: 100 });
  // Orders taken now: inside the first poll's look-back, whatever the sample seed's dates.
  const orderIds = emulator.generateOrders('acme', { count: 3, sku: 'TSHIRT-RED-M' });
  const port = await emulator.start();
  const work = mkdtempSync(join(tmpdir(), 'dockgate-start-'));
  const partnerRoot = join(work, 'partners');
  // Limited to acme where the test wants a cycle of one seller's orders only.
  if (sellers) writeFileSync(join(work, 'dockgate.yaml'), `gateway:\n  sellers: [${sellers.join(', ')}]\n`);
  const env: NodeJS.ProcessEnv = { ...process.env, ...SELLER_ENV, DOCKGATE_DATA_DIR: join(work, 'data'), DOCKGATE_LOG_LEVEL: 'info' };
  delete env.DOCKGATE_STORE_KEY;
  delete env.DOCKGATE_CONFIG;
  const args = ['--mappings', MAPPINGS, '--partner-root', partnerRoot, '--amazon-endpoint', `http://127.0.0.1:${port}`, '--amazon-time-scale', '100'];
  return {
    emulator,
    orderIds,
    work,
    partnerRoot,
    env,
    args,
    async close() {
      await emulator.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

const jsonLines = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test('start --once: the orders go to the warehouse directory under --partner-root, exit 0; messages and exceptions read the same data dir', { timeout: 120_000 }, async () => {
  const s = await setup(['acme']);
  try {
    const r = await dockgate(['start', '--once', ...s.args], { cwd: s.work, env: s.env });
    assert.equal(r.code, 0, `${r.err}\n${r.out.slice(-3000)}`);
    const lines = jsonLines(r.out);
    assert.ok(lines.some((l) => l.event === 'started' && l.mode === 'once'), 'one JSON line says it started');
    assert.ok(lines.every((l) => typeof l.level === 'number' && typeof l.time === 'string'), 'every stdout line is a JSON log line');
    // reno-wms's outbound directory (ours out, theirs in) is /inbound in its partner file.
    const delivered = readdirSync(join(s.partnerRoot, 'reno-wms', 'inbound')).filter((f) => !f.startsWith('.'));
    assert.equal(delivered.length, 1, `one ship-order file: ${delivered.join(', ')}`);
    assert.match(delivered[0], /^reno-wms_940_\d+_\d{8}T\d{6}Z\.edi$/);
    assert.ok(!r.out.includes('test-secret') && !r.out.includes('Atzr|acme'), 'no credential in the logs');

    const messages = await dockgate(['messages', 'list', '--json'], { cwd: s.work, env: s.env });
    assert.equal(messages.code, 0, messages.err);
    const list = JSON.parse(messages.out) as Array<{ id: number; flow: string; direction: string; partner: string; fileName: string; axes: { delivery: string; acknowledgement: string }; orders: Array<{ orderId: string }> }>;
    const sent = list.find((m) => m.direction === 'out' && m.flow === 'orders');
    assert.ok(sent, JSON.stringify(list));
    assert.equal(sent.partner, 'reno-wms');
    assert.equal(sent.fileName, delivered[0]);
    assert.equal(sent.axes.delivery, 'delivered');
    assert.equal(sent.axes.acknowledgement, 'awaiting', 'reno-wms answers with a 997');
    assert.deepEqual(sent.orders.map((o) => o.orderId).sort(), [...s.orderIds].sort());
    const byOrder = JSON.parse((await dockgate(['messages', 'list', '--order', s.orderIds[0], '--json'], { cwd: s.work, env: s.env })).out) as Array<{ id: number }>;
    assert.deepEqual(byOrder.map((m) => m.id), [sent.id]);

    const shown = await dockgate(['messages', 'show', String(sent.id), '--json'], { cwd: s.work, env: s.env });
    assert.equal(shown.code, 0, shown.err);
    const detail = JSON.parse(shown.out) as { raw: string; x12: unknown; events: Array<{ toStatus: string }> };
    assert.match(detail.raw, /^ISA\*/);
    assert.ok(detail.x12, 'the X12 JSON form of the file');
    assert.ok(detail.events.length > 0, 'its status history');

    const exceptions = await dockgate(['exceptions', 'list', '--json'], { cwd: s.work, env: s.env });
    assert.equal(exceptions.code, 0, exceptions.err);
    assert.ok(Array.isArray(JSON.parse(exceptions.out)));

    const unknown = await dockgate(['messages', 'show', '999999'], { cwd: s.work, env: s.env });
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /no message 999999/);
    assert.equal((await dockgate(['exceptions', 'show', '999999'], { cwd: s.work, env: s.env })).code, 2);

    // A second cycle: nothing new on Amazon, nothing sent again.
    const again = await dockgate(['start', '--once', ...s.args], { cwd: s.work, env: s.env });
    assert.equal(again.code, 0, again.err);
    assert.equal(readdirSync(join(s.partnerRoot, 'reno-wms', 'inbound')).filter((f) => !f.startsWith('.')).length, 1);
  } finally {
    await s.close();
  }
});

test("start --once: a seller whose credentials are missing is a seller-unavailable exception and exit 1, while the other seller's orders are delivered", { timeout: 120_000 }, async () => {
  const s = await setup();
  try {
    // northwind's seller file names its refresh token's variable; here it is not set.
    const env = { ...s.env };
    delete env.NORTHWIND_LWA_REFRESH_TOKEN;
    const r = await dockgate(['start', '--once', ...s.args], { cwd: s.work, env });
    assert.equal(r.code, 1, r.err);
    assert.equal(readdirSync(join(s.partnerRoot, 'reno-wms', 'inbound')).filter((f) => !f.startsWith('.')).length, 1, "acme's orders went");
    const x = JSON.parse((await dockgate(['exceptions', 'list', '--open', '--kind', 'seller-unavailable', '--json'], { cwd: s.work, env: s.env })).out) as Array<{ seller: string; message: string }>;
    assert.deepEqual(x.map((e) => e.seller), ['northwind']);
    assert.match(x[0].message, /NORTHWIND_LWA_REFRESH_TOKEN is not set/);
  } finally {
    await s.close();
  }
});

test('start --amazon-time-scale against Amazon itself is refused with exit 2 before anything runs', { timeout: 60_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'dockgate-start-'));
  try {
    const env = { ...process.env, DOCKGATE_DATA_DIR: join(work, 'data') };
    const r = await dockgate(['start', '--once', '--mappings', MAPPINGS, '--amazon-endpoint', 'http://sellingpartnerapi-na.amazon.com', '--amazon-time-scale', '100'], { cwd: work, env });
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /--amazon-time-scale 100: refused: the endpoint .* is one of Amazon's own hosts/);
    const none = await dockgate(['start', '--once', '--mappings', MAPPINGS], { cwd: work, env: { ...env, DOCKGATE_AMAZON_TIME_SCALE: '10' } });
    assert.equal(none.code, 2);
    assert.match(none.err, /DOCKGATE_AMAZON_TIME_SCALE 10: refused without an endpoint override/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('start (continuous): one "started" JSON line, then SIGTERM stops it with exit 0', { timeout: 120_000 }, async () => {
  const s = await setup(['acme']);
  try {
    let signalled = false;
    const r = await dockgate(['start', '--poll-seconds', '1', ...s.args], {
      cwd: s.work,
      env: s.env,
      onLine(line, child) {
        // Stopped once it has delivered the orders: work was in flight, and it still exits cleanly.
        if (!signalled && line.includes('"event":"job-done"')) {
          signalled = true;
          child.kill('SIGTERM');
        }
      },
    });
    assert.ok(signalled, `it never delivered: ${r.err}\n${r.out.slice(-3000)}`);
    assert.equal(r.signal, null);
    assert.equal(r.code, 0, r.err);
    const lines = jsonLines(r.out);
    assert.equal(lines.filter((l) => l.event === 'started').length, 1);
    assert.ok(lines.some((l) => l.event === 'stopping' && l.signal === 'SIGTERM'));
    assert.ok(lines.some((l) => l.event === 'stopped' && l.forced === false));
    assert.equal(readdirSync(join(s.partnerRoot, 'reno-wms', 'inbound')).filter((f) => !f.startsWith('.')).length, 1);
  } finally {
    await s.close();
  }
});
