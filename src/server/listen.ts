/**
 * The API and dashboard on a socket: one JSON line `{"event":"listening","url":...}` once it
 * accepts connections (scripts and tests read the URL from it, port 0 included), and a close
 * that stops accepting, drops idle keep-alive connections at once and the busy ones after a
 * grace, so a SIGTERM ends within the 30 s the gateway promises.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ApiDeps, MetricsEndpoint } from './api.ts';
import { createApp } from './app.ts';
import { DEFAULT_BODY_LIMIT_KB } from '../gateway/config.ts';
import { metricsEndpoint } from '../metrics/index.ts';

export { DEFAULT_HTTP_HOST, DEFAULT_SERVE_PORT } from '../gateway/config.ts';
import type { ApiTokens } from './auth.ts';
import type { GatewayContext } from '../flows/context.ts';

/** Requests still running when the server closes get this long before their connections are cut. */
export const CLOSE_GRACE_MS = 5_000;

export interface HttpServerOptions {
  host: string;
  port: number;
  tokens: ApiTokens;
  bodyLimitKb?: number;
  log: Logger;
}

export interface RunningHttpServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** The /metrics source: the gateway context's Prometheus registry (src/metrics). */
export function metricsFor(ctx: GatewayContext): MetricsEndpoint {
  return metricsEndpoint(ctx);
}

/** URLs print with the host as given; an IPv6 literal in brackets. */
function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

export async function startHttpServer(deps: ApiDeps, options: HttpServerOptions): Promise<RunningHttpServer> {
  const { app } = createApp(deps, { tokens: options.tokens, bodyLimitKb: options.bodyLimitKb ?? DEFAULT_BODY_LIMIT_KB });
  const { log } = options;
  if (options.tokens.length === 0) {
    log.warn(
      { event: 'no-api-tokens' },
      'no API token is configured: /api/v1 answers 401 to every call. Make one with `dockgate api token --name NAME --access read-only|read-write` and paste its lines under api.tokens in the config, or set DOCKGATE_API_TOKEN',
    );
  }
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000;
  const port = (server.address() as AddressInfo).port;
  const url = urlOf(options.host, port);
  log.info({ event: 'listening', url, host: options.host, port, tokens: options.tokens.map((t) => t.name) }, `listening on ${url}`);
  let closing: Promise<void> | null = null;
  return {
    url,
    server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        cut.unref();
        server.close(() => {
          clearTimeout(cut);
          log.info({ event: 'http-closed', url }, 'http server closed');
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
