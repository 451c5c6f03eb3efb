/**
 * Two gateway instances (two processes) on one store against the SP-API emulator, which enforces
 * Amazon's rate limits and answers 429 beyond them: both call one seller's operation as fast as
 * their quota lets them. With the buckets in the store they are answered no more 429s than one
 * instance making all the calls alone; with each process keeping its own buckets (what the shared
 * store replaces) they send twice the rate and are answered 429s, so the comparison can fail.
 *
 * Counts only (429s, calls), never durations. The emulator runs Amazon's rates at TIME_SCALE; one
 * token of the burst is kept back by QuotaRegistry, so a request may reach the emulator up to one
 * token interval (1000 / (2 x TIME_SCALE) ms = 250 ms here) after its token was taken before it
 * can meet a 429 our bucket did not foresee. What could delay it that long: the other process
 * holding the store's write lock (the clock is read once the lock is ours: not counted), the
 * processes still starting up (they load everything and fetch their access token first, then
 * wait for the word to go), a busy machine (the margin is a quarter of a second).
 *
 * Run as a child (DOCKGATE_QUOTA_CHILD set), this file is one instance: it prints "ready", waits
 * for a line on stdin, makes its calls and prints what became of them.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AmazonAdapter } from '../../src/amazon/adapter.ts';
import { QuotaRegistry } from '../../src/amazon/quota.ts';
import { AmazonEmulator } from '../../src/sandbox/amazon/emulator.ts';
import { openStore } from '../../src/store/index.ts';
import { realPostgresPerFile } from '../store/postgres-per-file.ts';
import { sampleSeed, SELLERS } from './helpers.ts';

/** Published: rate 2 per second, burst 2 (our bucket keeps one back: burst 1). */
const OPERATION = 'getInventorySummaries';
const TIME_SCALE = 2;
/** Calls of one run, whatever the number of instances making them. */
const CALLS = 16;
/** Callers at once in each instance (they queue for the bucket inside the process). */
const CALLERS = 4;

interface ChildConfig {
  port: number;
  calls: number;
  /** The store to share the buckets through; absent: buckets in the process. */
  store?: { dataDir: string; databaseUrl?: string };
}

interface ChildResult {
  ok: number;
  failed: string[];
}

const query = { details: true, granularityType: 'Marketplace', granularityId: 'ATVPDKIKX0DER', marketplaceIds: ['ATVPDKIKX0DER'] };

async function runInstance(config: ChildConfig): Promise<ChildResult> {
  const store = config.store && openStore({ ...config.store, retentionDays: 30 });
  const quota = new QuotaRegistry(TIME_SCALE, undefined, store && { repo: store.work.quota, onError: (e) => process.stderr.write(`quota write failed: ${String(e)}\n`) });
  // Enough attempts for the unshared instances to get through too: their 429s are what is counted.
  const adapter = new AmazonAdapter(SELLERS.acme, { endpoint: { port: config.port }, timeScale: TIME_SCALE, quota, maxAttempts: 20, timeoutMs: 10_000 });
  try {
    await adapter.restrictedDataToken([]).catch(() => undefined); // the access token, before the start
    process.stdout.write('ready\n');
    await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
    const result: ChildResult = { ok: 0, failed: [] };
    let left = config.calls;
    const caller = async () => {
      while (left > 0) {
        left--;
        try {
          await adapter.call(OPERATION, { query });
          result.ok++;
        } catch (e) {
          result.failed.push((e as Error).message);
        }
      }
    };
    await Promise.all(Array.from({ length: CALLERS }, caller));
    return result;
  } finally {
    adapter.close();
    await store?.close();
  }
}

