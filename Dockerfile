# Dockgate image. Build: docker build -t dockgate .   Run: docker run -v dockgate-data:/data dockgate x12 validate /data/in/file.edi
FROM node:20-bookworm-slim
# better-sqlite3 compiles its native addon during npm ci.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY mappings ./mappings
COPY samples ./samples
COPY LICENSE README.md ./
ENV DOCKGATE_DATA_DIR=/data NODE_ENV=production
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
ENTRYPOINT ["node", "/app/bin/dockgate.js"]
CMD ["--help"]
