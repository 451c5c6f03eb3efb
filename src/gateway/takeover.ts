/**
 * Leases held by a gateway process on this machine that no longer exists. A lease (on an outbox
 * job, on a scheduled task's lock) protects work from a second instance while its holder lives;
 * a holder killed with SIGKILL or by a power cut leaves it to run out (a job's 2 minutes, a task's
 * lock longer). On start, a holder on this host whose process is gone is known dead without
 * waiting: its leases are taken back at once. Holders on other hosts, or whose pid is alive (even
 * if reused by an unrelated process), keep theirs until the lease runs out.
 */
import { hostname } from 'node:os';
import type { GatewayContext } from '../flows/context.ts';

/** An instance id is host:pid:random (newInstanceId): is it a process of this host that is gone? */
export function isDeadLocalOwner(owner: string, self: string, host = hostname()): boolean {
  if (owner === self) return false;
  const m = /^(.*):(\d+):[0-9a-f]+$/.exec(owner);
  if (!m || m[1] !== host) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    // EPERM: it exists (another user's); ESRCH: it is gone.
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export async function takeOverDeadHolders(ctx: GatewayContext): Promise<{ owners: string[]; jobs: number; locks: number }> {
  const now = ctx.clock.now().toISOString();
  const w = ctx.store.work;
  const owners = [...new Set([...(await w.jobs.leaseOwners(now)), ...(await w.locks.owners(now))])].filter((o) => isDeadLocalOwner(o, ctx.instanceId));
  let jobs = 0;
  let locks = 0;
  for (const owner of owners) {
    jobs += await w.jobs.releaseOwner(owner, now);
    locks += await w.locks.releaseOwner(owner);
  }
  if (owners.length) ctx.log.warn({ event: 'dead-holders-taken-over', owners, jobs, locks }, `took back ${jobs} job lease(s) and ${locks} task lock(s) of ${owners.length} gateway process(es) of this host that are gone`);
  return { owners, jobs, locks };
}
