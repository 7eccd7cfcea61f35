#!/usr/bin/env bash
# Build the real peers the peer tests drive: headscale (a control server) and tailscaled/tailscale
# (nodes), with the machine's Go toolchain (Go >= 1.26), into ~/.cache/tailgen/<name>-<version>/.
#
# Why this recipe: `go install MODULE@VERSION` fails on machines whose module proxy refuses the
# version *list* (deprecation check). Fetching one exact version works, so: `go mod download -json
# MODULE@VERSION`, copy its Dir out of the read-only module cache, `go build` there. Only the Go
# module proxy is used. Nothing is written inside the clone; sources and binaries are never
# committed. Idempotent: a cache directory holding the binaries and a `.complete` stamp is reused.
#
# Usage: scripts/build-peers.sh [--cached]
#   prints the headscale and tailscale cache directories on stdout, one a line; with --cached,
#   builds nothing and exits 3 when a binary is not built yet (for benchmarks).
set -euo pipefail

CACHED_ONLY=0
if [[ "${1:-}" == "--cached" ]]; then CACHED_ONLY=1; fi

HEADSCALE_VERSION="${TAILGEN_HEADSCALE_VERSION:-v0.29.2}"
# The tailscale.com version headscale v0.29.2's go.mod requires.
TAILSCALE_VERSION="${TAILGEN_TAILSCALE_VERSION:-v1.101.0-pre}"
CACHE_ROOT="${TAILGEN_PEER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tailgen}"

log() { echo "build-peers: $*" >&2; }

need_go() {
  if ! command -v go >/dev/null 2>&1; then
    log "Go is not installed (need Go >= 1.26 to build headscale and tailscaled)"
    exit 1
  fi
}

# build NAME MODULE VERSION PKG... : download MODULE@VERSION and build PKGs into the cache dir.
build() {
  local name=$1 module=$2 version=$3
  shift 3
  local dest="$CACHE_ROOT/$name-$version"
  if [[ -f "$dest/.complete" ]]; then
    echo "$dest"
    return
  fi
  if ((CACHED_ONLY)); then
    log "$name $version is not built: run scripts/build-peers.sh"
    exit 3
  fi
  need_go
  log "building $module@$version into $dest (a few minutes on 2 cores)"
  local src
  src=$(go mod download -json "$module@$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  local work
  work=$(mktemp -d "${TMPDIR:-/tmp}/tailgen-build-$name.XXXXXX")
  trap 'rm -rf "$work"' RETURN
  cp -r "$src/." "$work/"
  chmod -R u+w "$work"
  mkdir -p "$dest.partial"
  (cd "$work" && CGO_ENABLED=0 go build -trimpath -o "$dest.partial/" "$@")
  rm -rf "$dest"
  mv "$dest.partial" "$dest"
  echo "$module@$version" >"$dest/.complete"
  log "built: $dest"
  echo "$dest"
}

mkdir -p "$CACHE_ROOT"
build headscale github.com/juanfont/headscale "$HEADSCALE_VERSION" ./cmd/headscale
build tailscale tailscale.com "$TAILSCALE_VERSION" ./cmd/tailscaled ./cmd/tailscale
