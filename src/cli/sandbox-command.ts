/**
 * `dockgate sandbox amazon`: the local SP-API emulator on its own, for trying Dockgate (or
 * anything else that speaks SP-API through an endpoint override) without Amazon.
 */
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { AmazonEmulator } from '../sandbox/amazon/emulator.ts';
import { loadSeed } from '../sandbox/amazon/state.ts';
import { decimalNumber, portNumber } from './options.ts';
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
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', portNumber('--port', true), 8910)
    .option('--seed <file>', 'sellers, orders, listings, inventory, inbound plans and reports (YAML or JSON)', DEFAULT_SEED)
    .option('--time-scale <x>', "run Amazon's rate limits this many times faster", positive('--time-scale', 'times faster'), 1)
    .option('--throttle-share <p>', 'answer this share of requests 429 QuotaExceeded', share('--throttle-share'))
    .option('--error-share <p>', 'answer this share of requests 500 InternalFailure', share('--error-share'))
    .option('--drop-share <p>', 'drop the connection of this share of requests', share('--drop-share'))
    .option('--hang-share <p>', 'never answer this share of requests', share('--hang-share'))
    .option('--latency-ms <ms>', 'added latency per request', decimalNumber('--latency-ms', { min: 0, max: 3_600_000, unit: 'milliseconds' }))
    .option('--token-lifetime <s>', 'access tokens expire after this many (emulated) seconds', positive('--token-lifetime', 'seconds'))
    .action(async (o: { port: number; seed: string; timeScale: number; throttleShare?: number; errorShare?: number; dropShare?: number; hangShare?: number; latencyMs?: number; tokenLifetime?: number }) => {
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
        bound = await emulator.start(o.port);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new UsageError(`port ${o.port} on 127.0.0.1 is in use by another program: choose another with --port (0: any free port)`);
        if (code === 'EACCES') throw new UsageError(`port ${o.port} on 127.0.0.1 needs privileges this user does not have: choose a port above 1023 with --port`);
        throw e;
      }
      process.stdout.write(
        `${JSON.stringify({ msg: 'SP-API emulator listening', url: `http://127.0.0.1:${bound}`, port: bound, timeScale: o.timeScale, sellers: seed.sellers.map((s) => s.id) })}\n`,
      );
      await new Promise<void>((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
      });
      await emulator.stop();
      process.stdout.write(`${JSON.stringify({ msg: 'SP-API emulator stopped', calls: emulator.calls.length })}\n`);
    });
}
