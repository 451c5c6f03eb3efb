/**
 * Benchmark: the gateway idle (issue 10, section 5). `dockgate start` (spawned) with the two
 * partners of mappings/ (reno-wms, cascade-csv) behind --partner-root and the two sellers (acme,
 * northwind) at the SP-API emulator (in this process, nothing new to find), nothing to do, for
 * --minutes. Every 10 s the gateway's CPU time and RSS are read from /proc/<pid>/stat and
 * /proc/<pid>/status (its descendants' CPU added, should it have any). Reports the first and the
 * last minute's CPU% and RSS and whether they are flat. Writes bench/RESULTS.md.
 *
 *   node --import tsx bench/gateway-idle-bench.ts [--minutes 10 (at least 3)] [--poll-seconds N] [--no-write] [--keep]
 *
 * Without --poll-seconds the gateway polls on its own schedules (each partner's pollSeconds, the
 * orders every 120 s, the checks every 60 s).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AmazonEmulator } from '../src/sandbox/amazon/emulator.ts';
import { loadSeed } from '../src/sandbox/amazon/state.ts';
import { SELLER_ENV, machine, numberArg, revision, sleep, stopGateway, writeSection } from './results.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const arg = numberArg;
const minutes = arg('minutes', 10)!;
// A first minute (start-up) and a last one that do not overlap, with samples between them.
if (!(minutes >= 3)) {
  process.stderr.write(`--minutes ${minutes}: at least 3 (the first minute is start-up; the last one is compared with the minutes before it)\n`);
  process.exit(2);
}
const pollSeconds = arg('poll-seconds', undefined);
const write = !process.argv.includes('--no-write');
const keep = process.argv.includes('--keep');
const SAMPLE_MS = 10_000;

const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** The process and its descendants (from /proc/<pid>/task/<tid>/children). */
function tree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${out[i]}/task`);
    } catch {
      continue; // gone since listed
    }
    for (const tid of tids) {
      try {
        for (const c of readFileSync(`/proc/${out[i]}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) out.push(Number(c));
      } catch {
        // the thread ended
      }
    }
  }
  return out;
}

/** utime + stime in seconds: fields 14 and 15 of /proc/<pid>/stat (after the parenthesised name). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS;
  } catch {
    return 0;
  }
}

/** VmRSS of /proc/<pid>/status, MiB. */
function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

