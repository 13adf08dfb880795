#!/usr/bin/env python3
"""The partition report of README's reliability table: runs tests/integration/test_partition.py
for tandem-server + tandem-sentinel and for stock redis-server + redis-sentinel 7.0.15 in the same
network-namespace harness (needs root, iproute2 and nftables), then prints one Markdown row per
scenario and server: what was promised, writes acknowledged after the fault began, writes lost,
when the lost ones were acknowledged, and the time from healing to one agreed master with both
replicas in sync.

  sudo bench/partition.py [--profile short|long] [--build DIR]

--profile long uses the example configs' down-after 6001 ms and failover-timeout 60 s,
min-replicas-max-lag 10 and 30 s partitions (about 8 minutes); short (the CI profile) takes about
two. --build is the build directory with the tandem binaries (default: build).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROMISE = {
    "master_cut": "writes to the old master after the cut may be lost; none from before",
    "master_cut_min_replicas": "old master refuses writes once replicas lag > max-lag",
    "sentinel_alone": "a minority Sentinel cannot fail over; nothing lost",
    "flapping_master_link": "one master after healing; only writes after the fault began lost",
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=("short", "long"), default="short")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "report.jsonl")
        env = dict(os.environ, TANDEM_PARTITION_STOCK="1", TANDEM_PARTITION_REPORT=out,
                   TANDEM_PARTITION_PROFILE=args.profile,
                   TANDEM_SERVER=os.path.join(build, "server", "tandem-server"),
                   TANDEM_SENTINEL=os.path.join(build, "sentinel", "tandem-sentinel"))
        rc = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              f"--basetemp={tmp}/pt", "test_partition.py"],
                             cwd=os.path.join(ROOT, "tests", "integration"), env=env)
        rows = []
        if os.path.exists(out):
            with open(out) as f:
                rows = [json.loads(line) for line in f if line.strip()]
    if not rows:
        print("no scenario ran", file=sys.stderr)
        return 1
    print(f"\nprofile {args.profile}: partitions of {rows[0]['partition_s']:.0f} s, "
          f"a client writing 200/s to the master's address\n")
    print("| scenario | promised | server | acked after fault | lost | lost acked at "
          "(s after fault) | failover | heal to agreed |")
    print("|---|---|---|---|---|---|---|---|")
    order = list(PROMISE)
    rows.sort(key=lambda r: (order.index(r["scenario"]), r["server"] != "tandem"))
    for r in rows:
        window = ("-" if not r["lost_window_s"]
                  else f"{r['lost_window_s'][0]:.2f} to {r['lost_window_s'][1]:.2f}")
        name = r["scenario"] + (f" (max-lag {r['max_lag_s']})" if r["max_lag_s"] else "")
        print(f"| {name} | {PROMISE[r['scenario']]} | {r['server']} | {r['acked_after_cut']} "
              f"| {r['lost']} | {window} | {'yes' if r['failover'] else 'no'} "
              f"| {r['recover_s']:.1f} s |")
    return rc


if __name__ == "__main__":
    sys.exit(main())
