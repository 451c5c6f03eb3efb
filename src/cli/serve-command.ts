/**
 * `dockgate serve`: the API and the dashboard over an existing data directory and mappings,
 * with no flows running — for looking at (and acting on: assign, resolve, retry, resend) what
 * a gateway elsewhere, or one that stopped, recorded. The flows endpoint shows the last runs
 * the gateway wrote to the store; run-now answers 409 here. SIGTERM / SIGINT: exit 0.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import type { HttpFlags } from '../gateway/config.ts';
import { UsageError } from './usage-error.ts';
import { requireDataDir, requireInputDir } from './user-paths.ts';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the API and dashboard over an existing data directory and mappings, without running any flow (dockgate start runs them); until SIGTERM / SIGINT (exit 0)')
    .option('--mappings <dir>', 'the mappings folder (env DOCKGATE_MAPPINGS; gateway.mappings; default ./mappings)')
    .option('--http-port <n>', 'the port, 0 for a free one (env DOCKGATE_HTTP_PORT; http.port; default 8740)')
    .option('--http-host <host>', 'the address to listen on (env DOCKGATE_HTTP_HOST; http.host; default 127.0.0.1)')
    .addHelpText('after', '\nTokens: api.tokens in the configuration (dockgate api token makes one) and DOCKGATE_API_TOKEN. Logs are JSON lines on stdout; one of them is {"event":"listening","url":...}.')
    .action(async (opts: HttpFlags & { mappings?: string }, cmd: Command) => {
      // The server's modules load when it runs: every other command starts without them.
      const [{ flows }, { activeIds, resolveGatewayConfig, resolveHttpConfig, DEFAULT_SERVE_PORT }, { buildGatewayContext, gatewayLogger }, { MappingReloader }, { allRetries }, { loadMappings, formatProblem }, { mappingProblemScope }, { startHttpServer, metricsFor }] =
        await Promise.all([
          import('../flows/index.ts'),
          import('../gateway/config.ts'),
          import('../gateway/context.ts'),
          import('../gateway/reload.ts'),
          import('../gateway/retries.ts'),
          import('../mapping/load.ts'),
          import('../gateway/gateway.ts'),
          import('../server/listen.ts'),
        ]);
      const loaded = loadConfig({ file: cmd.optsWithGlobals().config });
      const config = resolveGatewayConfig(loaded, { mappings: opts.mappings });
      const http = resolveHttpConfig(loaded, opts, process.env, DEFAULT_SERVE_PORT);
      requireInputDir(config.mappingsDir, 'mappings folder (--mappings, DOCKGATE_MAPPINGS or gateway.mappings)');
      requireDataDir(config.dataDir);
      if (!existsSync(config.dataDir)) throw new UsageError(`no data directory at ${config.dataDir}: dockgate serve shows what a gateway recorded; run dockgate start first, or point DOCKGATE_DATA_DIR (dataDir) at its data`);
      const log = gatewayLogger();
      const { mappings, problems } = loadMappings(config.mappingsDir);
      for (const p of problems) log.warn({ event: 'mapping-problem', file: p.file, problem: formatProblem(p) }, formatProblem(p));
      const scope = mappingProblemScope(mappings, problems);
      const sellers = activeIds('seller', config.sellers, mappings.sellers.keys()).filter((s) => !scope.sellers.has(s));
      const partners = activeIds('partner', config.partners, mappings.partners.keys()).filter((p) => !scope.partners.has(p));
      const built = buildGatewayContext(config, { mappings, log });
      const { ctx } = built;
      const reloader = new MappingReloader(ctx, { sellers, partners }, problems);
      let server: Awaited<ReturnType<typeof startHttpServer>>;
      try {
        server = await startHttpServer(
          { ctx, control: null, retries: allRetries(flows), mappingProblems: () => reloader.problems(), reloadMappings: () => reloader.reload(), metrics: metricsFor(ctx), dataDir: config.dataDir },
          { ...http, port: http.port ?? DEFAULT_SERVE_PORT, log },
        );
      } catch (e) {
        await built.close();
        throw e;
      }
      log.info({ event: 'serving', dataDir: config.dataDir, store: ctx.store.location, mappings: config.mappingsDir, sellers, partners }, 'serving the API and dashboard; no flows run here (dockgate start runs them)');
      const signal = await new Promise<string>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      });
      log.info({ event: 'stopping', signal }, `${signal}: stopping`);
      await server.close();
      await built.close();
      log.info({ event: 'stopped', forced: false }, 'stopped');
      log.flush?.();
      process.exitCode = 0;
      // Everything was closed; a library's leftover handle must not keep a stopped server alive.
      setTimeout(() => process.exit(0), 2000).unref();
    });
}
