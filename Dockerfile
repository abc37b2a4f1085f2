# callbridge: a multi-stage build on a Node LTS image. The runtime image holds only production dependencies,
# runs as the unprivileged `node` user, and keeps the ledger (/data) and the CDR spool (/spool) on volumes.
#   docker build -t callbridge .
#   docker run -p 8080:8080 callbridge                        # sandbox: the built-in Dstny emulator, sample CDRs
#   docker run -p 8080:8080 -e DSTNY_API_TOKEN=... -v callbridge-data:/data -v /var/spool/cdr:/spool \
#     -v ./callbridge.yaml:/etc/callbridge/callbridge.yaml:ro callbridge start --config /etc/callbridge/callbridge.yaml
# /app is root's and read-only to the bridge: /data (ledger, signing secret, sandbox recordings) and /spool (CDR
# drop folders) are the only places it writes. test/deploy/dockerfile.test.ts runs this file's ENTRYPOINT + CMD
# as this user with these folders, outside Docker.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
RUN npm ci --strict-allow-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY adapters ./adapters
RUN npm run build && npm prune --omit=dev

FROM node:${NODE_VERSION}-bookworm-slim
# CALLBRIDGE_DATA_DIR sets dataDir for any config; config/docker.yaml also reads CALLBRIDGE_SPOOL_DIR (and
# CALLBRIDGE_HTTP_HOST, 0.0.0.0 unless set), as a mounted config may with ${CALLBRIDGE_SPOOL_DIR}.
ENV NODE_ENV=production \
    CALLBRIDGE_DATA_DIR=/data \
    CALLBRIDGE_SPOOL_DIR=/spool \
    CALLBRIDGE_HTTP_PORT=8080
# ffmpeg merges two-file recordings into stereo and converts telephone encodings (recordings.split, convert).
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
RUN mkdir -p /data /spool && chown -R node:node /data /spool
# The base image's `node` user, by number: Kubernetes' runAsNonRoot can only verify a numeric user.
USER 1000:1000
VOLUME ["/data", "/spool"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.CALLBRIDGE_HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# A fixed heap limit: V8 otherwise sizes heap growth by the host's RAM (a 24 GB host let a whole-file parse
# reach ~195 MB RSS with ~25 MB live; 1024 keeps it near 135 MB on any host). Same flag as `npm start`.
ENTRYPOINT ["node", "--max-old-space-size=1024", "dist/src/cli/main.js"]
# SIGTERM finishes requests in flight (submit.shutdownTimeoutMs, 10 s by default): give `docker stop` a
# --time/stop_grace_period above that, or a request may be cut and then looked up before it is sent again.
STOPSIGNAL SIGTERM
CMD ["start", "--config", "config/docker.yaml"]
