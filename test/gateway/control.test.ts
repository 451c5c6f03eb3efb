/**
 * What the flows endpoint shows of the schedule: each task's last run (summed counts, failures,
 * times from the clock) kept by the scheduler and written to its task-run cursor, which is what
 * `dockgate serve` reads back; run-now through the same tick, refused for an unknown task
 * (404) and for one that is running (409). A run the test holds open stands for "running".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FlowRunSummary } from '../../src/flows/context.ts';
import { recordedTaskRuns, SchedulerControl } from '../../src/gateway/control.ts';
import { Scheduler } from '../../src/gateway/scheduler.ts';
import { ApiError, CURSORS } from '../../src/server/api.ts';
import { deferred, frozenTimers, storeContext } from './helpers.ts';

test('last runs, the task-run cursor, run-now refusing unknown and running tasks', async () => {
  const s = storeContext();
  try {
    const scheduler = new Scheduler(s.ctx, { timers: frozenTimers });
    const gate = deferred();
    let holdNext = false;
    scheduler.add({
      name: 'orders:acme',
      schedule: { seconds: 120 },
      run: async (): Promise<FlowRunSummary[]> => {
        s.clock.advance(1500);
        if (holdNext) await gate.promise;
        return [
          { flow: 'orders', counts: { taken: 2, sent: 1 }, failed: 0 },
          { flow: 'orders', counts: { taken: 1 }, failed: 1 },
        ];
      },
    });
    scheduler.add({
      name: 'checks',
      schedule: { cron: '0 * * * * *' },
      run: async () => {
        throw new Error('store busy');
      },
    });
    const control = new SchedulerControl(scheduler);
    assert.deepEqual(
      control.tasks().map((t) => [t.name, t.schedule, t.lastRun, t.nextRunAt, t.running]),
      [
        ['orders:acme', 'every 120 s', null, null, false],
        ['checks', '0 * * * * *', null, null, false],
      ],
    );
    const startedAt = s.clock.now().toISOString();
    const status = await control.runNow('orders:acme');
    assert.deepEqual(status.lastRun, { startedAt, finishedAt: new Date(Date.parse(startedAt) + 1500).toISOString(), outcome: 'ran', counts: { taken: 3, sent: 1 }, failed: 1 });
    assert.equal(status.running, false);
    const failed = await control.runNow('checks');
    assert.equal(failed.lastRun?.outcome, 'failed');
    assert.equal(failed.lastRun?.error, 'store busy');
    // What `dockgate serve` shows: the same last runs, from the store.
    assert.deepEqual(JSON.parse((await s.ctx.store.work.cursors.get(CURSORS.taskRun('orders:acme')))!), status.lastRun);
    const recorded = await recordedTaskRuns(s.ctx.store.work.cursors);
    assert.deepEqual(
      recorded.map((t) => [t.name, t.lastRun?.outcome, t.running, t.nextRunAt]),
      [
        ['checks', 'failed', false, null],
        ['orders:acme', 'ran', false, null],
      ],
    );
    await assert.rejects(control.runNow('orders:nobody'), (e: unknown) => e instanceof ApiError && e.code === 'not-found');
    holdNext = true;
    const held = control.runNow('orders:acme');
    for (let i = 0; i < 50 && !scheduler.status('orders:acme')!.running; i++) await new Promise((r) => setImmediate(r));
    assert.equal(control.tasks()[0].running, true);
    await assert.rejects(control.runNow('orders:acme'), (e: unknown) => e instanceof ApiError && e.code === 'conflict');
    gate.resolve();
    assert.equal((await held).running, false);
  } finally {
    await s.close();
  }
});

test('a started schedule says when each task runs next', async () => {
  const s = storeContext();
  try {
    const scheduler = new Scheduler(s.ctx, { timers: frozenTimers });
    scheduler.add({ name: 'files:reno-wms', schedule: { seconds: 90 }, run: async () => undefined });
    scheduler.add({ name: 'checks', schedule: { seconds: 60 }, run: async () => undefined });
    const before = Date.now();
    scheduler.start({ runNow: false });
    try {
      const [files, checks] = scheduler.statuses();
      // The interval timer: 90 s from the start. The cron one: the next whole minute.
      const filesNext = Date.parse(files.nextRunAt!);
      assert.ok(filesNext >= before + 90_000 && filesNext <= Date.now() + 90_000, files.nextRunAt!);
      const checksNext = Date.parse(checks.nextRunAt!);
      assert.equal(new Date(checksNext).getUTCSeconds(), 0);
      assert.ok(checksNext > before && checksNext <= Date.now() + 60_000, checks.nextRunAt!);
    } finally {
      await scheduler.stop();
    }
    assert.equal(scheduler.status('checks')!.nextRunAt, null);
  } finally {
    await s.close();
  }
});
