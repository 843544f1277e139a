#!/bin/sh
# The Node flags of one app, on one line: `node $(sh tools/runtime/node-flags.sh automation) …`.
# Every launcher takes them from here: the image's CMD (docker/Dockerfile), `npm start`
# (tools/dev/run-all.sh), and the e2e helper and the benches (e2e/support/pipeline.ts), so what
# the benches measure is what users run. HOOKSTREAM_APP_NODE_FLAGS=off prints nothing (A/B runs).
#
# automation: 16 MB semi-spaces instead of the 32 MB Node 24 picks on a machine with plenty of
#   memory (on a small one it already picks 16 MB). With 32 MB, V8 ran a full
#   mark-compact in automation every 0.5–1 s under load (52 in one pipeline bench, against 3–9 in
#   each other app), started by its own heuristics, not by the old generation's limit; with 16 MB,
#   16. Automation's CPU per event fell by 15–40 % and its peak RSS by 15–25 %
#   (bench/README.md, session 16). The other apps keep the default: delivery, whose attempts live
#   for milliseconds, pauses less in a larger young generation.
[ "${HOOKSTREAM_APP_NODE_FLAGS:-on}" = off ] && exit 0
case "$1" in
  automation) echo "--max-semi-space-size=16" ;;
esac
exit 0
