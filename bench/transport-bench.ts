/**
 * Benchmark: the SFTP transport against a real OpenSSH sshd on 127.0.0.1 (as the tests start it;
 * needs root and /usr/sbin/sshd), and the directory transport for comparison: a 100 MB file up
 * and down (MB/s and the process's peak RSS, each case in its own process) and 1,000 small
 * files up (files/s). Writes its section of bench/RESULTS.md.
 *
 *   node --import tsx bench/transport-bench.ts [--no-write]
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { DirectoryTransport } from '../src/transport/directory.ts';
import { SftpTransport } from '../src/transport/sftp.ts';
import type { Transport } from '../src/transport/transport.ts';
import { Sshd, sshdUnavailable } from '../test/transport/sshd.ts';
import { machine, writeSection } from './results.ts';

const here = dirname(fileURLToPath(import.meta.url));
const MB = 100;

interface CaseResult {
  seconds: number;
  bytes: number;
  files?: number;
  peakRssMb: number;
}

function transportFromEnv(): Transport {
  const e = process.env;
  if (e.BENCH_KIND === 'dir') return new DirectoryTransport(e.BENCH_ROOT!);
  return new SftpTransport({ host: '127.0.0.1', port: Number(e.BENCH_PORT), user: 'dockgate-sftp', privateKey: Buffer.from(e.BENCH_KEY!, 'base64'), hostKey: e.BENCH_HOSTKEY!, timeoutMs: 30_000 });
}

async function runCase(name: string): Promise<CaseResult> {
  const t = transportFromEnv();
  await t.connect();
  const dir = process.env.BENCH_DIR!;
  const start = process.hrtime.bigint();
  let bytes = 0;
  let files: number | undefined;
  if (name === 'upload') {
    let left = MB;
    const stream = new Readable({
      read() {
        if (left-- <= 0) return this.push(null);
        this.push(randomBytes(1024 * 1024));
      },
    });
    await t.put(dir, 'big.bin', stream);
    bytes = MB * 1024 * 1024;
  } else if (name === 'download') {
    const h = createHash('sha256');
    for await (const c of (await t.read(dir, 'big.bin')) as AsyncIterable<Buffer>) {
      h.update(c);
      bytes += c.length;
    }
  } else {
    files = 1000;
    for (let i = 0; i < files; i++) {
      const data = Buffer.from(`small file ${i}\n`.repeat(20));
      await t.put(dir, `s${String(i).padStart(4, '0')}.txt`, data);
      bytes += data.length;
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await t.disconnect();
  return { seconds, bytes, files, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

function child(name: string, env: Record<string, string>): CaseResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--case', name], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as CaseResult;
}

async function main(): Promise<void> {
  const rows: string[] = [];
  const row = (label: string, r: CaseResult) =>
    rows.push(`| ${label} | ${r.files ? `${(r.files / r.seconds).toFixed(0)} files/s` : `${(r.bytes / 1e6 / r.seconds).toFixed(1)} MB/s`} | ${r.seconds.toFixed(2)} s | ${r.peakRssMb.toFixed(0)} MB |`);
  const dirRoot = mkdtempSync(join(tmpdir(), 'dockgate-bench-dir-'));
  for (const d of ['big', 'small']) mkdirSync(join(dirRoot, d));
  const dirEnv = { BENCH_KIND: 'dir', BENCH_ROOT: dirRoot };
  row('directory: 100 MB up', child('upload', { ...dirEnv, BENCH_DIR: 'big' }));
  row('directory: 100 MB down', child('download', { ...dirEnv, BENCH_DIR: 'big' }));
  row('directory: 1,000 small files up', child('small', { ...dirEnv, BENCH_DIR: 'small' }));
  rmSync(dirRoot, { recursive: true, force: true });
  const why = sshdUnavailable();
  if (why) rows.push(`| SFTP | not measured: ${why} | | |`);
  else {
    const s = await new Sshd().setup();
    await s.start();
    try {
      s.userDir('big');
      s.userDir('small');
      const env = { BENCH_KIND: 'sftp', BENCH_PORT: String(s.port), BENCH_KEY: s.clientKey.toString('base64'), BENCH_HOSTKEY: s.hostKey };
      row('SFTP (OpenSSH, loopback): 100 MB up', child('upload', { ...env, BENCH_DIR: 'big' }));
      row('SFTP (OpenSSH, loopback): 100 MB down', child('download', { ...env, BENCH_DIR: 'big' }));
      row('SFTP (OpenSSH, loopback): 1,000 small files up', child('small', { ...env, BENCH_DIR: 'small' }));
    } finally {
      await s.dispose();
    }
  }
  const body = `## File transports — ${new Date().toISOString().slice(0, 10)}

Machine: ${machine()}. SFTP: ssh2-sftp-client against OpenSSH's sshd (internal-sftp) on 127.0.0.1,
ed25519 keys, as the tests start it. Each case in its own process; peak RSS is that process's maxRSS.
Uploads go under a temporary name, are size-checked, then renamed; small files are one put each
(exists check, upload, stat, rename: four round trips).

| case | rate | time | peak RSS |
|---|---|---|---|
${rows.join('\n')}
`;
  process.stdout.write(body);
  if (!process.argv.includes('--no-write')) writeSection(join(here, 'RESULTS.md'), 'File transports', body);
}

const at = process.argv.indexOf('--case');
if (at >= 0) process.stdout.write(`${JSON.stringify(await runCase(process.argv[at + 1]))}\n`);
else await main();
