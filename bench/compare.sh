#!/bin/sh
# Thin wrapper around bench/compare.py: builds the Release tandem-server if it is missing
# (or if --build is given), then runs the comparison. All other options go to compare.py;
# see bench/README.md or `bench/compare.sh --help`.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/build-release/server/tandem-server"
PY=/usr/bin/python3

force_build=0
custom_tandem=0
for a in "$@"; do
  case "$a" in
    --build) force_build=1 ;;
    --tandem|--tandem=*) custom_tandem=1 ;;
    -h|--help) exec "$PY" "$ROOT/bench/compare.py" --help ;;
  esac
done

# Drop our own --build flag before handing the arguments to compare.py.
n=$#
while [ "$n" -gt 0 ]; do
  a=$1; shift; n=$((n - 1))
  [ "$a" = "--build" ] || set -- "$@" "$a"
done

if [ "$custom_tandem" = 0 ] && { [ "$force_build" = 1 ] || [ ! -x "$BIN" ]; }; then
  extra=""
  # The top-level CMakeLists adds bench/ when TANDEM_BENCH is ON (the default); without
  # bench/CMakeLists.txt that configure step cannot succeed, and the server does not need it.
  [ -f "$ROOT/bench/CMakeLists.txt" ] || extra="-DTANDEM_BENCH=OFF"
  echo "compare.sh: building $BIN (Release)..." >&2
  (
    cd "$ROOT"
    flock /tmp/tandem-build.lock sh -c "
      cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DTANDEM_TESTS=OFF $extra &&
      cmake --build build-release --target tandem-server"
  ) || { echo "compare.sh: build of tandem-server failed" >&2; exit 1; }
fi

exec "$PY" "$ROOT/bench/compare.py" "$@"
