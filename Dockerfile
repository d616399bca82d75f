# synthops: the agent's container image. Multi-stage: build the JavaScript with the dev
# tools, then ship only what `synthops agent` loads at run time, on a current LTS.
# Build: docker build -t ghcr.io/example/synthops:0.1.0 .
#
# The base images, pinned by digest so the same Dockerfile always builds on the same
# bytes (the tag stays for people; the digest decides). These are the multi-platform
# index digests that docker-library/repo-info records for the tags (node 22.23.2 of
# 2026-09-19; go 1.26.5 of 2026-07-14). Bump: `test/tools/base-image.sh pin` resolves
# each tag's current digest (`docker buildx imagetools inspect`) and rewrites these lines;
# commit the result. `test/tools/base-image.sh check` (run by `npm test`) fails while one
# is not pinned; `--build-arg NODE_IMAGE=...` overrides one build.
ARG NODE_IMAGE=node:22-bookworm-slim@sha256:48e4b67d85f87bd551df43704e24d252f56cc5f8e9718841aace50f19948f0f9
# The tools stage's Go toolchain (not shipped: only its static binaries are).
ARG GO_IMAGE=golang:1.26-bookworm@sha256:551752d3ad9de9923190bf5280500617ed8fee287ffb4b0220e770ef89346258

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# kustomize, helm, sops, age and age-keygen from the Go module proxy, by the same script
# and pinned versions (test/tools/versions.sh) as the tests; static (CGO_ENABLED=0).
FROM ${GO_IMAGE} AS tools
WORKDIR /src
COPY test/tools/versions.sh test/tools/build.sh ./test/tools/
COPY test/lib/cached-build.sh ./test/lib/
# build.sh prints its bin folder last; no pipe, so a failed build fails the step.
RUN SYNTHOPS_TOOLS_CACHE=/tools-cache bash test/tools/build.sh > /tmp/bin-dir \
 && mkdir /out && cp "$(tail -n 1 /tmp/bin-dir)"/* /out/

FROM ${NODE_IMAGE} AS runtime
# git fetches the deploy branch; ssh for ssh remotes. The rendering tools come from the
# tools stage into /usr/local/bin, where src/render/tools.ts looks for them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Production dependencies minus those only synth, authoring and the other commands
# load (cdk8s, TypeScript, ...): the same script builds the tree the tests run.
COPY package.json package-lock.json ./
COPY test/tools/agent-runtime-deps.sh /tmp/agent-runtime-deps.sh
RUN sh /tmp/agent-runtime-deps.sh && rm /tmp/agent-runtime-deps.sh && npm cache clean --force
COPY --from=build /src/lib ./lib
COPY bin ./bin
COPY --from=tools /out/ /usr/local/bin/
# Non-root, numeric (the Deployment sets runAsUser 10001 and a read-only root; /tmp is an emptyDir).
USER 10001:10001
ENV NODE_ENV=production HOME=/tmp
# --optimize-for-size: V8 grows the heap in smaller steps. Measured with 5000 objects
# across 500 apps (npm run bench:memory): peak RSS 112 MiB instead of 150-160 MiB, the
# same sync time. The benchmark starts the agent with these flags, read from this line.
ENTRYPOINT ["node", "--optimize-for-size", "/app/bin/synthops"]
CMD ["agent", "--help"]
