/**
 * After the summary (without --once): the story's clock goes live, the gateway runs as
 * `dockgate start` does (its schedule, the outbox worker) and the simulated warehouses keep
 * answering, with the API and the dashboard on 127.0.0.1 behind a token made for this run,
 * until Ctrl-C (SIGINT) or SIGTERM: then the server, the gateway, the warehouses and the
 * emulator stop, and the exit code is the story's (0 when it ran as designed).
 */
import { sha256Hex, newToken } from '../../server/auth.ts';
import { metricsFor, startHttpServer } from '../../server/listen.ts';
import { flows } from '../../flows/index.ts';
import { gatewayApiDeps, JOB_GRACE_MS } from '../../gateway/start.ts';
import { simulatorsFor, type Story } from './story.ts';

/** The demo listens on this machine only, whatever the configuration says: its token is printed on the terminal. */
const DEMO_HOST = '127.0.0.1';

export interface LiveOptions {
  httpPort: number;
  out: (s: string) => void;
  /** The story did not go as designed: the exit code says so after Ctrl-C. */
  failed: boolean;
}

export async function keepRunning(story: Story, o: LiveOptions): Promise<number> {
  const { prepared } = story;
  const { ctx } = prepared.built;
  story.clock.goLive();
  const stopWarehouses = new AbortController();
  const live = simulatorsFor(story.scenario, { mappings: ctx.mappings, root: story.partnerRoot, clock: story.clock, log: story.log }, true);
  const warehouses = [...live.entries()].map(([id, s]) =>
    s.run(stopWarehouses.signal).catch((e: Error) => story.log.error({ event: 'simulator-stopped', partner: id, err: e.message }, 'simulated warehouse stopped')),
  );
  prepared.gateway.start();
  // A token for this run only: in the URL's fragment, which the browser keeps to itself (never sent, never logged).
  const token = newToken();
  const deps = gatewayApiDeps(prepared, flows, story.demoDir, metricsFor(ctx));
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    server = await startHttpServer(deps, { host: DEMO_HOST, port: o.httpPort, tokens: [{ name: 'demo', sha256: sha256Hex(token), access: 'read-write', buyerData: false }], log: story.log });
  } catch (e) {
    stopWarehouses.abort();
    await prepared.gateway.stop(JOB_GRACE_MS);
    await Promise.all(warehouses);
    throw e;
  }
  o.out('');
  o.out(`Dashboard: ${server.url}dashboard/#token=${token}`);
  o.out(`  API: ${server.url}api/v1/ with "Authorization: Bearer ${token}" (this run's token); ${server.url}healthz, ${server.url}metrics`);
  o.out('  The gateway and the simulated warehouses keep running on the live clock; the buyer data stays redacted. Ctrl-C stops the demo.');
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
  o.out('Stopping the demo: the dashboard, the gateway (the work in hand finished or released), the warehouses, the emulator.');
  await server.close();
  stopWarehouses.abort();
  await prepared.gateway.stop(JOB_GRACE_MS);
  await Promise.all(warehouses);
  await story.close();
  return o.failed ? 1 : 0;
}
