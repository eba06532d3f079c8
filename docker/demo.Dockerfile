# syntax=docker/dockerfile:1
# The demo application of docker/docker-compose.yml: a service instrumented with the OpenTelemetry SDK
# for Node.js (scripts/src/testing/demo-service.ts, the one `npm run demo` runs) that serves a steady
# stream of requests and exports their spans over OTLP/gRPC. Environment: OTLP_ENDPOINT,
# SERVICE_NAME, SERVICE_VERSION, HOST_NAME, ERROR_RATE (share of failing requests),
# REQUESTS_PER_SECOND, DURATION_MS. Build from the repository root:
#   docker build -f docker/demo.Dockerfile -t rollpoint-demo .

# ── build: the whole workspace, compiled ─────────────────────────────────────────────────────────
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY proto/package.json proto/
COPY runtime/package.json runtime/
COPY agent/package.json agent/
COPY backend/package.json backend/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# ── deps: the root's packages only (the OpenTelemetry SDK is a root devDependency); no workspace's ─
FROM node:20-bookworm-slim AS deps
WORKDIR /app
# npm ci checks the lockfile against every workspace, so all their manifests come along.
COPY package.json package-lock.json ./
COPY proto/package.json proto/
COPY runtime/package.json runtime/
COPY agent/package.json agent/
COPY backend/package.json backend/
RUN npm ci --workspaces=false --no-audit --no-fund && npm cache clean --force

# ── runtime ──────────────────────────────────────────────────────────────────────────────────────
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
# The root package.json makes scripts/dist an ES module folder ("type": "module").
COPY --from=build /app/package.json ./
COPY --from=build /app/scripts/dist/testing/demo-service.js scripts/dist/testing/demo-service.js
USER node
# No port to probe: it only sends.
HEALTHCHECK NONE
ENTRYPOINT ["node", "scripts/dist/testing/demo-service.js"]
