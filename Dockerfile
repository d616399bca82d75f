# synthops: the agent's container image. Multi-stage: build the JavaScript with the dev
# tools, then ship only compiled output and production dependencies on a current LTS.
# Build: docker build -t ghcr.io/example/synthops:0.1.0 .
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# kustomize, helm, sops, age and age-keygen from the Go module proxy, by the same script
# and pinned versions (test/tools/versions.sh) as the tests; static (CGO_ENABLED=0).
FROM golang:1.26-bookworm AS tools
WORKDIR /src
COPY test/tools/versions.sh test/tools/build.sh ./test/tools/
COPY test/lib/cached-build.sh ./test/lib/
# build.sh prints its bin folder last; no pipe, so a failed build fails the step.
RUN SYNTHOPS_TOOLS_CACHE=/tools-cache bash test/tools/build.sh > /tmp/bin-dir \
 && mkdir /out && cp "$(tail -n 1 /tmp/bin-dir)"/* /out/

FROM node:22-bookworm-slim AS runtime
# git fetches the deploy branch; ssh for ssh remotes. The rendering tools come from the
# tools stage into /usr/local/bin, where src/render/tools.ts looks for them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/lib ./lib
COPY bin ./bin
COPY templates ./templates
COPY --from=tools /out/ /usr/local/bin/
# Non-root, numeric (the Deployment sets runAsUser 10001 and a read-only root; /tmp is an emptyDir).
USER 10001:10001
ENV NODE_ENV=production HOME=/tmp
# --optimize-for-size: V8 grows the heap in smaller steps. Measured with 5000 objects
# across 500 apps (npm run bench:memory): peak RSS 112 MiB instead of 150-160 MiB, the
# same sync time. The benchmark starts the agent with these flags, read from this line.
ENTRYPOINT ["node", "--optimize-for-size", "/app/bin/synthops"]
CMD ["agent", "--help"]
