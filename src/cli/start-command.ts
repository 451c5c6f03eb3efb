/**
 * `dockgate start`: the gateway. Runs until SIGTERM / SIGINT (exit 0), or with --once one
 * cycle of every flow and the work that is ready (exit 0 when nothing failed, 1 otherwise).
 * The flags and variables are a contract checked from outside: see src/gateway/config.ts.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import type { GatewayFlags, HttpFlags } from '../gateway/config.ts';
import { requireDataDir, requireInputDir } from './user-paths.ts';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the gateway: every flow on its schedule and the outbox worker, until SIGTERM / SIGINT (exit 0); --once: one cycle, exit 0 when nothing failed, 1 otherwise')
    .option('--once', 'run one cycle of every flow, deliver the work that is ready, and exit')
    .option('--mappings <dir>', 'the mappings folder (env DOCKGATE_MAPPINGS; gateway.mappings; default ./mappings)')
    .option('--amazon-endpoint <url>', "http://host:port every seller's SP-API calls go to, e.g. dockgate sandbox amazon (env DOCKGATE_AMAZON_ENDPOINT)")
    .option('--amazon-time-scale <x>', "the emulator's --time-scale: the adapter's quota runs X times faster; refused against Amazon's own hosts (env DOCKGATE_AMAZON_TIME_SCALE)")
    .option('--partner-root <dir>', "every partner's transport a directory at <dir>/<partner id> with the partner's own directory names (env DOCKGATE_PARTNER_ROOT)")
    .option('--poll-seconds <n>', 'every poll (orders and files) every N seconds (env DOCKGATE_POLL_SECONDS)')
    .option('--http-port <n>', 'serve the API and dashboard on this port, 0 for a free one (env DOCKGATE_HTTP_PORT; http.port); without one, no server')
    .option('--http-host <host>', 'the address the API listens on (env DOCKGATE_HTTP_HOST; http.host; default 127.0.0.1)')
    .addHelpText('after', '\nThe configuration file is the global --config FILE (or $DOCKGATE_CONFIG, or ./dockgate.yaml); its gateway: section sets the rest, http: and api: the API (tokens: dockgate api token; or DOCKGATE_API_TOKEN). Logs are JSON lines on stdout; with a port, one of them is {"event":"listening","url":...}.')
    .action(async (opts: GatewayFlags & HttpFlags & { once?: boolean }, cmd: Command) => {
      // The gateway's modules load when it runs: every other command starts without them.
      const [{ flows }, { resolveGatewayConfig, resolveHttpConfig }, { gatewayLogger }, { runGateway, runGatewayOnce }] = await Promise.all([
        import('../flows/index.ts'),
        import('../gateway/config.ts'),
        import('../gateway/context.ts'),
        import('../gateway/start.ts'),
      ]);
      const loaded = loadConfig({ file: cmd.optsWithGlobals().config });
      const config = resolveGatewayConfig(loaded, opts);
      // Checked before anything starts, --once included: a bad flag is a usage error either way.
      const http = resolveHttpConfig(loaded, opts);
      requireInputDir(config.mappingsDir, 'mappings folder (--mappings, DOCKGATE_MAPPINGS or gateway.mappings)');
      requireDataDir(config.dataDir);
      const log = gatewayLogger();
      if (!config.storeKey) {
        log.warn({ event: 'store-unencrypted', variable: loaded.config.store.encryptionKeyEnv }, `${loaded.config.store.encryptionKeyEnv} is not set: raw files (buyer names and addresses among them) are stored unencrypted`);
      }
      // --once runs one cycle and exits: nothing to serve.
      const code = opts.once ? (await runGatewayOnce(config, flows, { log })).code : await runGateway(config, flows, { log, http });
      process.exitCode = code;
      // Everything was closed; should a library still hold a handle, it must not keep a stopped gateway alive.
      setTimeout(() => process.exit(code), 2000).unref();
    });
}
