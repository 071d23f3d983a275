#!/usr/bin/env bash
# Installs, builds and starts one Helenus node in the foreground on
# 127.0.0.1:9042 with its data under ./data. Extra arguments go to the server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec build/helenus server "$@"
