/**
 * The schedule: a task never overlaps itself (a tick during a run is skipped), a second
 * instance on the same store does not run it at the same time (the store's named lock, taken
 * over once its holder's lease runs out), and one task's failure does not stop the others.
 * Ticks are called by hand; lock times come from the TestClock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FlowRunSummary } from '../../src/flows/context.ts';
import { Scheduler } from '../../src/gateway/scheduler.ts';
import { deferred, frozenTimers, storeContext } from './helpers.ts';

const summary = (flow: string, failed = 0): FlowRunSummary => ({ flow, counts: { n: 1 }, failed });

test('a tick while the previous run is still going is skipped; the next one after it runs', async () => {
  const s = storeContext();
  try {
    const scheduler = new Scheduler(s.ctx, { timers: frozenTimers });
    const gate = deferred();
    let runs = 0;
    scheduler.add({
      name: 'files:reno-wms',
      schedule: { seconds: 90 },
      run: async () => {
        runs++;
        await gate.promise;
        return summary('inbound');
      },
    });
    const first = scheduler.tick('files:reno-wms');
    for (let i = 0; i < 50 && runs === 0; i++) await new Promise((r) => setImmediate(r));
    s.clock.advance(90_000);
    const second = await scheduler.tick('files:reno-wms');
    assert.equal(second.outcome, 'skipped-overlap');
    assert.equal(runs, 1);
    gate.resolve();
    assert.equal((await first).outcome, 'ran');
    s.clock.advance(90_000);
    const third = await scheduler.tick('files:reno-wms');
    assert.equal(third.outcome, 'ran');
    assert.equal(runs, 2);
    assert.ok(s.logs.some((l) => l.event === 'task-skipped' && l.task === 'files:reno-wms'));
  } finally {
    await s.close();
  }
});

test('two instances on one store: the one holding the lock runs the task, the other skips it; a dead holder\'s lock is taken over after its lease', async () => {
  const a = storeContext({ instanceId: 'a:1:x' });
  const b = storeContext({ dataDir: a.dataDir, clock: a.clock, instanceId: 'b:2:y' });
  try {
    const gate = deferred();
    const ran: string[] = [];
    const make = (ctx: typeof a.ctx, who: string, wait: boolean) => {
      const sch = new Scheduler(ctx, { timers: frozenTimers, lockMs: 60_000 });
      sch.add({
        name: 'checks',
        schedule: { seconds: 60 },
        run: async () => {
          ran.push(who);
          if (wait) await gate.promise;
        },
      });
      return sch;
    };
    const sa = make(a.ctx, 'a', true);
    const sb = make(b.ctx, 'b', false);
    const running = sa.tick('checks');
    for (let i = 0; i < 50 && ran.length === 0; i++) await new Promise((r) => setImmediate(r));
    assert.equal((await sb.tick('checks')).outcome, 'skipped-locked');
    gate.resolve();
    assert.equal((await running).outcome, 'ran');
    assert.equal((await sb.tick('checks')).outcome, 'ran', 'released when the run ended');
    assert.deepEqual(ran, ['a', 'b']);

    // A holder that died: its lock is someone else's once the lease has run out.
    assert.equal(await a.ctx.store.work.locks.acquire('task:checks', 'dead:9:z', a.clock.now().toISOString(), 60_000), true);
    assert.equal((await sb.tick('checks')).outcome, 'skipped-locked');
    a.clock.advance(60_001);
    assert.equal((await sb.tick('checks')).outcome, 'ran');
  } finally {
    await b.close();
    await a.close();
  }
});

test("one task's failure is counted and logged; the others still run", async () => {
  const s = storeContext();
  try {
    const scheduler = new Scheduler(s.ctx, { timers: frozenTimers });
    scheduler.add({
      name: 'orders:acme',
      schedule: { seconds: 120 },
      run: async () => {
        throw new Error('acme exploded');
      },
    });
    scheduler.add({ name: 'orders:northwind', schedule: { seconds: 120 }, run: async () => summary('orders', 0) });
    scheduler.add({ name: 'checks', schedule: { cron: '*/30 * * * * *' }, run: async () => [summary('acks-overdue'), summary('late-orders', 2)] });
    const runs = await scheduler.runAll();
    assert.deepEqual(
      runs.map((r) => [r.task, r.outcome, r.failed]),
      [
        ['orders:acme', 'failed', 1],
        ['orders:northwind', 'ran', 0],
        ['checks', 'ran', 2],
      ],
    );
    assert.match(runs[0].error!, /acme exploded/);
    assert.ok(s.logs.some((l) => l.event === 'task-failed' && l.task === 'orders:acme'));
    // The failed run released its lock: the next tick runs again.
    assert.equal((await scheduler.tick('orders:acme')).outcome, 'failed');
  } finally {
    await s.close();
  }
});

test('a bad schedule is refused when the task is added', async () => {
  const s = storeContext();
  try {
    const scheduler = new Scheduler(s.ctx, { timers: frozenTimers });
    assert.throws(() => scheduler.add({ name: 'x', schedule: { seconds: 0 }, run: async () => undefined }), RangeError);
    scheduler.add({ name: 'y', schedule: { seconds: 5 }, run: async () => undefined });
    assert.throws(() => scheduler.add({ name: 'y', schedule: { seconds: 5 }, run: async () => undefined }), /already added/);
  } finally {
    await s.close();
  }
});
