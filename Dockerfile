# Dockgate: the gateway (`dockgate start`) in a container.
#   docker build -t dockgate .
#   docker run --init -p 127.0.0.1:8740:8740 -v dockgate-data:/data -e DOCKGATE_API_TOKEN=... dockgate
#   docker run --rm dockgate x12 validate ...     (any other command: the entry point is `dockgate`)
# compose.yaml runs it against the SP-API emulator and the warehouse simulator.
# test/docker/dockerfile.test.ts checks this file without a Docker engine (lint, the install,
# the image's file tree run for real).

# One Node image for both stages: better-sqlite3's addon is compiled in the build stage against
# this Node's ABI and this Debian's glibc, so the runtime must be the very same image.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 12 (and ssh2's cpu-features) compile from source on Node 20: the README's tools.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# The install CI runs (.ci/run, the README's `npm ci`), then the dev dependencies removed in
# place: `npm prune` keeps the compiled addons, where a second `npm ci --omit=dev` would delete
# node_modules and compile SQLite again. Nothing under src/ imports a dev dependency (the test says so).
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="dockgate" \
      org.opencontainers.image.description="EDI / flat-file and API gateway between Amazon SP-API and 3PL warehouses" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="0.1.0"
ENV NODE_ENV=production \
    DOCKGATE_DATA_DIR=/data \
    DOCKGATE_MAPPINGS=/app/mappings \
    DOCKGATE_HTTP_PORT=8740 \
    DOCKGATE_HTTP_HOST=0.0.0.0
# An unprivileged user with a fixed uid (10001), so a host folder mounted on /data can be
# chowned to it. /data is the store; /partners is an empty folder for `--partner-root` (a named
# volume mounted there takes this folder's owner, so the user can write it: compose.yaml does).
RUN groupadd --system --gid 10001 dockgate \
 && useradd --system --uid 10001 --gid dockgate --home-dir /app --shell /usr/sbin/nologin dockgate \
 && mkdir -p /data /partners \
 && chown dockgate:dockgate /data /partners
WORKDIR /app
# The application is owned by root and read-only to the user: it writes only under /data (and
# the partner root). The TypeScript runs through tsx (a dependency): there is no build output.
COPY --from=build /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json LICENSE README.md ./
COPY bin ./bin
COPY src ./src
COPY samples ./samples
COPY docker ./docker
# The example mappings; mount your own over /app/mappings (read-only is enough).
COPY mappings ./mappings
VOLUME ["/data"]
USER dockgate
EXPOSE 8740
# GET /healthz on DOCKGATE_HTTP_PORT with node (the slim image has no curl); non-zero when it fails.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "docker/healthcheck.mjs"]
# Node is PID 1 here: `dockgate start` (and the sandboxes) handle SIGTERM / SIGINT themselves
# and spawn no child processes, so there are no zombies to reap. `docker run --init` (compose:
# `init: true`) puts Docker's tini in front for anything else you run in the image.
ENTRYPOINT ["node", "bin/dockgate.js"]
CMD ["start"]
