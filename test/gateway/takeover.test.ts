/**
 * Leases of a gateway process of this host that is gone (SIGKILL, power cut) are taken back at
 * start instead of after they run out; those of a live process, of another host, or of one whose
 * id is not ours to read are left alone.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { isDeadLocalOwner, takeOverDeadHolders } from '../../src/gateway/takeover.ts';
import { storeContext } from './helpers.ts';

/** The pid of a process that has certainly exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
}

test('the leases and task locks of a dead local gateway are taken back at start; a live or remote holder keeps them', async () => {
  const s = storeContext();
  try {
    const { ctx, clock } = s;
    const now = clock.now().toISOString();
    const dead = `${hostname()}:${deadPid()}:0badc0de`;
    const live = `${hostname()}:${process.ppid}:1234abcd`;
    const remote = `other-host:${deadPid()}:5678abcd`;
    assert.equal(isDeadLocalOwner(dead, ctx.instanceId), true);
    assert.equal(isDeadLocalOwner(live, ctx.instanceId), false);
    assert.equal(isDeadLocalOwner(remote, ctx.instanceId), false);
    assert.equal(isDeadLocalOwner('not-an-instance-id', ctx.instanceId), false);
    const w = ctx.store.work;
    for (const key of ['a', 'b', 'c']) await w.jobs.enqueue({ kind: 'deliver-file', key, payload: {} }, now);
    const [a] = await w.jobs.claim({ owner: dead, now, leaseMs: 120_000, limit: 1 });
    const [b] = await w.jobs.claim({ owner: live, now, leaseMs: 120_000, limit: 1 });
    const [c] = await w.jobs.claim({ owner: remote, now, leaseMs: 120_000, limit: 1 });
    assert.ok(await w.locks.acquire('task:orders:acme', dead, now, 600_000));
    assert.ok(await w.locks.acquire('task:files:reno-wms', live, now, 600_000));

    const taken = await takeOverDeadHolders(ctx);
    assert.deepEqual(taken, { owners: [dead], jobs: 1, locks: 1 });
    const again = (await w.jobs.claim({ owner: ctx.instanceId, now, leaseMs: 120_000, limit: 10 })).map((j) => j.id);
    assert.deepEqual(again, [a.id], 'only the dead holder\'s job is free again, before its lease ran out');
    assert.equal((await w.jobs.get(a.id))!.attempts, 2, 'the crashed attempt stays counted');
    assert.equal((await w.jobs.get(b.id))!.leaseOwner, live);
    assert.equal((await w.jobs.get(c.id))!.leaseOwner, remote);
    assert.ok(await w.locks.acquire('task:orders:acme', ctx.instanceId, now, 600_000), "the dead holder's task lock is free");
    assert.equal(await w.locks.acquire('task:files:reno-wms', ctx.instanceId, now, 600_000), false, "a live holder's is not");
  } finally {
    await s.close();
  }
});
