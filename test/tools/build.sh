#!/usr/bin/env bash
# Builds kustomize, helm, sops, age and age-keygen from the Go module proxy
# (`go install <pkg>@<version>`) into a cache outside the repo, keyed by the pinned
# versions. Safe to call concurrently: a lock makes the second caller wait and then
# reuse the first caller's binaries. Progress goes to stderr; the last stdout line
# is the bin directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"

cache=${SYNTHOPS_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/synthops/tools}
# Same formula as toolsBinDir() in src/render/tools.ts.
key="kustomize-${KUSTOMIZE_VERSION}-helm-${HELM_VERSION}-sops-${SOPS_VERSION}-age-${AGE_VERSION}"
bin="$cache/$key/bin"
want=(kustomize helm sops age age-keygen)

label="tools"
. "$here/../lib/cached-build.sh"

# go install -v names each package as it compiles it: count them as progress.
# GOTOOLCHAIN=local: age's go.mod asks for a newer toolchain than its go line needs;
# build with the installed Go rather than downloading one.
install() { # install <label> <ldflags> <pkg@version...>
  local label=$1 ldflags=$2; shift 2
  local t0; t0=$(date +%s)
  echo "tools: building $label (log: $log)" >&2
  ( GOBIN="$tmp" GOTOOLCHAIN=local CGO_ENABLED=0 go install -v -trimpath -ldflags "$ldflags" "$@" ) 2>&1 \
    | tee -a "$log" | awk -v l="$label" '{ n++; if (n % 100 == 0) { printf "tools: %s: %d packages compiled\n", l, n > "/dev/stderr" } }'
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -ne 0 ]; then echo "tools: building $label failed; last lines of $log:" >&2; tail -n 30 "$log" >&2; exit "$rc"; fi
  echo "tools: $label built in $(( $(date +%s) - t0 ))s" >&2
}

# Each -X stamps the version the binary prints, so `<tool> version` shows the pin
# (helm's source carries only "v4.3"; kustomize and age otherwise fall back to the
# module version in the build info, which `go install pkg@version` also sets).
install "kustomize ${KUSTOMIZE_VERSION}" "-s -w -X sigs.k8s.io/kustomize/api/provenance.version=${KUSTOMIZE_VERSION}" \
  "sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}"
install "helm ${HELM_VERSION}" "-s -w -X helm.sh/helm/v4/internal/version.version=${HELM_VERSION} -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
  "helm.sh/helm/v4/cmd/helm@${HELM_VERSION}"
install "sops ${SOPS_VERSION}" "-s -w -X github.com/getsops/sops/v3/version.Version=${SOPS_VERSION#v}" \
  "github.com/getsops/sops/v3/cmd/sops@${SOPS_VERSION}"
install "age ${AGE_VERSION}" "-s -w -X main.Version=${AGE_VERSION}" \
  "filippo.io/age/cmd/age@${AGE_VERSION}" "filippo.io/age/cmd/age-keygen@${AGE_VERSION}"

mkdir -p "$bin"
for b in "${want[@]}"; do mv "$tmp/$b" "$bin/$b"; done
rm -rf "$tmp"
echo "tools: built in $(( $(date +%s) - start ))s into $bin" >&2
echo "$bin"
