#!/usr/bin/env bash
# Makes a kustomize binary available and prints its path as the last line of stdout.
# Order: $KUSTOMIZE_BIN, kustomize on PATH, the project cache, else `go install` from the Go module proxy
# (no prebuilt-binary downloads: only registries are reachable from dev machines and CI).
# v5.8.2 is pinned because it is the newest release whose go.mod (go 1.26, kustomize/api v0.21.2)
# builds with the Go 1.26 toolchain on our machines; v5.8.3 needs Go 1.27.
set -euo pipefail

KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.8.2}"
CACHE_DIR="${HOOKSTREAM_CACHE:-$HOME/.cache/hookstream}"
BIN_DIR="$CACHE_DIR/bin"

log() { echo "[ensure-kustomize] $*" >&2; }

if [[ -n "${KUSTOMIZE_BIN:-}" && -x "${KUSTOMIZE_BIN}" ]]; then
  log "using KUSTOMIZE_BIN=$KUSTOMIZE_BIN"
  echo "$KUSTOMIZE_BIN"
  exit 0
fi

if command -v kustomize >/dev/null 2>&1; then
  log "using kustomize on PATH ($(kustomize version 2>/dev/null || echo unknown))"
  command -v kustomize
  exit 0
fi

if [[ -x "$BIN_DIR/kustomize" ]]; then
  log "using cached $BIN_DIR/kustomize ($("$BIN_DIR/kustomize" version 2>/dev/null || echo unknown))"
  echo "$BIN_DIR/kustomize"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  log "kustomize not found and no Go toolchain to build it; install Go 1.26+ or set KUSTOMIZE_BIN"
  exit 1
fi

mkdir -p "$BIN_DIR"
log "installing sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION with $(go version) into $BIN_DIR (first run downloads modules; about a minute)"
start=$(date +%s)
GOBIN="$BIN_DIR" go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2
log "installed in $(( $(date +%s) - start ))s: $("$BIN_DIR/kustomize" version)"
echo "$BIN_DIR/kustomize"