interface Sample {
  t: number;
  cpu: number;
  rss: number;
  processes: number;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'dockgate-bench-idle-'));
  const emulator = new AmazonEmulator({ seed: loadSeed(join(root, 'samples/sandbox/amazon-seed.yaml')), timeScale: 1 });
  const port = await emulator.start(0);
  const logFile = join(work, 'gateway.log');
  const args = [join(root, 'bin/dockgate.js'), 'start', '--mappings', join(root, 'mappings'), '--partner-root', join(work, 'partners'), '--amazon-endpoint', `http://127.0.0.1:${port}`, ...(pollSeconds ? ['--poll-seconds', String(pollSeconds)] : [])];
  const gateway = spawn(process.execPath, args, { env: { ...process.env, ...SELLER_ENV, DOCKGATE_DATA_DIR: join(work, 'data') }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile);
  gateway.stdout!.pipe(log);
  gateway.stderr!.pipe(log);
  let exited: number | null = null;
  gateway.on('exit', (code) => (exited = code ?? -1));
  const pid = gateway.pid!;
  const samples: Sample[] = [];
  try {
    const start = Date.now();
    const end = start + minutes * 60_000;
    for (let k = 0; Date.now() <= end + 100; k++) {
      if (exited !== null) throw new Error(`the gateway exited (${exited}) after ${((Date.now() - start) / 1000).toFixed(0)} s: see ${logFile} (--keep)`);
      const pids = tree(pid);
      samples.push({ t: (Date.now() - start) / 1000, cpu: pids.reduce((s, p) => s + cpuSeconds(p), 0), rss: rssMiB(pid), processes: pids.length });
      const last = samples[samples.length - 1];
      process.stderr.write(`${last.t.toFixed(0)} s: cpu ${last.cpu.toFixed(2)} s, rss ${last.rss.toFixed(1)} MiB\n`);
      await sleep(Math.max(0, start + (k + 1) * SAMPLE_MS - Date.now()));
    }
    const calls = emulator.callLog().length;
    /** CPU% and mean RSS over the samples within [from, to] seconds. */
    const window = (from: number, to: number) => {
      const s = samples.filter((x) => x.t >= from - 0.5 && x.t <= to + 0.5);
      const a = s[0];
      const b = s[s.length - 1];
      return { cpu: ((b.cpu - a.cpu) / (b.t - a.t)) * 100, rss: s.reduce((sum, x) => sum + x.rss, 0) / s.length, rssMax: Math.max(...s.map((x) => x.rss)) };
    };
    const total = samples[samples.length - 1].t;
    const first = window(0, 60);
    const lastMin = window(total - 60, total);
    // RSS trend after the first minute (start-up): least squares, MiB per minute.
    const after = samples.filter((x) => x.t >= 60);
    const mt = after.reduce((s, x) => s + x.t, 0) / after.length;
    const mr = after.reduce((s, x) => s + x.rss, 0) / after.length;
    const slope = (after.reduce((s, x) => s + (x.t - mt) * (x.rss - mr), 0) / after.reduce((s, x) => s + (x.t - mt) ** 2, 0)) * 60;
    const steady = window(60, total);
    const cpuFlat = lastMin.cpu <= Math.max(1, steady.cpu * 1.5);
    // Flat: not growing (a heap that gives memory back after start-up is flat for this purpose).
    const rssFlat = slope < 1 && lastMin.rss - window(60, 120).rss < 10;
    const body = `## Gateway: idle — ${new Date().toISOString().slice(0, 10)}

Machine: ${machine()}. Code: ${revision()}.

\`dockgate start\` (spawned) with the two partners of mappings/ (reno-wms, cascade-csv) behind --partner-root and the two sellers
(acme, northwind) at the SP-API emulator (time scale 1, no new orders), nothing to do, for **${minutes} minutes**${minutes === 10 ? '' : ' (the issue asks for 10)'};
${pollSeconds ? `every poll every ${pollSeconds} s (--poll-seconds)` : 'the schedules as configured (each partner\'s pollSeconds, orders every 120 s, checks every 60 s)'}.
CPU (utime + stime of /proc/<pid>/stat${samples.some((s) => s.processes > 1) ? ', with its child processes' : ''}) and RSS (VmRSS of /proc/<pid>/status) sampled every
${SAMPLE_MS / 1000} s, ${samples.length} samples. The emulator received ${calls} calls meanwhile (the order polls, tokens).

| window | CPU | mean RSS | max RSS |
|---|---|---|---|
| first minute (start-up included) | ${first.cpu.toFixed(2)}% | ${first.rss.toFixed(1)} MiB | ${first.rssMax.toFixed(1)} MiB |
| minute 2 to the end | ${steady.cpu.toFixed(2)}% | ${steady.rss.toFixed(1)} MiB | ${steady.rssMax.toFixed(1)} MiB |
| last minute | ${lastMin.cpu.toFixed(2)}% | ${lastMin.rss.toFixed(1)} MiB | ${lastMin.rssMax.toFixed(1)} MiB |

RSS trend after the first minute: ${slope >= 0 ? '+' : ''}${slope.toFixed(2)} MiB/minute (least squares). CPU ${cpuFlat ? 'flat' : 'NOT flat'} (last minute at most
1% or 1.5x the steady mean); RSS ${rssFlat ? 'flat' : 'NOT flat'} (growing under 1 MiB/minute, the last minute under 10 MiB above minute 2).
`;
    process.stdout.write(body);
    if (write) writeSection(join(here, 'RESULTS.md'), 'Gateway: idle', body);
  } finally {
    await stopGateway(gateway);
    await emulator.stop();
    if (keep) process.stderr.write(`kept ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
}

await main();
