# syntax=docker/dockerfile:1
# The statuskit API. From the repository root:
#   docker build -t statuskit-api .
#   docker run -p 127.0.0.1:3000:3000 -v statuskit-data:/data statuskit-api
# docs/deploy.md explains every setting. Docker is not installed where this file was written: the image itself
# was never built there. `npm run check:docker` (scripts/docker-check.mjs, run by CI) carries out these same
# steps in a scratch directory instead: the same commands, the same start command, then /readyz.

# ---- build: install everything, compile the API and the packages it imports, then make the production tree.
FROM node:20-slim AS build
ENV NPM_CONFIG_AUDIT=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    TURBO_TELEMETRY_DISABLED=1
WORKDIR /src
COPY . .
# The npm the lockfile was made with (package.json's packageManager), not the one node:20-slim ships.
RUN npm install --global npm@11.19.1 \
 && npm ci --ignore-scripts \
 && npx turbo run build --filter=@statuskit/api... --output-logs=errors-only
# Only what the API runs: its build and static files, the built workspace packages it imports, and the
# production dependencies of those (no dev tools, no optional peers such as vitest, no pino-pretty). The
# Stripe and Chargebee mappers map inbound billing webhooks. Every workspace's package.json comes along so
# `npm ci` finds the tree its lockfile describes.
RUN mkdir -p /prod/apps/api /prod/packages/core /prod/packages/store \
 && cp package.json package-lock.json .npmrc /prod/ \
 && for manifest in packages/*/package.json apps/*/package.json examples/*/package.json; do \
      mkdir -p "/prod/$(dirname "$manifest")" && cp "$manifest" "/prod/$manifest"; \
    done \
 && cp -R apps/api/dist apps/api/static /prod/apps/api/ \
 && cp -R packages/core/dist /prod/packages/core/ \
 && cp -R packages/store/dist /prod/packages/store/ \
 && for mapper in mapper-stripe mapper-chargebee; do cp -R "packages/$mapper/dist" "/prod/packages/$mapper/"; done \
 && cd /prod \
 && npm ci --omit=dev --omit=optional --workspace @statuskit/api --include-workspace-root=false --ignore-scripts \
 && npm cache clean --force

# ---- runtime: node and the production tree, run as the image's unprivileged `node` user.
FROM node:20-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    STATUSKIT_DATA_DIR=/data/pglite \
    STATUSKIT_SHUTDOWN_TIMEOUT_MS=8000
WORKDIR /app
# Owned by root and read-only to the API: it writes nowhere but /data.
COPY --from=build /prod/ ./
RUN mkdir -p /data && chown node:node /data
USER node
# PGlite's data (and its lock file) when DATABASE_URL is not set; unused with PostgreSQL.
VOLUME ["/data"]
EXPOSE 3000
# /readyz: migrations done and the database answering. Node's fetch, since the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "apps/api/dist/main.js"]
