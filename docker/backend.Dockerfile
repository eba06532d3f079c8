# syntax=docker/dockerfile:1
# rollpoint-backend image: OTLP server, HTTP API, the rollpoint CLI, and the embedded ClickHouse engine
# (chdb) for the default storage driver. Build from the repository root (the context is the whole
# npm workspace):
#   docker build -f docker/backend.Dockerfile -t rollpoint-backend .
# or let docker/docker-compose.yml build it.
# chdb's native library (@chdb/lib-linux-x64-gnu, a plain npm package: no download at install) needs
# glibc: keep a Debian-based image, not alpine.

# ── build: the whole workspace, with dev dependencies (protobufjs-cli, typescript) ──────────────
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Manifests first, so the dependency layer is reused while only sources change (a new
# workspace needs its package.json listed here and in the deps stage).
COPY package.json package-lock.json ./
COPY proto/package.json proto/
COPY runtime/package.json runtime/
COPY agent/package.json agent/
COPY backend/package.json backend/
RUN npm ci --no-audit --no-fund
# .dockerignore keeps node_modules, dist and build info out, so nothing installed or stale is overwritten.
COPY . .
# generate the OTLP code into proto/generated, then tsc -b over the root tsconfig.json's projects
RUN npm run build

# ── deps: production dependencies of the backend workspace only (chdb, @clickhouse/client) ──────
FROM node:20-bookworm-slim AS deps
WORKDIR /app
# npm ci checks the lockfile against every workspace, so all their manifests come along.
COPY package.json package-lock.json ./
COPY proto/package.json proto/
COPY runtime/package.json runtime/
COPY agent/package.json agent/
COPY backend/package.json backend/
RUN npm ci --omit=dev --workspace @rollpoint/backend --no-audit --no-fund \
 && npm cache clean --force

# ── runtime ──────────────────────────────────────────────────────────────────────────────────────
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# node_modules (with the @rollpoint/* workspace links) and the workspaces' package.json files
COPY --from=deps /app/ ./
# what those links point at: the compiled code, and the .proto files the OTLP types are built from at start
COPY --from=build /app/proto/dist proto/dist
COPY --from=build /app/proto/opentelemetry proto/opentelemetry
COPY --from=build /app/runtime/dist runtime/dist
COPY --from=build /app/backend/dist backend/dist
# the timeline page's static files (served at /)
COPY --from=build /app/backend/web backend/web
# A default configuration (embedded storage in the volume, listening on 0.0.0.0); compose mounts its own.
COPY docker/backend.yaml /etc/rollpoint/backend.yaml
# `rollpoint status`, `rollpoint sql …` inside the container (`docker exec <container> rollpoint status`).
RUN ln -s /app/backend/dist/cli/main.js /usr/local/bin/rollpoint \
 && ln -s /app/backend/dist/main.js /usr/local/bin/rollpoint-backend \
 && mkdir -p /var/lib/rollpoint && chown node:node /var/lib/rollpoint
# The code stays root-owned and read-only; the backend (user "node", uid 1000) writes only its data folder.
USER node
# OTLP gRPC; HTTP (API, /healthz, /readyz, /metrics)
EXPOSE 14317 14318
# The embedded ClickHouse data (storage.chdb.path: /var/lib/rollpoint/data); unused with a ClickHouse server.
VOLUME ["/var/lib/rollpoint"]
# /readyz answers 200 once the schema is in place and the servers listen (503 while it waits for a
# ClickHouse server); the first start creates the schema, hence the longer start period.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:14318/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "backend/dist/main.js"]
CMD ["--config", "/etc/rollpoint/backend.yaml"]
