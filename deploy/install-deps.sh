#!/usr/bin/env bash
# Installs what tandem needs to build, test and benchmark on Debian 12, from Debian's packages.
# Idempotent: a machine that already has everything only pays for one dpkg query.
set -euo pipefail
pkgs=(cmake ninja-build g++ clang clang-format libclang-rt-14-dev pkg-config git
      libuv1-dev liburing-dev libfmt-dev libtomlplusplus-dev doctest-dev libbenchmark-dev
      redis-server redis-sentinel redis-tools python3 python3-pytest python3-redis
      ansible ansible-lint iproute2 nftables   # ip + nft: the partition tests' namespaces
      systemd)  # systemd-analyze verify: the rendered units (tests/integration/test_deploy.py)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The redis-server and redis-sentinel packages start a stock Redis on 6379 and a Sentinel on
# 26379 where systemd runs; tandem never touches them, and tests start their own stock instances
# (/usr/bin/redis-server, /usr/bin/redis-sentinel) on free loopback ports.
