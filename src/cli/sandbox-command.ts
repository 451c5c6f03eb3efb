/**
 * `dockgate sandbox amazon`: the local SP-API emulator on its own, for trying Dockgate (or
 * anything else that speaks SP-API through an endpoint override) without Amazon.
 */
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { AmazonEmulator } from '../sandbox/amazon/emulator.ts';
import { loadSeed } from '../sandbox/amazon/state.ts';
import { UsageError } from './usage-error.ts';

const DEFAULT_SEED = fileURLToPath(new URL('../../samples/sandbox/amazon-seed.yaml', import.meta.url));

function share(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`--${name} takes a share between 0 and 1, not ${v}`);
    return n;
  };
}

function positive(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} takes a positive number, not ${v}`);
    return n;
  };
}

export function registerSandboxCommand(program: Command): void {
  const sandbox = program.command('sandbox').description('local stand-ins for the outside world');
  sandbox
    .command('amazon')
    .description('run the local SP-API emulator (LWA tokens, orders, confirmations, listings, FBA inventory and inbound, labels, reports) until stopped')
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', '8910')
    .option('--seed <file>', 'sellers, orders, listings, inventory, inbound plans and reports (YAML or JSON)', DEFAULT_SEED)
    .option('--time-scale <x>', "run Amazon's rate limits this many times faster", positive('time-scale'), 1)
    .option('--throttle-share <p>', 'answer this share of requests 429 QuotaExceeded', share('throttle-share'))
    .option('--error-share <p>', 'answer this share of requests 500 InternalFailure', share('error-share'))
    .option('--drop-share <p>', 'drop the connection of this share of requests', share('drop-share'))
    .option('--hang-share <p>', 'never answer this share of requests', share('hang-share'))
    .option('--latency-ms <ms>', 'added latency per request', positive('latency-ms'))
    .option('--token-lifetime <s>', 'access tokens expire after this many (emulated) seconds', positive('token-lifetime'))
    .action(async (o: { port: string; seed: string; timeScale: number; throttleShare?: number; errorShare?: number; dropShare?: number; hangShare?: number; latencyMs?: number; tokenLifetime?: number }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port takes 0 to 65535, not ${o.port}`);
      let seed;
      try {
        seed = loadSeed(o.seed);
      } catch (e) {
        throw new UsageError(`seed: ${(e as Error).message}`);
      }
      const emulator = new AmazonEmulator({
        seed,
        timeScale: o.timeScale,
        faults: { throttleShare: o.throttleShare, errorShare: o.errorShare, dropShare: o.dropShare, hangShare: o.hangShare, latencyMs: o.latencyMs, tokenLifetimeSeconds: o.tokenLifetime },
      });
      const bound = await emulator.start(port);
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
