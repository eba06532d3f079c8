# syntax=docker/dockerfile:1
# rollpoint-backend image (with the embedded ClickHouse engine, chdb). Build from the repository
# root (the context must be the whole workspace):
#   docker build -f docker/backend.Dockerfile -t rollpoint-backend .
# or let docker/docker-compose.yml build it.
# chdb's native library (@chdb/lib-linux-x64-gnu) needs glibc: keep a Debian-based image, not alpine.

ARG NODE_IMAGE=node:20-bookworm-slim

# ── build: the whole workspace, with dev dependencies (protobufjs-cli, typescript) ──────────────
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first, so the dependency layer is reused while only sources change (a new
# workspace needs its package.json listed here and in the deps stage).
COPY package.json package-lock.json ./
COPY proto/package.json proto/
COPY agent/package.json agent/
COPY backend/package.json backend/
RUN npm ci --no-audit --no-fund
# Then everything the root build may reference (tsconfig.json's project references); .dockerignore
# keeps node_modules, dist and build info out, so nothing installed or stale is overwritten.
COPY . .
# generate the OTLP code into proto/generated, then tsc -b over the root tsconfig.json's projects
RUN npm run build

# ── deps: production dependencies of the backend workspace only (chdb and its native library) ───
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY proto/package.json proto/
COPY agent/package.json agent/
COPY backend/package.json backend/
RUN npm ci --omit=dev --workspace @rollpoint/backend --no-audit --no-fund \
 && npm cache clean --force

# ── runtime ──────────────────────────────────────────────────────────────────────────────────────
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# node_modules (with the @rollpoint/* workspace links) and the workspaces' package.json files
COPY --from=deps /app/ ./
# what those links point at: the compiled code, and the .proto files the OTLP types are built from at start
COPY --from=build /app/proto/dist proto/dist
COPY --from=build /app/proto/opentelemetry proto/opentelemetry
COPY --from=build /app/backend/dist backend/dist
# the timeline page's static files (served at /)
COPY --from=build /app/backend/web backend/web
# A default configuration; docker-compose mounts its own over it.
COPY docker/backend.yaml /etc/rollpoint/backend.yaml
# The code stays root-owned and read-only; the backend (user "node", uid 1000) writes only its
# data folder.
RUN mkdir -p /var/lib/rollpoint && chown node:node /var/lib/rollpoint
USER node
# OTLP gRPC; HTTP (API, /healthz, /readyz, /metrics)
EXPOSE 14317 14318
# Embedded ClickHouse data (storage.chdb.path: /var/lib/rollpoint/data).
VOLUME ["/var/lib/rollpoint"]
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:14318/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
ENTRYPOINT ["node", "backend/dist/main.js"]
CMD ["--config", "/etc/rollpoint/backend.yaml"]
