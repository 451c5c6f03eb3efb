/**
 * The gateway's scheduled flows over HTTP: each task's last run, next run and whether it runs
 * now, and "run now". Under `dockgate start` these come from the running scheduler
 * (deps.control); under `dockgate serve`, where no flow runs, from the last runs the gateway
 * wrote to the task-run cursors (CURSORS.taskRun), and run-now is refused.
 */
import { z } from 'zod';
import type { GatewayContext } from '../../flows/context.ts';
import { ApiError, CURSORS, defineRoute, type FlowTaskStatus, type RouteModule } from '../api.ts';
import { ErrorBodySchema } from './partners.ts';

const LastRun = z
  .object({
    startedAt: z.string(),
    finishedAt: z.string(),
    outcome: z.enum(['ran', 'skipped-overlap', 'skipped-locked', 'failed']),
    counts: z.record(z.string(), z.number()).describe("Summed counts of the run's flow summaries"),
    failed: z.number().int().nonnegative(),
    error: z.string().optional(),
  })
  .strict();

export const FlowTaskSchema = z
  .object({
    name: z.string().describe('The task: orders:<seller>, files:<partner>, checks, not-picked-up:<partner>, channels:<seller>'),
    schedule: z.string().describe('"every 60 s", the cron expression, or what serve knows'),
    lastRun: LastRun.nullable(),
    nextRunAt: z.string().nullable(),
    running: z.boolean(),
  })
  .strict() satisfies z.ZodType<FlowTaskStatus>;

const FlowList = z
  .object({
    items: z.array(FlowTaskSchema),
    running: z.boolean().describe('A gateway runs the flows in this process (false under dockgate serve)'),
  })
  .strict();

/** What `dockgate serve` says for a schedule it cannot know (it is the running gateway's configuration). */
export const SERVE_SCHEDULE = 'not known here: no gateway runs in this process (dockgate serve)';

const PREFIX = CURSORS.taskRun('');

/** The last runs the gateway recorded, one per task; a cursor that is not a run (hand-edited, another version) is left out, logged. */
export async function recordedTasks(ctx: GatewayContext): Promise<FlowTaskStatus[]> {
  const out: FlowTaskStatus[] = [];
  for (const c of await ctx.store.work.cursors.list(PREFIX)) {
    let parsed: z.ZodSafeParseResult<z.infer<typeof LastRun>> | null = null;
    try {
      parsed = LastRun.safeParse(JSON.parse(c.value));
    } catch {
      parsed = null;
    }
    if (!parsed?.success) {
      ctx.log.warn({ event: 'task-run-cursor-unreadable', cursor: c.name }, 'a task-run cursor is not a run record: not shown');
      continue;
    }
    out.push({ name: c.name.slice(PREFIX.length), schedule: SERVE_SCHEDULE, lastRun: parsed.data, nextRunAt: null, running: false });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

const NameParams = z.object({ name: z.string().regex(/^[A-Za-z0-9:._-]{1,100}$/, 'a task name from GET /flows (orders:acme, files:reno-wms, checks)') }).strict();

export const flowsRoutes: RouteModule = {
  name: 'flows',
  routes: [
    defineRoute({
      method: 'get',
      path: '/flows',
      operationId: 'listFlows',
      summary: 'The scheduled tasks: last run, next run, running now',
      tags: ['flows'],
      responses: { 200: { description: 'Every task (under dockgate serve: the last runs recorded, no next run)', schema: FlowList } },
      handler: async ({ deps }) => ({
        json: deps.control ? { items: deps.control.tasks(), running: true } : { items: await recordedTasks(deps.ctx), running: false },
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/flows/{name}/run',
      operationId: 'runFlow',
      summary: 'Run one task now',
      tags: ['flows'],
      params: NameParams,
      responses: {
        200: { description: 'The task after its run', schema: FlowTaskSchema },
        409: { description: 'No gateway runs here (dockgate serve), or the task is running already', schema: ErrorBodySchema },
      },
      handler: async ({ params, deps, principal }) => {
        if (!deps.control) throw new ApiError('conflict', 'no gateway runs here (dockgate serve); use dockgate start to run flows', 'path.name');
        deps.ctx.log.info({ event: 'flow-run-requested', task: params.name, by: principal.name }, 'task run requested over the API');
        return { json: await deps.control.runNow(params.name) };
      },
    }),
  ],
};
