#!/usr/bin/env bash
# Builds Helenus.
#   scripts/build.sh            -> build/       (RelWithDebInfo; gives build/helenus)
#   scripts/build.sh asan       -> build/ and build-asan/  (ASan + UBSan)
#   scripts/build.sh fuzz       -> build/ and build-fuzz/  (clang, libFuzzer targets fuzz_*)
#   scripts/build.sh all        -> all three
# Set ONLY=1 to skip build/ when an argument is given.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
what="${1:-}"

if [ -z "$what" ] || [ -z "${ONLY:-}" ]; then
  cmake -B build -S . -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build build -j"$JOBS"
fi
if [ "$what" = asan ] || [ "$what" = all ]; then
  cmake -B build-asan -S . -DHL_SANITIZE=ON
  cmake --build build-asan -j"$JOBS"
fi
if [ "$what" = fuzz ] || [ "$what" = all ]; then
  CC=clang cmake -B build-fuzz -S . -DHL_FUZZ=ON
  cmake --build build-fuzz -j"$JOBS"
fi
