/**
 * `dockgate demo` (`npm run demo`): the gateway's every flow on a fresh machine, with no outside
 * services — a local SP-API emulator seeded with two sellers' orders, a simulated X12 warehouse
 * (Reno) and a simulated CSV warehouse (Cascade) — told as a story with progress lines, then a
 * summary with the commands to look closer, then the dashboard until Ctrl-C (--once: exit after
 * the summary). The story is samples/demo/scenario.yaml; the code is in src/cli/demo/.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { portNumber } from './options.ts';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the gateway on a local SP-API emulator and two simulated warehouses: orders out, acknowledgements, shipments, inventory, exceptions, with a summary; then the dashboard until Ctrl-C')
    .option('--once', 'exit after the summary (0 when the demo ran as designed), without the dashboard')
    .option('--http-port <n>', "the dashboard's port on 127.0.0.1 (default: a free one)", portNumber('--http-port', true), 0)
    .action(async (opts: { once?: boolean; httpPort: number }, cmd: Command) => {
      const loaded = loadConfig({ file: cmd.optsWithGlobals().config });
      // The gateway, the flows and the sandboxes load here, not with every command.
      const { runDemo } = await import('./demo/run.ts');
      const code = await runDemo(loaded, {
        once: opts.once === true,
        httpPort: opts.httpPort,
        out: (s) => process.stdout.write(`${s}\n`),
        err: (s) => process.stderr.write(`${s}\n`),
      });
      // Everything the demo opened is closed, but amazon-sp-api leaves a 30-second idle timer of
      // its last request running: exit now rather than make a first impression wait for it.
      process.exitCode = code;
      await new Promise<void>((r) => process.stdout.write('', () => r()));
      process.exit(code);
    });
}
