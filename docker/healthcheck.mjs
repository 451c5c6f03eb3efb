// The image's HEALTHCHECK (and compose.yaml's): GET a URL with Node's fetch, the slim image has no
// curl. Exit 0 on a 2xx answer, 1 on anything else (another status, a refused connection, no
// answer within 4 s), with one line on stderr saying why, which `docker inspect` shows.
// Default URL: the gateway's liveness, http://127.0.0.1:$DOCKGATE_HTTP_PORT/healthz (8740).
const url = process.argv[2] ?? `http://127.0.0.1:${process.env.DOCKGATE_HTTP_PORT || '8740'}/healthz`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  await res.arrayBuffer();
  if (!res.ok) {
    process.stderr.write(`unhealthy: GET ${url} answered ${res.status}\n`);
    process.exit(1);
  }
} catch (e) {
  process.stderr.write(`unhealthy: GET ${url} failed: ${e.cause?.code ?? e.name}: ${e.cause?.message ?? e.message}\n`);
  process.exit(1);
}
