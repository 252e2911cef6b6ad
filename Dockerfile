# syntax=docker/dockerfile:1
# The Steadfast worker image. Debian (glibc) rather than Alpine: @temporalio/core-bridge ships prebuilt
# native modules for glibc only, and so does @swc/core, which bundles the workflows when the worker starts.
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: compile TypeScript with the dev dependencies, none of which reach the runtime image ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first, so the dependency layer is reused until they change.
COPY package.json package-lock.json ./
# Exactly the lock, which lists every platform's optional binaries (docs/testing.md, "Development notes").
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
# Emits dist/src/... and dist/scripts/...; then the workflow bundle the worker loads at start, so it starts without
# bundling (dist/src/workers/prebuilt-workflow-bundle.js).
RUN npm run build && node dist/scripts/bundle-workflows.js

# --- runtime: production dependencies and compiled JavaScript only ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
# Files stay root-owned, so the process can read its code but not rewrite it. The account store's directory is the
# node user's (0700): a volume mounted there starts with this owner and mode.
RUN mkdir -m 0700 /app/.steadfast && chown node:node /app/.steadfast
USER node
# The worker drains on SIGTERM (stops polling, lets in-flight activities finish within STEADFAST_SHUTDOWN_GRACE);
# the orchestrator's stop timeout must be longer than that grace (compose: stop_grace_period).
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/workers/main.js"]
