#!/usr/bin/env bash
# The Dockerfile's base images (the ARG <NAME>_IMAGE lines before the first FROM), pinned by digest.
#   test/tools/base-image.sh check [Dockerfile]  exit 1 unless every FROM uses such an ARG whose value is
#                                             <name>:<tag>@sha256:<digest> (or names a digest itself);
#                                             run it before a release build
#   test/tools/base-image.sh pin [Dockerfile]    resolve each tag's current digest with
#                                             `docker buildx imagetools inspect` (needs Docker and the
#                                             registry) and write <name>:<tag>@sha256:<digest>
set -euo pipefail
cmd="${1:-check}"
file="${2:-$(dirname "$0")/../../Dockerfile}"
pinned='^[^@[:space:]]+:[^@[:space:]]+@sha256:[0-9a-f]{64}$'

# NAME=value of the ARG *_IMAGE lines before the first FROM (the only ones FROM can use).
images() { awk '/^FROM /{exit} /^ARG [A-Z_]+_IMAGE=/{sub(/^ARG /,""); print}' "$file"; }

case "$cmd" in
  check)
    declare -A value=()
    while IFS='=' read -r name v; do value[$name]="$v"; done < <(images)
    bad=0
    while read -r _ ref _; do
      if [[ "$ref" =~ ^\$\{([A-Z_]+)\}$ ]]; then
        name="${BASH_REMATCH[1]}"
        v="${value[$name]:-}"
        if [ -z "$v" ]; then echo "$file: FROM \${$name}: no ARG $name=... before the first FROM" >&2; bad=1
        elif ! [[ "$v" =~ $pinned ]]; then echo "$file: $name=$v is not pinned by digest; run: test/tools/base-image.sh pin" >&2; bad=1
        else echo "$file: $name=$v"; fi
      elif ! [[ "$ref" =~ $pinned ]] && ! [[ "$ref" =~ ^[a-z]+$ ]]; then
        echo "$file: FROM $ref is not pinned by digest" >&2; bad=1
      fi
    done < <(grep -E '^FROM ' "$file")
    exit "$bad"
    ;;
  pin)
    while IFS='=' read -r name v; do
      tag="${v%@*}"
      digest="$(docker buildx imagetools inspect "$tag" --format '{{json .Manifest}}' | grep -oE '"digest": ?"sha256:[0-9a-f]{64}"' | head -n 1 | grep -oE 'sha256:[0-9a-f]{64}')"
      [ -n "$digest" ] || { echo "could not resolve the digest of $tag" >&2; exit 1; }
      sed -i.bak -E "s|^ARG ${name}=.*$|ARG ${name}=${tag}@${digest}|" "$file" && rm -f "$file.bak"
      echo "$file: ${name}=${tag}@${digest}"
    done < <(images)
    ;;
  *)
    echo "usage: $0 check|pin [Dockerfile]" >&2
    exit 2
    ;;
esac
