#!/usr/bin/env bash
# Quick start "cluster": installs the build dependencies, builds tandem-server, tandem-sentinel
# and tandem-deploy in Release, and runs the example topology (deploy/topology.example.toml, the
# three hosts of deploy/examples/topology.md) on this machine in the foreground: `up` maps its
# hosts to 127.0.0.11-13 (ports 6389/26389) and its paths to the run directory; Ctrl-C stops it. Extra
# arguments go to `tandem-deploy up`, e.g. `deploy/up-local.sh --base-port 7389`.
# TANDEM_BUILD_DIR picks another build directory (default build-release).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TANDEM_BUILD_DIR:-$root/build-release}
"$root/deploy/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DTANDEM_TESTS=OFF -DTANDEM_BENCH=OFF -DTANDEM_WITH_SENTINEL=ON >/dev/null
cmake --build "$build" --target tandem-server tandem-sentinel tandem-deploy -j"$(nproc)"
cd "$root"
exec "$build/deploy/tandem-deploy" up --topology "$root/deploy/topology.example.toml" \
     --run-dir "$root/.run/redis-dev-cluster" "$@"
