# Shared by test/cluster/build.sh and test/tools/build.sh: a versioned binary cache
# that concurrent callers share. Source it after setting `label`, `cache`, `key`,
# `bin` and the array `want`; it exits (printing $bin) when the binaries are there,
# else it returns holding the build lock, with `tmp`, `log` and `start` set.

complete() { for b in "${want[@]}"; do [ -x "$bin/$b" ] || return 1; done; }

mkdir -p "$cache"
if complete; then echo "$bin"; exit 0; fi

exec 9>"$cache/build.lock"
if ! flock -n 9; then
  echo "$label: another build holds $cache/build.lock; waiting for it" >&2
  flock 9
fi
if complete; then echo "$bin"; exit 0; fi

command -v go >/dev/null || { echo "$label: 'go' is not on PATH; it is needed to build the binaries" >&2; exit 1; }
tmp="$cache/$key/tmp.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
log="$cache/$key/build.log"
start=$(date +%s)
