#!/usr/bin/env bash
# Quick start "run": installs the build dependencies, builds tandem in Release, and starts
# tandem-server on 127.0.0.1:6389 in the foreground (Ctrl-C stops it). Extra arguments are passed
# to tandem-server as directives, e.g. `deploy/run-local.sh --loglevel verbose`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/install-deps.sh"
cmake -S "$root" -B "$root/build-release" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DTANDEM_TESTS=OFF -DTANDEM_BENCH=OFF >/dev/null
cmake --build "$root/build-release" --target tandem-server -j"$(nproc)"
run="$root/.run/local"
mkdir -p "$run"
echo "tandem-server on 127.0.0.1:6389 (data: $run); try: redis-cli -p 6389 ping"
exec "$root/build-release/server/tandem-server" "$root/deploy/local/tandem-server.conf" \
     --dir "$run" "$@"
