# modelgate container image. Build from the repository root:
#   docker build -t modelgate:0.1.0 .
# Three stages: `build` compiles TypeScript with the dev dependencies; `deps` installs the
# production dependencies only; the final stage gets the compiled code and those dependencies,
# runs as the fixed non-root UID 10001 and writes nothing outside a mounted /tmp, so it runs
# with a read-only root filesystem. Node is PID 1: modelgate installs its own SIGTERM/SIGINT
# handlers (graceful drain, see docs/configuration.md), so no init process is needed.
# test/deploy/dockerfile.test.ts checks these invariants (no container engine runs in CI).

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the package's `prepare` (tsc) runs below once the sources are in.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. sharp's native code comes from its prebuilt @img/* packages.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY package.json ./
COPY schema ./schema
# Fixed non-root UID/GID (not the image's `node` user, whose id a base image could change).
USER 10001:10001
EXPOSE 8080 9090
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["start", "--config", "/etc/modelgate/modelgate.yaml"]
