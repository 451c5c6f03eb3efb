/**
 * After the summary (without --once): the story's clock goes live, the gateway runs as
 * `dockgate start` does and the simulated warehouses keep answering, until Ctrl-C (exit 0).
 */
import { JOB_GRACE_MS } from '../../gateway/start.ts';
import type { Story } from './story.ts';

export async function keepRunning(story: Story, o: { httpPort: number; out: (s: string) => void; failed: boolean }): Promise<number> {
  story.clock.goLive();
  const stop = new AbortController();
  const warehouses = [...story.simulators.values()].map((s) => s.run(stop.signal).catch((e: Error) => story.log.error({ err: e.message }, 'simulated warehouse stopped')));
  story.prepared.gateway.start();
  o.out(`\nThe gateway and the simulated warehouses keep running (Ctrl-C to stop; exit ${o.failed ? 1 : 0}).`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  o.out('stopping...');
  stop.abort();
  await story.prepared.gateway.stop(JOB_GRACE_MS);
  await Promise.all(warehouses);
  await story.close();
  return o.failed ? 1 : 0;
}
