#!/usr/bin/python3
"""ZADD into one growing sorted set, tandem-server beside stock redis-server.

redis-benchmark's ZADD test adds random members (element:0..999999, random scores) to one key,
myzset, so its cost per request climbs with the set (a skiplist search of a few hundred thousand
nodes waits on memory) and compare.py's rounds, which keep adding to it, see it move by up to 2x
between rounds. This script isolates that: for each of --pairs fresh pairs of servers (both
filled with the key space's 1M strings, as compare.py does), it runs --rounds x --requests ZADD
-P 16 against each server in turn (tandem, redis, tandem, redis, ...) and prints each round's
CPU per request (schedstat) and the set's size, then the ratio per round.

Uses compare.py's server handling: loopback only, free ports, servers stopped by PID.
Run: /usr/bin/python3 bench/zadd_growth.py [--pairs 2] [--rounds 4] [--requests 200000]
"""

import argparse
import os
import shutil
import signal
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare as cmp  # noqa: E402


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tandem", default=os.path.join(cmp.REPO_ROOT,
                                                      "build-release/server/tandem-server"))
    ap.add_argument("--redis", default="/usr/bin/redis-server")
    ap.add_argument("--pairs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--no-populate", action="store_true")
    args = ap.parse_args(argv)
    if shutil.which("redis-benchmark") is None:
        raise cmp.BenchError("redis-benchmark not found on PATH (apt install redis-tools)")
    cpus = sorted(os.sched_getaffinity(0))
    pin = len(cpus) >= 2 and shutil.which("taskset") is not None
    server_cpu, bench_cpu = (cpus[0], cpus[1]) if pin else (None, None)
    if pin:
        os.sched_setaffinity(0, {bench_cpu})
    import atexit
    atexit.register(cmp.cleanup)
    signal.signal(signal.SIGINT, cmp._on_signal)
    signal.signal(signal.SIGTERM, cmp._on_signal)

    ratios = []
    for pair in range(1, args.pairs + 1):
        servers = [cmp.Server("tandem", os.path.abspath(args.tandem), server_cpu),
                   cmp.Server("redis", os.path.abspath(args.redis), server_cpu)]
        cmp._SERVERS.extend(servers)
        for s in servers:
            s.start()
            if not args.no_populate:
                cmp.populate(s.port, cmp.KEYSPACE)
        cpu = {s.label: [] for s in servers}
        size = {s.label: [] for s in servers}
        for _ in range(args.rounds):
            for s in servers:
                run = cmp.run_benchmark(s, "zadd", 16, args.requests, bench_cpu)
                cpu[s.label].append(run["cpu_us_per_request"])
                size[s.label].append(int(cmp.resp_command(s.port, ["ZCARD", "myzset"])))
        for s in servers:
            s.stop()
        print(f"pair {pair}: CPU us/request per round (members after the round)")
        for label in ("tandem", "redis"):
            cells = "  ".join(f"{c:5.2f} ({n // 1000}k)" for c, n in zip(cpu[label], size[label]))
            print(f"  {label:7} {cells}")
        r = [t / d for t, d in zip(cpu["tandem"], cpu["redis"])]
        ratios.extend(r)
        print("  tandem/redis " + "  ".join(f"{x:.2f}x" for x in r))
    print(f"all rounds: tandem/redis CPU per request {min(ratios):.2f}x-{max(ratios):.2f}x, "
          f"median {statistics.median(ratios):.2f}x")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except cmp.BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
