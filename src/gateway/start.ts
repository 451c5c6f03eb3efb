/**
 * `dockgate start` put together: the mappings loaded (a partner or seller whose files have
 * problems is left out, with a mapping-problem exception, while the others run), the context,
 * the gateway, and the process's life: one JSON line when running, SIGTERM / SIGINT to stop
 * (no new work, the unit in hand finished or released, the store closed, exit 0 within 30 s).
 */
import { ConfigError } from '../config/config.ts';
import type { GatewayClock } from '../flows/context.ts';
import { formatProblem, loadMappings, type MappingProblem, type Mappings } from '../mapping/load.ts';
import type { ApiDeps, MetricsEndpoint } from '../server/api.ts';
import type { RunningHttpServer } from '../server/listen.ts';
import { activeIds, checkTimeScale, type GatewayConfig, type HttpConfig } from './config.ts';
import { SchedulerControl } from './control.ts';
import { MappingReloader, recordMappingProblems } from './reload.ts';
import { allRetries } from './retries.ts';
import { buildGatewayContext, gatewayLogger, type BuiltContext } from './context.ts';
import { takeOverDeadHolders } from './takeover.ts';
import { Gateway, mappingProblemScope, type FlowRegistry, type OnceResult } from './gateway.ts';
import type { Logger } from 'pino';

/** Total time from a signal to exit: the contract says 30 s; the rest is margin for closing the store. */
export const SHUTDOWN_DEADLINE_MS = 28_000;
/** Of which the jobs in hand get this long before they are released. */
export const JOB_GRACE_MS = 20_000;

export interface Prepared {
  gateway: Gateway;
  built: BuiltContext;
  mappings: Mappings;
  problems: MappingProblem[];
  sellers: string[];
  partners: string[];
}

/** Load the mappings and build the gateway; ConfigError when nothing could run. */
export async function prepareGateway(config: GatewayConfig, flows: FlowRegistry, options: { log?: Logger; clock?: GatewayClock; env?: NodeJS.ProcessEnv; random?: () => number } = {}): Promise<Prepared> {
  const log = options.log ?? gatewayLogger();
  const loaded = loadMappings(config.mappingsDir);
  const { mappings, problems } = loaded;
  if (mappings.partners.size === 0 || mappings.sellers.size === 0) {
    const shown = problems.slice(0, 10).map((p) => `  ${formatProblem(p)}`);
    throw new ConfigError(`${config.mappingsDir}: no usable ${mappings.partners.size === 0 ? 'partner' : 'seller'} in the mappings (--mappings / DOCKGATE_MAPPINGS / gateway.mappings)${shown.length ? `:\n${shown.join('\n')}` : ''}`);
  }
  const scope = mappingProblemScope(mappings, problems);
  const sellers = activeIds('seller', config.sellers, mappings.sellers.keys()).filter((s) => !scope.sellers.has(s));
  const partners = activeIds('partner', config.partners, mappings.partners.keys()).filter((p) => !scope.partners.has(p));
  checkTimeScale(config, sellers);
  const built = buildGatewayContext(config, { mappings, log, clock: options.clock, env: options.env });
  const { ctx } = built;
  try {
    await recordMappingProblems(ctx, problems, scope);
  } catch (e) {
    await built.close();
    throw e;
  }
  if (scope.partners.size || scope.sellers.size) {
    log.warn({ event: 'left-out', partners: [...scope.partners], sellers: [...scope.sellers] }, 'left out because of mapping problems');
  }
  // A gateway of this host killed mid-work left leases: taken back now rather than after they run out.
  await takeOverDeadHolders(ctx);
  const gateway = new Gateway(ctx, config, flows, { sellers, partners, random: options.random });
  return { gateway, built, mappings, problems, sellers, partners };
}

