/**
 * The API from outside, as an operator runs it: the real binary (`dockgate start --http-port`,
 * `dockgate serve`, `dockgate api token`) against the SP-API emulator in this process. The
 * listening line's URL answers; the port and host come from the flag or the variable; a token
 * from DOCKGATE_API_TOKEN or from `api token`'s lines in the configuration works and never shows
 * in the output; SIGTERM exits 0. The test waits for lines and exits, never for durations.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { DEFAULT_SERVE_PORT, resolveHttpConfig, type HttpFlags } from '../../src/gateway/config.ts';
import { AmazonEmulator } from '../../src/sandbox/amazon/emulator.ts';
import { MAPPINGS, root, SELLER_ENV, sampleSeed } from '../flows/harness.ts';

const BIN = join(root, 'bin/dockgate.js');

interface Run {
  code: number | null;
  out: string;
  err: string;
  /** What the test saw while it ran. */
  seen: Record<string, unknown>;
}

const jsonLines = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/**
 * The binary until it exits; `whenListening` runs once the listening line is out, gets its URL,
 * and its result is kept in `seen`; then the process gets SIGTERM.
 */
function runUntilListening(args: string[], env: NodeJS.ProcessEnv, cwd: string, whenListening: (url: string) => Promise<Record<string, unknown>>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let partial = '';
    let seen: Record<string, unknown> = {};
    let handled = false;
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      partial += d.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const l of lines) {
        if (handled || !l.includes('"event":"listening"')) continue;
        handled = true;
        const url = String((JSON.parse(l) as { url: string }).url);
        whenListening(url)
          .then((s) => {
            seen = s;
          })
          .catch((e: Error) => {
            seen = { error: e.stack ?? e.message };
          })
          .finally(() => child.kill('SIGTERM'));
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err, seen }));
  });
}

