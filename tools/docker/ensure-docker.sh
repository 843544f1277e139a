#!/usr/bin/env bash
# Makes a Docker engine answer on this machine, or says why it cannot.
#   tools/docker/ensure-docker.sh        # exit 0 when `docker info` works
# - Engine already answering (a normal Docker host, Docker Desktop, a CI service): nothing to do.
# - Not installed: installs Debian's `docker.io` with apt (root, or sudo).
# - Installed, not running (no systemd here): starts `dockerd --bridge=none --iptables=false`
#   itself, log in /var/log/hookstream-dockerd.log. No bridge, no iptables rules: every
#   Hookstream container uses host networking, so all traffic stays on 127.0.0.1.
# HOOKSTREAM_DOCKER=0 skips it all (exit 3: "no engine, by choice").
set -euo pipefail
# shellcheck source=../infra/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../infra" && pwd)/lib.sh"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/hookstream-dockerd.log}"
DOCKER_WAIT_SECONDS="${DOCKER_WAIT_SECONDS:-60}"

log() { printf '[docker] %s\n' "$*" >&2; }

if [ "${HOOKSTREAM_DOCKER:-1}" = "0" ]; then
  log "HOOKSTREAM_DOCKER=0: not using Docker"
  exit 3
fi

engine_up() { docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && engine_up; then
  log "Docker engine $(docker info --format '{{.ServerVersion}}' 2>/dev/null) answering"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 ||
    { log "no Docker engine and no apt-get to install one: install Docker, or run with HOOKSTREAM_DOCKER=0"; exit 1; }
  log "installing Debian's docker.io (apt-get; one-time) ..."
  t0=$SECONDS
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 ||
    { log "apt-get update failed (see above)"; exit 1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >&2 ||
    { log "apt-get install docker.io failed (see above)"; exit 1; }
  log "docker.io installed in $((SECONDS - t0)) s"
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  # No dockerd runs, so a pid file left by one that did not stop cleanly (a machine restored from a
  # snapshot, a killed engine) is stale. dockerd refuses to start while the pid in it is alive, and
  # after a reboot that number may belong to any other process.
  # The same for the containerd that dockerd starts for itself, when none runs: dockerd would wait
  # for the process of that pid to answer, then give up.
  stale=(/var/run/docker.pid)
  pgrep -x containerd >/dev/null 2>&1 || stale+=(/var/run/docker/containerd/containerd.pid)
  for f in "${stale[@]}"; do
    [ -f "$f" ] || continue
    log "removing the stale $f (pid $(cat "$f" 2>/dev/null); not running)"
    as_root rm -f "$f"
  done
  log "starting dockerd (--bridge=none --iptables=false; log $DOCKERD_LOG)"
  # setsid + nohup: the engine outlives this shell; fd 9 (a caller's lock) is not inherited.
  as_root sh -c "setsid nohup dockerd --bridge=none --iptables=false >>'$DOCKERD_LOG' 2>&1 </dev/null 9>&- &"
fi

start=$SECONDS
until engine_up; do
  if [ $((SECONDS - start)) -ge "$DOCKER_WAIT_SECONDS" ]; then
    log "the Docker engine did not answer within ${DOCKER_WAIT_SECONDS}s; last lines of $DOCKERD_LOG:"
    tail -n 20 "$DOCKERD_LOG" >&2 2>/dev/null || true
    exit 1
  fi
  sleep 1
done
log "Docker engine $(docker info --format '{{.ServerVersion}}') answering ($((SECONDS - start)) s)"
