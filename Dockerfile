# syntax=docker/dockerfile:1
#
# One image for every Aegis process (api, worker, watcher, cli/migrate); compose picks the command.
# TypeScript runs as-is on Node 24 (type stripping, ADR 001): the image holds the sources and the production
# dependencies, and uses the base image's Node 24 instead of the `node` devDependency.

ARG NODE_IMAGE=node:24-bookworm-slim

# --- manifests: only what `npm ci` reads, so the dependency layer is rebuilt only when these change.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json ! -name .npmrc -delete \
 && find . -depth -type d -empty -delete

# --- deps: production dependencies of every workspace. No install scripts: sharp and msgpackr ship prebuilt
# binaries as optional packages, and the `node` devDependency is not installed (--omit=dev).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=manifests /app ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# Native Tesseract for OCR (OCR_TESSERACT_COMMAND): a third of the memory of the bundled tesseract.js per page.
# The model comes from the @tesseract.js-data packages either way; the Debian eng data it pulls in is unused.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr \
 && rm -rf /var/lib/apt/lists/*
# Code and dependencies stay owned by root and read-only for the process; only the data folders are writable.
COPY --from=deps /app ./
COPY . .
RUN mkdir -p /data/blobs /inbox \
 && chown node:node /data/blobs /inbox \
 && node -e "if (Number(process.versions.node.split('.')[0]) < 24) process.exit(1)"
# MALLOC_ARENA_MAX=2: fewer glibc arenas, less fragmentation from pdf.js/sharp threads (-65 MiB peak RSS in
# bench/worker-rss). --max-semi-space-size=16: V8's young generation no longer sized from the host's memory (the
# sandboxes set it too; see packages/pipeline/src/sandbox/node-flags.ts). API_HOST: inside a container the API must listen on every interface; the host decides what
# is published (compose publishes it on 127.0.0.1 unless told otherwise).
ENV BLOB_DIR=/data/blobs \
    INBOX_DIR=/inbox \
    API_HOST=0.0.0.0 \
    MALLOC_ARENA_MAX=2 \
    NODE_OPTIONS=--max-semi-space-size=16
VOLUME ["/data/blobs"]
EXPOSE 8080 9464
USER node
# Workers and the watcher answer /healthz on METRICS_PORT; compose overrides this for the API (8080) and turns it
# off for one-shot commands such as migrate.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.METRICS_PORT || 9464) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "apps/worker/src/main.ts"]
