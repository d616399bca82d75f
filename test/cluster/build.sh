#!/usr/bin/env bash
# Builds the local control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, kwok) from the Go module proxy into a cache outside the
# repo, keyed by the pinned versions. Safe to call concurrently: a lock makes the
# second caller wait and then reuse the first caller's binaries.
# Prints the bin directory as its last line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"

cache=${SYNTHOPS_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/synthops/cluster}
key="k8s-${K8S_VERSION}-etcd-${ETCD_VERSION}-kwok-${KWOK_VERSION}"
bin="$cache/$key/bin"
want=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)

label="control plane"
. "$here/../lib/cached-build.sh"

# go build -v names each package as it compiles it: count them as progress.
build() { # build <label> <module dir> <ldflags> <packages...>
  local label=$1 dir=$2 ldflags=$3; shift 3
  echo "control plane: building $label (log: $log)" >&2
  ( cd "$dir" && CGO_ENABLED=0 go build -v -trimpath -ldflags "$ldflags" -o "$tmp/" "$@" ) 2>&1 \
    | tee -a "$log" | awk -v l="$label" '{ n++; if (n % 200 == 0) { printf "control plane: %s: %d packages compiled\n", l, n > "/dev/stderr" } }'
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -ne 0 ]; then echo "control plane: building $label failed; last lines of $log:" >&2; tail -n 30 "$log" >&2; exit "$rc"; fi
}

ver="-s -w -X k8s.io/component-base/version.gitVersion=${K8S_VERSION} -X k8s.io/component-base/version.gitMajor=${K8S_VERSION_MAJOR} -X k8s.io/component-base/version.gitMinor=${K8S_VERSION_MINOR} -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.gitVersion=${K8S_VERSION} -X k8s.io/client-go/pkg/version.gitMajor=${K8S_VERSION_MAJOR} -X k8s.io/client-go/pkg/version.gitMinor=${K8S_VERSION_MINOR}"
build "kubernetes ${K8S_VERSION} + etcd ${ETCD_VERSION}" "$here" "$ver" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
build "etcd ${ETCD_VERSION}" "$here" "-s -w" go.etcd.io/etcd/server/v3
mv "$tmp/server" "$tmp/etcd"  # go names a /v3 module's binary after "server"
build "kwok ${KWOK_VERSION}" "$here/kwok" "-s -w" sigs.k8s.io/kwok/cmd/kwok

mkdir -p "$bin"
for b in "${want[@]}"; do mv "$tmp/$b" "$bin/$b"; done
rm -rf "$tmp"
echo "control plane: built in $(( $(date +%s) - start ))s into $bin" >&2
echo "$bin"
