/**
 * `dockgate sandbox amazon`: the local SP-API emulator on its own, for trying Dockgate (or
 * anything else that speaks SP-API through an endpoint override) without Amazon.
 */
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { AckMode, WarehouseSimulator } from '../sandbox/warehouse/index.ts';
import { decimalNumber, portNumber, wholeNumber } from './options.ts';
import { loadCheckedMappings } from './translate-command.ts';
import { UsageError } from './usage-error.ts';
import { requireInputFile } from './user-paths.ts';

const DEFAULT_SEED = fileURLToPath(new URL('../../samples/sandbox/amazon-seed.yaml', import.meta.url));

const share = (flag: string) => decimalNumber(flag, { min: 0, max: 1, unit: 'a share of requests' });
const positive = (flag: string, unit: string) => decimalNumber(flag, { min: 0, aboveMin: true, max: 1e9, unit });

export function registerSandboxCommand(program: Command): void {
  const sandbox = program.command('sandbox').description('local stand-ins for the outside world');
  sandbox
    .command('amazon')
    .description('run the local SP-API emulator (LWA tokens, orders, confirmations, listings, FBA inventory and inbound, labels, reports) until stopped')
    .option('--port <n>', 'port (0: any free port)', portNumber('--port', true), 8910)
    .option('--host <h>', 'address to listen on (0.0.0.0 inside a container; the emulator has no authentication worth the name: keep it off shared networks)', '127.0.0.1')
    .option('--seed <file>', 'sellers, orders, listings, inventory, inbound plans and reports (YAML or JSON)', DEFAULT_SEED)
    .option('--time-scale <x>', "run Amazon's rate limits this many times faster", positive('--time-scale', 'times faster'), 1)
    .option('--throttle-share <p>', 'answer this share of requests 429 QuotaExceeded', share('--throttle-share'))
    .option('--error-share <p>', 'answer this share of requests 500 InternalFailure', share('--error-share'))
    .option('--drop-share <p>', 'drop the connection of this share of requests', share('--drop-share'))
    .option('--hang-share <p>', 'never answer this share of requests', share('--hang-share'))
    .option('--latency-ms <ms>', 'added latency per request', decimalNumber('--latency-ms', { min: 0, max: 3_600_000, unit: 'milliseconds' }))
    .option('--token-lifetime <s>', 'access tokens expire after this many (emulated) seconds', positive('--token-lifetime', 'seconds'))
    .action(async (o: { port: number; host: string; seed: string; timeScale: number; throttleShare?: number; errorShare?: number; dropShare?: number; hangShare?: number; latencyMs?: number; tokenLifetime?: number }) => {
      // The sandboxes load when they run, not with every command.
      const [{ AmazonEmulator }, { loadSeed }] = await Promise.all([import('../sandbox/amazon/emulator.ts'), import('../sandbox/amazon/state.ts')]);
      let seed;
      try {
        seed = loadSeed(requireInputFile(o.seed, 'seed file'));
      } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError(`seed: ${(e as Error).message}`);
      }
      const emulator = new AmazonEmulator({
        seed,
        timeScale: o.timeScale,
        faults: { throttleShare: o.throttleShare, errorShare: o.errorShare, dropShare: o.dropShare, hangShare: o.hangShare, latencyMs: o.latencyMs, tokenLifetimeSeconds: o.tokenLifetime },
      });
      let bound: number;
      try {
        bound = await emulator.start(o.port, o.host);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new UsageError(`port ${o.port} on ${o.host} is in use by another program: choose another with --port (0: any free port)`);
        if (code === 'EACCES') throw new UsageError(`port ${o.port} on ${o.host} needs privileges this user does not have: choose a port above 1023 with --port`);
        throw e;
      }
      process.stdout.write(
        `${JSON.stringify({ msg: 'SP-API emulator listening', url: `http://${o.host === '0.0.0.0' ? '127.0.0.1' : o.host}:${bound}`, port: bound, timeScale: o.timeScale, sellers: seed.sellers.map((s) => s.id) })}\n`,
      );
      await new Promise<void>((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
      });
      await emulator.stop();
      process.stdout.write(`${JSON.stringify({ msg: 'SP-API emulator stopped', calls: emulator.calls.length })}\n`);
    });
  registerWarehouseCommand(sandbox);
}

/**
 * `dockgate sandbox warehouse`: a 3PL for any partner of the mappings, over the same directory
 * tree as the gateway's --partner-root (see docs/sandbox-warehouse.md).
 */
