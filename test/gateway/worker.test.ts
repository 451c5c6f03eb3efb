/**
 * The outbox worker over a real SQLite store: retried with backoff then done; a PermanentError
 * dead with the exception it names; attempts used up dead with the kind's exception; a lease
 * that runs out taken by another worker (two workers, one store); stop() gives back the job
 * still running. Time moves only by the TestClock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PermanentError, type JobHandler } from '../../src/flows/context.ts';
import { OutboxWorker } from '../../src/gateway/worker.ts';
import { deferred, frozenTimers, storeContext } from './helpers.ts';

const BACKOFF = { baseMs: 1000, capMs: 60_000 };

test('a failing job is retried with backoff (full jitter from the injected source) and then done', async () => {
  const s = storeContext();
  try {
    const { ctx, clock } = s;
    let calls = 0;
    const deliver: JobHandler = async (job) => {
      calls++;
      assert.equal(job.payload.file, 'a.edi');
      if (calls < 3) throw new Error(`connection reset (${calls})`);
    };
    const { job } = await ctx.store.work.jobs.enqueue({ kind: 'deliver-file', key: 'deliver:1', partner: 'reno-wms', payload: { file: 'a.edi' } }, clock.now().toISOString());
    const worker = new OutboxWorker(ctx, { handlers: { 'deliver-file': deliver }, backoff: BACKOFF, random: () => 0.5 });

    assert.deepEqual((await worker.drain()).map((r) => r.outcome), ['retry']);
    let row = (await ctx.store.work.jobs.get(job.id))!;
    assert.equal(row.state, 'pending');
    assert.equal(row.attempts, 1);
    assert.equal(row.lastError, 'connection reset (1)');
    assert.equal(row.leaseOwner, null);
    assert.equal(Date.parse(row.nextAttemptAt) - clock.now().getTime(), 500, 'attempt 1: 0.5 x min(cap, 1000 x 2^0)');
    assert.deepEqual(await worker.drain(), [], 'not ready before its time');

    clock.advance(500);
    assert.deepEqual((await worker.drain()).map((r) => r.outcome), ['retry']);
    row = (await ctx.store.work.jobs.get(job.id))!;
    assert.equal(Date.parse(row.nextAttemptAt) - clock.now().getTime(), 1000, 'attempt 2: 0.5 x 2000');

    clock.advance(1000);
    assert.deepEqual((await worker.drain()).map((r) => r.outcome), ['done']);
    row = (await ctx.store.work.jobs.get(job.id))!;
    assert.equal(row.state, 'done');
    assert.equal(row.attempts, 3);
    assert.equal(calls, 3);
    assert.ok(s.logs.some((l) => l.event === 'job-retry' && l.key === 'deliver:1'));
    assert.ok(s.logs.some((l) => l.event === 'job-done' && l.key === 'deliver:1'));
  } finally {
    await s.close();
  }
});

test('PermanentError: the job is dead at once with the exception it names; attempts used up: dead with the kind\'s exception', async () => {
  const s = storeContext();
  try {
    const { ctx, clock } = s;
    const now = clock.now().toISOString();
    await ctx.store.work.jobs.enqueue({ kind: 'confirm-package', key: 'confirm:7', seller: 'acme', payload: {} }, now);
    await ctx.store.work.jobs.enqueue({ kind: 'deliver-file', key: 'deliver:8', partner: 'reno-wms', payload: {} }, now);
    const worker = new OutboxWorker(ctx, {
      handlers: {
        'confirm-package': async () => {
          throw new PermanentError('confirmShipment: InvalidInput: bad carrier', { kind: 'amazon-refused', key: '113-1-1', seller: 'acme' });
        },
        'deliver-file': async () => {
          throw new Error('network down');
        },
      },
      maxAttempts: 2,
      backoff: BACKOFF,
      random: () => 0,
    });
    // random 0: the retry is due at once, so the same drain makes the second (last) attempt.
    const results = await worker.drain();
    assert.deepEqual(results.map((r) => [r.key, r.outcome]).sort(), [['confirm:7', 'dead'], ['deliver:8', 'dead'], ['deliver:8', 'retry']]);
    assert.deepEqual(results.filter((r) => r.key === 'deliver:8').map((r) => r.outcome), ['retry', 'dead']);
    const dead = (await ctx.store.work.jobs.byKey('confirm:7'))!;
    assert.equal(dead.state, 'dead');
    assert.equal(dead.attempts, 1, 'no second attempt for a permanent failure');
    const refused = await ctx.store.work.exceptions.find('amazon-refused', '113-1-1', 'acme', null);
    assert.ok(refused, 'the exception the error names');
    assert.match(refused.message, /InvalidInput: bad carrier/);

    assert.equal((await ctx.store.work.jobs.byKey('deliver:8'))!.state, 'dead');
    const failed = await ctx.store.work.exceptions.find('delivery-failed', 'deliver:8', null, 'reno-wms');
    assert.ok(failed, 'a dead deliver-file job is a delivery-failed exception');
    assert.match(failed.message, /failed 2 times, given up: network down/);
  } finally {
    await s.close();
  }
});

test('a job with no handler is dead with an exception, not retried forever', async () => {
  const s = storeContext();
  try {
    await s.ctx.store.work.jobs.enqueue({ kind: 'publish-feed', key: 'feed:acme:1', seller: 'acme', payload: {} }, s.clock.now().toISOString());
    const results = await new OutboxWorker(s.ctx, { handlers: {} }).drain();
    assert.deepEqual(results.map((r) => r.outcome), ['dead']);
    assert.ok(await s.ctx.store.work.exceptions.find('feed-error', 'feed:acme:1', 'acme', null));
  } finally {
    await s.close();
  }
});

test('a lease that runs out (its worker stopped renewing it) is taken by another worker on the same store; the first one\'s late verdict changes nothing', async () => {
  const a = storeContext({ instanceId: 'host-a:1:aaaa' });
  const b = storeContext({ dataDir: a.dataDir, clock: a.clock, instanceId: 'host-b:2:bbbb' });
  try {
    const hang = deferred();
    let bRan = 0;
    await a.ctx.store.work.jobs.enqueue({ kind: 'deliver-file', key: 'deliver:lease', payload: {} }, a.clock.now().toISOString());
    // Worker A takes the job and hangs in it, its lease renewal frozen: as a crashed process.
    const workerA = new OutboxWorker(a.ctx, { handlers: { 'deliver-file': () => hang.promise }, timers: frozenTimers });
    const drainA = workerA.drain();
    for (let i = 0; i < 50 && !(await a.ctx.store.work.jobs.byKey('deliver:lease'))!.leaseOwner; i++) await new Promise((r) => setImmediate(r));
    const leased = (await a.ctx.store.work.jobs.byKey('deliver:lease'))!;
    assert.equal(leased.leaseOwner, 'host-a:1:aaaa');

    const workerB = new OutboxWorker(b.ctx, { handlers: { 'deliver-file': async () => void bRan++ } });
    assert.deepEqual(await workerB.drain(), [], 'B does not take a job under a live lease');
    a.clock.advance(a.ctx.settings.leaseMs + 1);
    assert.deepEqual((await workerB.drain()).map((r) => r.outcome), ['done'], 'B takes it once the lease ran out');
    assert.equal(bRan, 1);
    const done = (await b.ctx.store.work.jobs.byKey('deliver:lease'))!;
    assert.equal(done.state, 'done');
    assert.equal(done.attempts, 2);

    hang.resolve();
    assert.deepEqual((await drainA).map((r) => r.outcome), ['lost'], "A's completion after losing the lease is refused");
    assert.ok(a.logs.some((l) => l.event === 'lease-lost'));
  } finally {
    await b.close();
    await a.close();
  }
});

test('stop(): no new work is taken; a job still running at the end of the grace time is given back without counting its attempt', async () => {
  const s = storeContext();
  try {
    const { ctx, clock } = s;
    const started = deferred();
    const hang = deferred();
    let runs = 0;
    const now = clock.now().toISOString();
    await ctx.store.work.jobs.enqueue({ kind: 'deliver-file', key: 'deliver:stop', payload: {} }, now);
    const worker = new OutboxWorker(ctx, {
      concurrency: 1,
      handlers: {
        'deliver-file': () => {
          runs++;
          started.resolve();
          return hang.promise;
        },
      },
    });
    worker.start();
    await started.promise;
    assert.equal((await ctx.store.work.jobs.byKey('deliver:stop'))!.attempts, 1);
    // Work enqueued now is not taken: the worker is stopping.
    await worker.stop(0);
    await ctx.store.work.jobs.enqueue({ kind: 'deliver-file', key: 'deliver:after', payload: {} }, now);
    const row = (await ctx.store.work.jobs.byKey('deliver:stop'))!;
    assert.equal(row.state, 'pending');
    assert.equal(row.leaseOwner, null, 'released: another worker takes it at once');
    assert.equal(row.attempts, 0, 'the interrupted attempt is not counted');
    assert.deepEqual(worker.results.map((r) => r.outcome), ['released']);
    hang.resolve();
    await new Promise((r) => setImmediate(r));
    assert.equal(runs, 1);
    assert.equal((await ctx.store.work.jobs.byKey('deliver:after'))!.attempts, 0);
    assert.ok(s.logs.some((l) => l.event === 'job-released'));
  } finally {
    await s.close();
  }
});

test('stop() lets a job that finishes within the grace time complete', async () => {
  const s = storeContext();
  try {
    const { ctx, clock } = s;
    const started = deferred();
    const finish = deferred();
    await ctx.store.work.jobs.enqueue({ kind: 'deliver-file', key: 'deliver:finish', payload: {} }, clock.now().toISOString());
    const worker = new OutboxWorker(ctx, {
      concurrency: 2,
      handlers: {
        'deliver-file': async () => {
          started.resolve();
          await finish.promise;
        },
      },
    });
    worker.start();
    await started.promise;
    const stopping = worker.stop(60_000);
    finish.resolve();
    await stopping;
    assert.equal((await ctx.store.work.jobs.byKey('deliver:finish'))!.state, 'done');
    assert.deepEqual(worker.results.map((r) => r.outcome), ['done']);
  } finally {
    await s.close();
  }
});
