/**
 * The running gateway as the API sees it (GET /api/v1/flows, POST /api/v1/flows/{name}/run):
 * the scheduler's tasks with their last run and next tick, and a run on demand that goes
 * through the same tick as the schedule (the task's lock, no overlap, its run recorded), so a
 * run from the dashboard is indistinguishable from a scheduled one.
 */
import { ApiError, CURSORS, type FlowTaskStatus, type GatewayControl } from '../server/api.ts';
import type { CursorsRepo } from '../store/work.ts';
import type { Scheduler } from './scheduler.ts';

export class SchedulerControl implements GatewayControl {
  constructor(private readonly scheduler: Scheduler) {}

  tasks(): FlowTaskStatus[] {
    return this.scheduler.statuses();
  }

  async runNow(name: string): Promise<FlowTaskStatus> {
    const before = this.scheduler.status(name);
    if (!before) throw new ApiError('not-found', `no task named ${name} (GET /api/v1/flows lists them)`, 'path.name', { tasks: this.scheduler.names });
    if (before.running) throw new ApiError('conflict', `${name} is running now; its run is not repeated`, 'path.name');
    const run = await this.scheduler.tick(name);
    if (run.outcome === 'skipped-overlap') throw new ApiError('conflict', `${name} started running meanwhile; its run is not repeated`, 'path.name');
    return this.scheduler.status(name)!;
  }
}

/**
 * The last runs the gateway recorded in the store (task-run:<name> cursors), for `dockgate
 * serve` where no scheduler runs: nothing is running and nothing is scheduled here.
 */
export async function recordedTaskRuns(cursors: CursorsRepo): Promise<FlowTaskStatus[]> {
  const prefix = CURSORS.taskRun('');
  const out: FlowTaskStatus[] = [];
  for (const c of await cursors.list(prefix)) {
    let lastRun: FlowTaskStatus['lastRun'] = null;
    try {
      lastRun = JSON.parse(c.value) as FlowTaskStatus['lastRun'];
    } catch {
      lastRun = null;
    }
    out.push({ name: c.name.slice(prefix.length), schedule: 'not scheduled here (dockgate serve)', lastRun, nextRunAt: null, running: false });
  }
  return out;
}