/** `--once`: one cycle, the ready jobs, exit code 0 when nothing failed, 1 otherwise. */
export async function runGatewayOnce(config: GatewayConfig, flows: FlowRegistry, options: Parameters<typeof prepareGateway>[2] = {}): Promise<{ code: number; result: OnceResult }> {
  const p = await prepareGateway(config, flows, options);
  const { log } = p.built.ctx;
  try {
    log.info({ event: 'started', mode: 'once', instance: p.built.ctx.instanceId, sellers: p.sellers, partners: p.partners, dataDir: config.dataDir, store: p.built.ctx.store.location, mappings: config.mappingsDir }, 'gateway: one cycle');
    const result = await p.gateway.runOnce();
    if (p.problems.length) result.failures.unshift(`mappings: ${p.problems.length} problem(s) (dockgate mappings check)`);
    result.ok = result.failures.length === 0;
    const jobs: Record<string, number> = {};
    for (const j of result.jobs) jobs[j.outcome] = (jobs[j.outcome] ?? 0) + 1;
    log.info({ event: 'cycle-done', ok: result.ok, tasks: result.runs.length, jobs, failures: result.failures }, result.ok ? 'cycle done' : `cycle done with ${result.failures.length} failure(s)`);
    return { code: result.ok ? 0 : 1, result };
  } finally {
    await p.built.close();
    log.flush?.();
  }
}

/** What the API needs of a prepared gateway: its context, its schedule, its mappings' reload. */
export function gatewayApiDeps(p: Prepared, flows: FlowRegistry, dataDir: string, metrics: MetricsEndpoint): ApiDeps {
  const { ctx } = p.built;
  const reloader = new MappingReloader(ctx, { sellers: p.sellers, partners: p.partners }, p.problems);
  return {
    ctx,
    control: new SchedulerControl(p.gateway.scheduler),
    retries: allRetries(flows),
    mappingProblems: () => reloader.problems(),
    reloadMappings: () => reloader.reload(),
    metrics,
    dataDir,
  };
}

export interface RunOptions {
  log?: Logger;
  clock?: GatewayClock;
  env?: NodeJS.ProcessEnv;
  random?: () => number;
  /** The API and dashboard; listens after the gateway starts when its port is set (not null). */
  http?: HttpConfig;
}

/** Run until SIGTERM / SIGINT; resolves with the exit code. */
export async function runGateway(config: GatewayConfig, flows: FlowRegistry, options: RunOptions = {}): Promise<number> {
  const p = await prepareGateway(config, flows, options);
  const { ctx } = p.built;
  const { log } = ctx;
  p.gateway.start();
  log.info(
    { event: 'started', mode: 'continuous', instance: ctx.instanceId, sellers: p.sellers, partners: p.partners, tasks: p.gateway.scheduler.names, dataDir: config.dataDir, store: ctx.store.location, mappings: config.mappingsDir, amazon: config.amazon.endpoint?.url ?? 'amazon', partnerRoot: config.partnerRoot },
    'gateway running',
  );
  let server: RunningHttpServer | null = null;
  if (options.http && options.http.port !== null) {
    // The server's modules load only when it listens: --once and a gateway without a port start without them.
    const { startHttpServer, metricsFor } = await import('../server/listen.ts');
    try {
      server = await startHttpServer(gatewayApiDeps(p, flows, config.dataDir, metricsFor(ctx)), { ...options.http, port: options.http.port, log });
    } catch (e) {
      // The port is taken or the host is not ours: the gateway does not run half-configured.
      await p.gateway.stop(JOB_GRACE_MS);
      await p.built.close();
      throw e;
    }
  }
  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ event: 'stopping', signal }, `${signal}: stopping (no new work; the work in hand is finished or released)`);
      // The store's writes are transactions and the work is leased: exiting at the deadline
      // loses nothing (what was in hand is taken again), so the exit is 0 either way.
      const deadline = setTimeout(() => {
        log.warn({ event: 'stopped', forced: true }, 'stop deadline reached: exiting with work still in progress (it is taken again after its lease)');
        log.flush?.();
        resolveExit(0);
      }, SHUTDOWN_DEADLINE_MS);
      deadline.unref();
      void (async () => {
        try {
          // The API first: no request reaches a store that is closing.
          await server?.close();
          await p.gateway.stop(JOB_GRACE_MS);
          await p.built.close();
          log.info({ event: 'stopped', forced: false }, 'stopped');
        } catch (e) {
          log.error({ event: 'stop-failed', err: (e as Error).message }, 'stopping failed');
        } finally {
          clearTimeout(deadline);
          log.flush?.();
          resolveExit(0);
        }
      })();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