function registerWarehouseCommand(sandbox: Command): void {
  const seconds = (flag: string) => decimalNumber(flag, { min: 0, max: 1e8, unit: 'seconds' });
  const fraction = (flag: string) => decimalNumber(flag, { min: 0, max: 1, unit: 'a share between 0 and 1' });
  sandbox
    .command('warehouse')
    .description("play a partner's warehouse over its directories: take ship orders, answer 997s, ship with tracking numbers, count stock")
    .requiredOption('--partner <id>', 'the partner to play (mappings/partners)')
    .requiredOption('--root <dir>', "the gateway's --partner-root: the partner's directories are under <dir>/<partner id> (created when missing)")
    .option('--mappings <dir>', 'folder of mapping files (env DOCKGATE_MAPPINGS)', process.env.DOCKGATE_MAPPINGS ?? 'mappings')
    .option('--ack <mode>', 'X12 partners: accept, reject (a share of sets, --reject-share) or none (never answer)', 'accept')
    .option('--reject-share <p>', 'with --ack reject: the share of sets rejected', fraction('--reject-share'), 1)
    .option('--ack-delay-minutes <n>', 'X12 partners: put each 997 down this many minutes after taking its file (a late acknowledgement)', wholeNumber('--ack-delay-minutes', { min: 0, max: 10_080, unit: 'minutes' }), 0)
    .option('--reject-order <id>', 'X12 partners: refuse the set carrying this order id the first time it comes (repeatable)', (v: string, all: string[] = []) => [...all, v])
    .option('--ship-after <s>', 'seconds from taking an order to its shipment advice', seconds('--ship-after'), 60)
    .option('--partial-share <p>', 'share of orders shipped in two advices (part of a line first)', fraction('--partial-share'), 0)
    .option('--split-share <p>', 'share of orders shipped in two packages', fraction('--split-share'), 0)
    .option('--inventory-every <s>', 'seconds between inventory counts (0: never)', seconds('--inventory-every'), 3600)
    .option('--stock <n>', 'units of each warehouse item at the start', wholeNumber('--stock', { min: 0, max: 1e9, unit: 'units' }), 10_000)
    .option('--seed <n>', 'seed of everything drawn at random', wholeNumber('--seed', { min: 0, max: 4_294_967_295 }), 1)
    .option('--poll-seconds <n>', 'seconds between cycles', decimalNumber('--poll-seconds', { min: 0, aboveMin: true, max: 86_400, unit: 'seconds' }), 5)
    .option('--once', 'run one cycle and exit')
    .action(
      async (o: { partner: string; root: string; mappings: string; ack: string; rejectShare: number; ackDelayMinutes: number; rejectOrder?: string[]; shipAfter: number; partialShare: number; splitShare: number; inventoryEvery: number; stock: number; seed: number; pollSeconds: number; once?: boolean }) => {
        if (!['accept', 'reject', 'none'].includes(o.ack)) throw new UsageError(`--ack takes accept, reject or none, not ${JSON.stringify(o.ack)}`);
        const mappings = loadCheckedMappings(o.mappings);
        const [{ default: pino }, { realWarehouseClock, WarehouseSetupError, WarehouseSimulator }] = await Promise.all([import('pino'), import('../sandbox/warehouse/index.ts')]);
        const log = pino({ base: { pid: process.pid } });
        let simulator: WarehouseSimulator;
        try {
          simulator = new WarehouseSimulator({
            mappings,
            partner: o.partner,
            root: o.root,
            ack: o.ack as AckMode,
            rejectShare: o.rejectShare,
            ackDelayMinutes: o.ackDelayMinutes,
            rejectOrders: o.rejectOrder ?? [],
            shipAfterSeconds: o.shipAfter,
            partialShare: o.partialShare,
            splitShare: o.splitShare,
            inventoryEverySeconds: o.inventoryEvery,
            stock: o.stock,
            seed: o.seed,
            pollSeconds: o.pollSeconds,
            clock: realWarehouseClock,
            log,
          });
        } catch (e) {
          if (e instanceof WarehouseSetupError || (e as Error).name === 'TranslationSetupError') throw new UsageError((e as Error).message);
          throw e;
        }
        if (o.once) {
          const r = await simulator.step();
          log.info({ taken: r.taken, written: r.written.map((w) => w.name), shipped: r.shipped.length, problems: r.problems.length }, 'warehouse cycle done');
          return;
        }
        const stop = new AbortController();
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
        log.info({ root: simulator.dir, ...simulator.directories }, 'warehouse simulator running');
        await simulator.run(stop.signal);
        log.info({ counters: simulator.status().counters }, 'warehouse simulator stopped');
      },
    );
}
