#!/usr/bin/env bash
# Installs what building and testing Helenus needs on Debian 12, and nothing
# when it is all there already (so start.sh/test.sh stay fast on a ready box).
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential cmake pkg-config clang liblz4-dev libsnappy-dev libzstd-dev
      libyaml-dev zlib1g-dev libssl-dev python3-cassandra python3-pytest
      python3-prometheus-client python3-lz4 python3-snappy libedit-dev)

missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# Node.js may come from somewhere other than Debian (e.g. a nodesource build
# that bundles npm); only ask apt for what is really absent, because Debian's
# npm package conflicts with such a nodejs.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

if [ ! -d tests/node/node_modules/cassandra-driver ]; then
  echo "setup: npm install in tests/node"
  (cd tests/node && npm install --no-audit --no-fund)
fi