if (process.env.DOCKGATE_QUOTA_CHILD) {
  const result = await runInstance(JSON.parse(process.env.DOCKGATE_QUOTA_CHILD) as ChildConfig);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const self = fileURLToPath(import.meta.url);

  /** One instance as its own process, started up to the point of calling. */
  function startInstance(config: ChildConfig): { ready: Promise<void>; go: () => void; done: Promise<ChildResult> } {
    const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', self], { env: { ...process.env, DOCKGATE_QUOTA_CHILD: JSON.stringify(config) } });
    let out = '';
    let err = '';
    let markReady!: () => void;
    const ready = new Promise<void>((r) => (markReady = r));
    child.stdout.on('data', (d) => {
      out += d;
      if (out.startsWith('ready\n')) markReady();
    });
    child.stderr.on('data', (d) => (err += d));
    const done = new Promise<ChildResult>((resolve, reject) =>
      child.on('close', (code) => {
        const last = out.trim().split('\n').at(-1) ?? '';
        if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as ChildResult);
        else reject(new Error(`quota instance exited ${code}: ${err || out}`));
      }),
    );
    // An instance that dies before it is ready must not leave the run waiting for it.
    done.catch(() => markReady());
    return { ready, go: () => child.stdin.end('go\n'), done };
  }

  /** `instances` processes making CALLS calls between them against a fresh emulator: its 429s and calls. */
  async function run(instances: number, store: (i: number) => ChildConfig['store']): Promise<{ throttled: number; answered: number; results: ChildResult[] }> {
    const emu = new AmazonEmulator({ seed: sampleSeed(), timeScale: TIME_SCALE });
    const port = await emu.start();
    try {
      const started = Array.from({ length: instances }, (_, i) => startInstance({ port, calls: CALLS / instances, store: store(i) }));
      await Promise.all(started.map((s) => s.ready));
      for (const s of started) s.go();
      const results = await Promise.all(started.map((s) => s.done));
      const calls = emu.calls.filter((c) => c.operation === OPERATION);
      return { throttled: calls.filter((c) => c.status === 429).length, answered: calls.filter((c) => c.status === 200).length, results };
    } finally {
      await emu.stop();
    }
  }

  const freshDir = () => join(mkdtempSync(join(tmpdir(), 'dockgate-quota-')), 'data');

  /** The comparison on one kind of store: `store()` gives a fresh one (each run its own). */
  async function compare(t: TestContext, store: () => { dataDir: string; databaseUrl?: string }): Promise<void> {
    const alone = await run(1, () => store());
    const shared = store();
    const together = await run(2, () => shared);
    t.diagnostic(`429s: one instance alone ${alone.throttled}, two sharing the store ${together.throttled}`);
    for (const r of [alone, together]) {
      assert.deepEqual(r.results.flatMap((x) => x.failed), [], 'every call got through');
      assert.equal(r.answered, CALLS, 'the emulator answered every call once');
    }
    assert.ok(together.throttled <= alone.throttled, `two instances sharing the store met ${together.throttled} 429s, one alone ${alone.throttled}`);
  }

  test('two instances on one SQLite data directory meet no more 429s than one instance making all the calls alone', async (t) => {
    await compare(t, () => ({ dataDir: freshDir() }));
  });

  test('two instances keeping their own buckets (no shared store) meet more 429s than one alone: what the shared buckets prevent', async (t) => {
    const alone = await run(1, () => undefined);
    const apart = await run(2, () => undefined);
    t.diagnostic(`429s: one instance alone ${alone.throttled}, two apart ${apart.throttled}`);
    assert.ok(apart.throttled > alone.throttled, `two instances apart met ${apart.throttled} 429s, one alone ${alone.throttled}`);
  });

  const postgres = realPostgresPerFile('shared quota');

  test('two instances on one PostgreSQL database meet no more 429s than one instance making all the calls alone', { skip: postgres.skip ?? false }, async (t) => {
    const urls: string[] = [];
    for (let i = 0; i < 2; i++) urls.push(await postgres.server().freshDatabase('quota'));
    let next = 0;
    await compare(t, () => ({ dataDir: freshDir(), databaseUrl: urls[next++] }));
  });
}
