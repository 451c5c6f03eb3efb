/**
 * SFTP against a real OpenSSH sshd (test/transport/sshd.ts): the transport contract, and what
 * only a real server does — a wrong host key, key and password logins, permission denied, a
 * read-only server, a full target, and the server stopped in the middle of an upload.
 * Where sshd cannot run (no openssh-server, not root) the tests say so by name; under CI=true
 * a missing real-sshd run fails.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { deliver } from '../../src/transport/outbound.ts';
import { readHostKey, SftpTransport } from '../../src/transport/sftp.ts';
import type { TransportError } from '../../src/transport/transport.ts';
import { transportContract } from './contract.ts';
import { Sshd, sshdUnavailable } from './sshd.ts';

const unavailable = sshdUnavailable();
const SKIP = `the real-sshd run did not happen: ${unavailable}`;

test('the real-sshd SFTP run happens (required under CI=true)', (t) => {
  if (!unavailable) return;
  process.stderr.write(`\n*** ${SKIP} ***\n\n`);
  if (process.env.CI === 'true') assert.fail(`${SKIP}; .ci/run installs openssh-server and runs as root`);
  t.skip(SKIP);
});

async function server(options: ConstructorParameters<typeof Sshd>[0] = {}): Promise<Sshd> {
  const s = await new Sshd(options).setup();
  await s.start();
  return s;
}

const keyTransport = (s: Sshd, extra: Partial<ConstructorParameters<typeof SftpTransport>[0]> = {}) =>
  new SftpTransport({ host: '127.0.0.1', port: s.port, user: 'dockgate-sftp', privateKey: s.clientKey, hostKey: s.hostKey, timeoutMs: 5000, ...extra });

transportContract('sftp (real sshd)', async () => {
  if (unavailable) return SKIP;
  const s = await server();
  const transport = keyTransport(s);
  await transport.connect();
  return {
    transport,
    dir: (name) => s.userDir(name),
    write: (dir, name, data) => {
      const p = join(s.data, dir, name);
      writeFileSync(p, data);
      chownSync(p, s.uid, s.gid);
    },
    exists: (dir, name) => existsSync(join(s.data, dir, name)),
    close: async () => {
      await transport.disconnect();
      await s.dispose();
    },
  };
});

test('sftp: a wrong host key is refused, naming the fingerprint seen; password login works and a wrong one fails', { timeout: 120_000 }, async (t) => {
  if (unavailable) return t.skip(SKIP);
  const s = await server();
  try {
    const wrong = keyTransport(s, { hostKey: 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8' });
    const e = (await wrong.connect().catch((x) => x)) as TransportError;
    assert.equal(e.kind, 'host-key');
    assert.ok(e.message.includes(`the server's host key is ${s.hostKey}`), e.message);
    const byPassword = new SftpTransport({ host: '127.0.0.1', port: s.port, user: 'dockgate-sftp', password: s.password, hostKey: s.hostKey, timeoutMs: 5000 });
    await byPassword.connect();
    assert.deepEqual(await byPassword.list('.'), []);
    await byPassword.disconnect();
    const badPassword = new SftpTransport({ host: '127.0.0.1', port: s.port, user: 'dockgate-sftp', password: 'wrong', hostKey: s.hostKey, timeoutMs: 5000 });
    assert.equal(((await badPassword.connect().catch((x) => x)) as TransportError).kind, 'auth');
  } finally {
    await s.dispose();
  }
});

test('sftp: permission denied and a read-only server refuse the upload and leave no file', { timeout: 120_000 }, async (t) => {
  if (unavailable) return t.skip(SKIP);
  const s = await server();
  const ro = await server({ readOnly: true });
  try {
    const tr = keyTransport(s);
    const locked = s.rootOwnedDir('locked');
    const e = (await tr.put(locked, 'x.edi', Buffer.from('x')).catch((x) => x)) as TransportError;
    assert.equal(e.kind, 'permission', e.message);
    assert.ok(!existsSync(join(s.data, locked, 'x.edi')));
    await tr.disconnect();
    const trRo = keyTransport(ro);
    const dir = ro.userDir('in');
    const r = (await trRo.put(dir, 'x.edi', Buffer.from('x')).catch((x) => x)) as TransportError;
    assert.equal(r.kind, 'permission', r.message);
    assert.ok(!existsSync(join(ro.data, dir, 'x.edi')));
    await trRo.disconnect();
  } finally {
    await s.dispose();
    await ro.dispose();
  }
});

test('sftp: a full target (file-size limit) fails the upload; no file appears under its name', { timeout: 120_000 }, async (t) => {
  if (unavailable) return t.skip(SKIP);
  const s = await server({ fileSizeLimitKb: 512 });
  try {
    const tr = keyTransport(s);
    const dir = s.userDir('in');
    const e = (await deliver(tr, dir, 'big.edi', randomBytes(2 * 1024 * 1024), { attempts: 1 }).catch((x) => x)) as TransportError;
    assert.ok(e instanceof Error, 'the upload failed');
    assert.ok(!existsSync(join(s.data, dir, 'big.edi')));
    await tr.disconnect();
  } finally {
    await s.dispose();
  }
});

test('sftp: the server stopped in the middle of an upload and restarted: no partial file is ever visible; the upload completes after reconnecting', { timeout: 120_000 }, async (t) => {
  if (unavailable) return t.skip(SKIP);
  const s = await server();
  try {
    const tr = keyTransport(s);
    const dir = s.userDir('out');
    const data = randomBytes(40 * 1024 * 1024);
    const final = join(s.data, dir, 'orders.edi');
    const retries: string[] = [];
    let restarted = false;
    // Stop the server once the temporary file has started to grow.
    const watcher: NodeJS.Timeout = setInterval(() => {
      if (restarted) return;
      const temp = join(s.data, dir, '.orders.edi.part');
      if (existsSync(temp)) {
        restarted = true;
        void s.stop().then(() => {
          assert.ok(!existsSync(final), 'no file under the final name while the upload is broken');
          setTimeout(() => void s.start(), 500);
        });
      }
    }, 5);
    watcher.unref();
    try {
      await deliver(tr, dir, 'orders.edi', data, { attempts: 8, baseDelayMs: 200, onRetry: (n, e) => retries.push(`${n} ${e.kind}`) });
    } finally {
      clearInterval(watcher);
    }
    assert.ok(restarted, 'the server was stopped mid-upload');
    assert.ok(retries.length >= 1, 'the upload was retried');
    assert.equal(createHash('sha256').update(readFileSync(final)).digest('hex'), createHash('sha256').update(data).digest('hex'));
    assert.deepEqual((await tr.list(dir)).map((f) => f.name), ['orders.edi']);
    await tr.disconnect();
  } finally {
    await s.dispose();
  }
});


test('sftp: without a pinned host key the transport refuses to connect; readHostKey shows the key before any login', { timeout: 120_000 }, async (t) => {
  if (unavailable) return t.skip(SKIP);
  const s = await server();
  try {
    const unpinned = new SftpTransport({ host: '127.0.0.1', port: s.port, user: 'dockgate-sftp', privateKey: s.clientKey, timeoutMs: 5000 });
    const e = (await unpinned.connect().catch((x) => x)) as TransportError;
    assert.equal(e.kind, 'host-key');
    assert.match(e.message, /pins no host key/);
    assert.equal(unpinned.seenHostKey, null, 'no connection was even opened');
    assert.equal(await readHostKey({ host: '127.0.0.1', port: s.port, user: 'nobody-at-all', timeoutMs: 5000 }), s.hostKey, 'no valid user or credential is needed to see the key');
    await s.stop();
    assert.equal(((await readHostKey({ host: '127.0.0.1', port: s.port, user: 'x', timeoutMs: 5000 }).catch((x) => x)) as TransportError).kind, 'network');
  } finally {
    await s.dispose();
  }
});

test('dockgate sftp check: the host key to pin when the partner file has none (exit 0, "not pinned yet"), a match, a mismatch (exit 1); --json says the same', { timeout: 300_000 }, async (t) => {
  if (unavailable) return t.skip(SKIP);
  const { spawnSync } = await import('node:child_process');
  const { cpSync, mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const s = await server();
  try {
    s.userDir('outbound');
    s.userDir('inbound');
    writeFileSync(join(s.data, 'outbound', 'RENO_945_1.edi'), 'x');
    chownSync(join(s.data, 'outbound', 'RENO_945_1.edi'), s.uid, s.gid);
    const root = join(import.meta.dirname, '../..');
    const dir = mkdtempSync(join(tmpdir(), 'dockgate-mappings-'));
    cpSync(join(root, 'mappings'), dir, { recursive: true });
    const keyFile = join(dir, 'client_key');
    writeFileSync(keyFile, s.clientKey, { mode: 0o600 });
    const partnerFile = join(dir, 'partners/reno-wms.yaml');
    /** The partner file pointed at the test server: `hostKey` null leaves the line out (not pinned yet). */
    const withServer = (hostKey: string | null, auth = `{ keyPath: ${keyFile} }`) =>
      writeFileSync(
        partnerFile,
        readFileSync(join(root, 'mappings/partners/reno-wms.yaml'), 'utf8')
          .replace('host: sftp.reno-wms.example', 'host: 127.0.0.1')
          .replace('port: 22', `port: ${s.port}`)
          .replace('user: acme3pl', 'user: dockgate-sftp')
          .replace('auth: { keyPath: /etc/dockgate/keys/reno_ed25519 }', `auth: ${auth}`)
          .replace(/ *hostKey: SHA256:\S+.*\n/, hostKey ? `  hostKey: ${hostKey}\n` : '')
          .replace('inbound: /outbound, outbound: /inbound, archive: /outbound/archive', 'inbound: outbound, outbound: inbound'),
      );
    const run = (...extra: string[]) => spawnSync(process.execPath, [join(root, 'bin/dockgate.js'), 'sftp', 'check', '--partner', 'reno-wms', '--mappings', dir, '--timeout', '20000', ...extra], { encoding: 'utf8', env: { ...process.env, RENO_SFTP_PASSWORD: '' } });
    const escaped = s.hostKey.replace(/[+/]/g, '\\$&');

    withServer(null);
    const fresh = run();
    assert.equal(fresh.status, 0, fresh.stdout + fresh.stderr);
    assert.match(fresh.stdout, new RegExp(`host key: ${escaped} {2}\\(not pinned yet: .*transport\\.hostKey: ${escaped}\\)`));
    assert.match(fresh.stdout, /inbound {2}outbound: 1 file\(s\), e\.g\. RENO_945_1\.edi/, 'listed with the private key, against the key just seen');

    withServer(s.hostKey);
    const ok = run();
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, new RegExp(`host key: ${escaped} \\(pinned: matches\\)`));
    assert.match(ok.stdout, /outbound inbound: 0 file\(s\)/);

    const wrongPin = 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8';
    withServer(wrongPin);
    const wrong = run('--json');
    assert.equal(wrong.status, 1, wrong.stdout + wrong.stderr);
    const w = JSON.parse(wrong.stdout);
    assert.deepEqual(w.hostKey, { seen: s.hostKey, pinned: wrongPin, status: 'mismatch' });
    assert.equal(w.failure.kind, 'host-key');
    assert.deepEqual([w.ok, w.connected, w.directories], [false, false, []]);

    // A password is not sent to a server whose key is not pinned: the key is shown, the directories are not listed,
    // and the password variable is not even needed yet.
    withServer(null, '{ passwordEnv: RENO_SFTP_PASSWORD }');
    const byPassword = run('--json');
    assert.equal(byPassword.status, 0, byPassword.stdout + byPassword.stderr);
    const p = JSON.parse(byPassword.stdout);
    assert.deepEqual(p.hostKey, { seen: s.hostKey, pinned: null, status: 'not-pinned' });
    assert.deepEqual([p.ok, p.connected, p.directories], [true, false, []]);
    assert.match(p.notes.join('\n'), /not pinned yet[^]*password is not sent/);
  } finally {
    await s.dispose();
  }
});
