# syntax=docker/dockerfile:1

# --- build: compile TypeScript, then keep production dependencies only ---
FROM node:22-bookworm-slim AS build
WORKDIR /app
# npm 11 honours package.json "allowScripts", exactly as on the developers' machines and CI.
RUN npm install -g npm@11.19.1
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev

# --- runtime: compiled code, production node_modules, an unprivileged user ---
FROM node:22-bookworm-slim
# /metrics on a port of its own, published to Prometheus only, never beside the API.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    METRICS_PORT=9464 \
    DATA_DIR=/var/lib/order-service
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The OpenAPI document: its request schemas, compiled at start, are the validation's fast path.
COPY openapi.json ./
RUN mkdir -p /var/lib/order-service && chown node:node /var/lib/order-service
USER node
EXPOSE 3000 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Applies pending migrations (under an advisory lock, so replicas may start together), then serves.
# .ci/run starts this same command with this same environment, since CI has no Docker engine.
# The old-space bound keeps RSS within the pod's memory; unbounded, V8 sizes its heap from the
# host's memory and lets garbage grow it. Under that bound V8 lets the old space grow at most 1.3x
# what the last full collection kept; 2x makes their pauses rarer (docs/operations.md).
CMD ["node", "--max-old-space-size=160", "--heap-growing-percent=100", "dist/src/main.js"]
