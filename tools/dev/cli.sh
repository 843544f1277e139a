#!/usr/bin/env bash
# `npm run hookstream -- …`: the control-api CLI with this checkout's keys (see load_dev_keys).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/apps.sh"
cd "$ROOT"
load_dev_keys
exec node -r ./tools/runtime/register.js dist/apps/control-api/src/cli.js "$@"
