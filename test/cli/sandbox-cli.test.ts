/** `dockgate sandbox amazon` through the real bin: it listens, answers SP-API calls, stops on a signal. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '../..');

test('sandbox amazon: starts on a free port with the sample seed, serves the adapter path, stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [join(root, 'bin/dockgate.js'), 'sandbox', 'amazon', '--port', '0', '--time-scale', '10'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const lines = createInterface({ input: child.stdout! });
    const [first] = (await once(lines, 'line')) as [string];
    const started = JSON.parse(first) as { port: number; sellers: string[]; timeScale: number };
    assert.deepEqual([started.sellers, started.timeScale], [['acme', 'northwind'], 10]);
    const base = `http://127.0.0.1:${started.port}`;
    const token = (await (await fetch(`${base}/auth/o2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=refresh_token&refresh_token=Atzr%7Cnorthwind-sandbox-refresh-token&client_id=a&client_secret=b' })).json()) as { access_token: string };
    const order = (await (await fetch(`${base}/orders/2026-01-01/orders/113-1111111-2222222`, { headers: { 'x-amz-access-token': token.access_token } })).json()) as { order: { orderId: string } };
    assert.equal(order.order.orderId, '113-1111111-2222222');
    const denied = await fetch(`${base}/orders/2026-01-01/orders/113-1111111-2222222`);
    assert.equal(denied.status, 403);
    child.kill('SIGTERM');
    const [last] = (await once(lines, 'line')) as [string];
    assert.deepEqual(JSON.parse(last), { msg: 'SP-API emulator stopped', calls: 3 });
  } finally {
    child.kill('SIGKILL');
  }
});

test('sandbox amazon: a bad seed or flag is a usage error (exit 2)', async () => {
  const run = async (args: string[]) => {
    const child = spawn(process.execPath, [join(root, 'bin/dockgate.js'), 'sandbox', 'amazon', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const [code] = (await once(child, 'exit')) as [number];
    return code;
  };
  assert.equal(await run(['--seed', join(root, 'package.json')]), 2);
  assert.equal(await run(['--error-share', '2']), 2);
});
