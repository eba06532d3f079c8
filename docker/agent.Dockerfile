# syntax=docker/dockerfile:1
# rollpoint-agent image. Build from the repository root (the context is the whole npm workspace):
#   docker build -f docker/agent.Dockerfile -t rollpoint-agent .
# or let docker/docker-compose.yml build it.

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

# ── deps: production dependencies of the agent workspace only (no chdb, no dev tools) ────────────
FROM node:20-bookworm-slim AS deps
WORKDIR /app
# npm ci checks the lockfile against every workspace, so all their manifests come along.
COPY package.json package-lock.json ./
COPY proto/package.json proto/
COPY runtime/package.json runtime/
COPY agent/package.json agent/
COPY backend/package.json backend/
RUN npm ci --omit=dev --workspace @rollpoint/agent --no-audit --no-fund \
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
COPY --from=build /app/agent/dist agent/dist
# A default configuration (listening on 0.0.0.0); docker-compose mounts its own over it.
COPY docker/agent.yaml /etc/rollpoint/agent.yaml
# The code stays root-owned and read-only; the agent (user "node", uid 1000) writes only its data folder.
RUN mkdir -p /var/lib/rollpoint-agent /etc/rollpoint/mibs && chown node:node /var/lib/rollpoint-agent
USER node
# OTLP gRPC, OTLP HTTP, syslog (UDP and TCP), SNMP traps, health and metrics
EXPOSE 4317 4318 5514 5514/udp 1162/udp 13133
# agent.data_dir: the disk queue and dead letters, which must outlive the container.
VOLUME ["/var/lib/rollpoint-agent"]
# /readyz answers 200 once the pipelines run (the slim image has no curl, node has fetch).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:13133/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "agent/dist/main.js"]
CMD ["--config", "/etc/rollpoint/agent.yaml"]