async function get(url: string, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

describe('the API from outside', () => {
  let emulator: AmazonEmulator;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let gatewayArgs: string[];
  const envToken = 'env-token-Zq8vN2pX7rL4kW9s';

  before(async () => {
    emulator = new AmazonEmulator({ seed: sampleSeed(), timeScale: 100 });
    const port = await emulator.start();
    work = mkdtempSync(join(tmpdir(), 'dockgate-http-'));
    env = { ...process.env, ...SELLER_ENV, DOCKGATE_DATA_DIR: join(work, 'data'), DOCKGATE_LOG_LEVEL: 'info' };
    for (const k of ['DOCKGATE_STORE_KEY', 'DOCKGATE_CONFIG', 'DOCKGATE_HTTP_PORT', 'DOCKGATE_HTTP_HOST', 'DOCKGATE_API_TOKEN']) delete env[k];
    gatewayArgs = ['start', '--mappings', MAPPINGS, '--partner-root', join(work, 'partners'), '--amazon-endpoint', `http://127.0.0.1:${port}`, '--amazon-time-scale', '100'];
  });
  after(async () => {
    await emulator?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('start --http-port 0 --http-host 127.0.0.2: one listening line whose URL answers /healthz; the DOCKGATE_API_TOKEN token works and is never printed; SIGTERM exits 0', { timeout: 120_000 }, async () => {
    const r = await runUntilListening([...gatewayArgs, '--http-port', '0', '--http-host', '127.0.0.2'], { ...env, DOCKGATE_API_TOKEN: envToken }, work, async (url) => {
      const health = await get(`${url}healthz`);
      const who = await get(`${url}api/v1/whoami`, envToken);
      const wrong = await get(`${url}api/v1/whoami`, 'not-it');
      return { url, health, who, wrong };
    });
    assert.equal(r.seen.error, undefined, String(r.seen.error));
    assert.equal(r.code, 0, r.err);
    assert.match(String(r.seen.url), /^http:\/\/127\.0\.0\.2:\d+\/$/);
    assert.deepEqual((r.seen.health as { status: number }).status, 200);
    assert.equal(((r.seen.health as { body: { status: string } }).body).status, 'ok');
    assert.deepEqual(r.seen.who, { status: 200, body: { name: 'env', access: 'read-write', buyerData: false } });
    assert.equal((r.seen.wrong as { status: number }).status, 401);
    const lines = jsonLines(r.out);
    assert.equal(lines.filter((l) => l.event === 'listening').length, 1);
    assert.ok(lines.some((l) => l.event === 'started' && l.mode === 'continuous'));
    assert.ok(lines.some((l) => l.event === 'http' && l.path === '/api/v1/whoami' && l.principal === 'env'), 'the request is logged with the token name');
    assert.ok(lines.some((l) => l.event === 'stopping' && l.signal === 'SIGTERM'));
    assert.ok(!r.out.includes(envToken) && !r.err.includes(envToken), 'the token never appears in stdout or stderr');
  });

  it('serve over the data directory start left, port from DOCKGATE_HTTP_PORT, a token made by `api token` in the configuration; no flows run; SIGTERM exits 0', { timeout: 120_000 }, async () => {
    const made = spawnSync(process.execPath, [BIN, 'api', 'token', '--name', 'ops-ro', '--access', 'read-only', '--buyer-data'], { env, encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const token = /^token \(shown this once[^)]*\): (\S+)$/m.exec(made.stdout)?.[1];
    const sha = /^\s+sha256: ([0-9a-f]{64})$/m.exec(made.stdout)?.[1];
    assert.ok(token && sha, made.stdout);
    const hashed = spawnSync(process.execPath, [BIN, 'api', 'hash'], { env, input: `${token}\n`, encoding: 'utf8' });
    assert.equal(hashed.status, 0, hashed.stderr);
    assert.equal(hashed.stdout.trim(), sha, 'api hash agrees with what api token printed');
    const yaml = made.stdout.slice(made.stdout.indexOf('  - name:')).split('\n').filter((l) => l.startsWith('  ')).join('\n');
    const config = join(work, 'serve.yaml');
    writeFileSync(config, `dataDir: ${join(work, 'data')}\napi:\n  tokens:\n${yaml}\n`);
    const r = await runUntilListening(['--config', config, 'serve', '--mappings', MAPPINGS], { ...env, DOCKGATE_HTTP_PORT: '0' }, work, async (url) => {
      const who = await get(`${url}api/v1/whoami`, token);
      const none = await get(`${url}api/v1/whoami`);
      const ready = await get(`${url}readyz`);
      return { url, who, none, ready };
    });
    assert.equal(r.seen.error, undefined, String(r.seen.error));
    assert.equal(r.code, 0, r.err);
    assert.match(String(r.seen.url), /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.notEqual(String(r.seen.url), 'http://127.0.0.1:8740/', 'the port came from DOCKGATE_HTTP_PORT');
    assert.deepEqual(r.seen.who, { status: 200, body: { name: 'ops-ro', access: 'read-only', buyerData: true } });
    assert.equal((r.seen.none as { status: number }).status, 401);
    assert.ok([200, 503].includes((r.seen.ready as { status: number }).status));
    const lines = jsonLines(r.out);
    assert.ok(lines.some((l) => l.event === 'serving'));
    assert.ok(!lines.some((l) => l.event === 'task-scheduled' || l.event === 'task-ran'), 'no flow runs under serve');
    assert.ok(!r.out.includes(token) && !r.err.includes(token));
  });

  it('refuses a bad --http-port with exit 2 naming it; the variable and the host are checked the same way', () => {
    const r = spawnSync(process.execPath, [BIN, ...gatewayArgs, '--http-port', '70000'], { env, cwd: work, encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--http-port must be a port number from 0 to 65535/);
    const loaded = loadConfig({ env: {}, cwd: work });
    const cases: Array<[HttpFlags, NodeJS.ProcessEnv, RegExp]> = [
      [{ httpPort: 'eighty' }, {}, /--http-port must be a port number/],
      [{}, { DOCKGATE_HTTP_PORT: '-1' }, /DOCKGATE_HTTP_PORT must be a port number/],
      [{ httpHost: 'not a host' }, {}, /--http-host must be a host name/],
      [{}, { DOCKGATE_HTTP_HOST: 'a/b' }, /DOCKGATE_HTTP_HOST must be a host name/],
    ];
    for (const [flags, e, message] of cases) assert.throws(() => resolveHttpConfig(loaded, flags, e), (x: Error) => x instanceof ConfigError && message.test(x.message));
    // Flag over variable over file; start listens only when asked, serve on 8740.
    assert.equal(resolveHttpConfig(loaded, { httpPort: '0' }, { DOCKGATE_HTTP_PORT: '9000' }).port, 0);
    assert.equal(resolveHttpConfig(loaded, {}, { DOCKGATE_HTTP_PORT: '9000' }).port, 9000);
    assert.equal(resolveHttpConfig(loaded, {}, {}).port, null);
    assert.equal(resolveHttpConfig(loaded, {}, {}, DEFAULT_SERVE_PORT).port, 8740);
    assert.equal(resolveHttpConfig(loaded, {}, {}).host, '127.0.0.1');
    assert.equal(resolveHttpConfig(loaded, { httpHost: '[::1]' }, {}).host, '::1');
    assert.deepEqual(resolveHttpConfig(loaded, {}, { DOCKGATE_API_TOKEN: 'x' }).tokens.map((t) => t.name), ['env']);
  });
});
