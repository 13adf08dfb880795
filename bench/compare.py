#!/usr/bin/python3
"""Side-by-side benchmark: tandem-server vs stock redis-server, interleaved.

Both servers are started fresh (same flags, own temp --dir, 127.0.0.1, free ports) and filled
with the 1M keys of the key space (key:%012d, 100-byte values; --no-populate skips it), then for
each round and each (test, pipeline) workload redis-benchmark runs against tandem, then
against redis (A,B,A,B,...). Besides throughput and latency, the server's CPU time per request
is measured around every redis-benchmark run: the scheduler's run time of the server's threads
(/proc/PID/task/*/schedstat, nanoseconds), or utime+stime of /proc/PID/stat (10 ms ticks)
where the kernel does not keep schedstat.

Only processes this script starts are ever signalled, always by PID.
See bench/README.md.
"""

import argparse
import atexit
import csv
import io
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_TANDEM = os.path.join(REPO_ROOT, "build-release", "server", "tandem-server")

# Short name -> (redis-benchmark -t argument, "test" column in its CSV output).
# "ping" means PING_MBULK only (-t ping would also run PING_INLINE).
KNOWN_TESTS = {
    "ping": ("ping_mbulk", "PING_MBULK"),
    "ping_mbulk": ("ping_mbulk", "PING_MBULK"),
    "ping_inline": ("ping_inline", "PING_INLINE"),
    "set": ("set", "SET"),
    "get": ("get", "GET"),
    "incr": ("incr", "INCR"),
    "mset": ("mset", "MSET (10 keys)"),
    "lpush": ("lpush", "LPUSH"),
    "rpush": ("rpush", "RPUSH"),
    "lpop": ("lpop", "LPOP"),
    "rpop": ("rpop", "RPOP"),
    "sadd": ("sadd", "SADD"),
    # redis-benchmark fills the list with LPUSH first (its own CSV row, skipped here); the CPU
    # per request of this workload therefore includes that fill, for both servers alike.
    "lrange_100": ("lrange_100", "LRANGE_100 (first 100 elements)"),
    "hset": ("hset", "HSET"),
    "spop": ("spop", "SPOP"),
    "zadd": ("zadd", "ZADD"),
    "zpopmin": ("zpopmin", "ZPOPMIN"),
}

# Workloads redis-benchmark has no -t test for: the command it sends (no -t), and what the script
# writes into both servers before the rounds. ZRANGE of 100 reads the first 100 of a 1,000-member
# sorted set (skiplist-encoded in both servers: above zset-max-listpack-entries 128).
CUSTOM_TESTS = {
    "zrange_100": ["ZRANGE", "bench:zset", "0", "99"],
}
CUSTOM_FILL = {
    "zrange_100": [["ZADD", "bench:zset", str(i), f"member:{i:06d}"] for i in range(1000)],
}

CLIENTS = 50
DATA_SIZE = 100
KEYSPACE = 1000000
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- process handling

class Server:
    """One server process started by us; stopped by PID only."""

    def __init__(self, label, binary, pin_cpu):
        self.label = label
        self.binary = binary
        self.pin_cpu = pin_cpu
        self.proc = None
        self.port = None
        self.dir = None
        self.logpath = None
        self._logf = None
        self.version = None
        self.multiplexing = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self, timeout=10.0):
        if not (os.path.isfile(self.binary) and os.access(self.binary, os.X_OK)):
            raise BenchError(f"{self.label}: binary not found or not executable: {self.binary}")
        self.dir = tempfile.mkdtemp(prefix=f"tandem-bench-{self.label}-")
        self.logpath = os.path.join(self.dir, "server.log")
        self.port = free_port()
        argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--protected-mode", "no", "--dir", self.dir]
        if self.pin_cpu is not None:
            argv = ["taskset", "-c", str(self.pin_cpu)] + argv
        self._logf = open(self.logpath, "wb")
        # Own session: a terminal Ctrl-C reaches this script (which then stops the server by
        # PID) instead of racing it. taskset exec()s, so proc.pid is the server's PID.
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._logf,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     cwd=self.dir)
        deadline = time.monotonic() + timeout
        last_err = None
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise BenchError(f"{self.label}: server exited during startup (exit code {rc}).\n"
                                 f"  command: {' '.join(repr(a) if a == '' else a for a in argv)}\n"
                                 f"  last output:\n{self.log_tail()}")
            try:
                if resp_command(self.port, ["PING"], timeout=1.0) == "PONG":
                    break
            except (OSError, BenchError) as e:
                last_err = e
            time.sleep(0.05)
        else:
            tail = self.log_tail()
            self.stop()
            raise BenchError(f"{self.label}: server did not answer PING on 127.0.0.1:{self.port} "
                             f"within {timeout:.0f}s (last error: {last_err}).\n"
                             f"  last output:\n{tail}")
        # Make sure the PID we will read CPU time from is the server, not a wrapper.
        cpu_sample(self.pid)
        try:
            info = resp_command(self.port, ["INFO", "server"], timeout=2.0)
            for line in info.splitlines():
                if line.startswith("redis_version:"):
                    self.version = line.split(":", 1)[1].strip()
                elif line.startswith("multiplexing_api:"):
                    # tandem: io_uring, or epoll without it (TANDEM_IO_URING=0, old kernels)
                    self.multiplexing = line.split(":", 1)[1].strip()
        except (OSError, BenchError):
            pass

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=15):
        try:
            with open(self.logpath, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()[-n:]
            return "\n".join("    " + l for l in lines) or "    (no output)"
        except OSError:
            return "    (no log)"

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.kill(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=5)
            except ProcessLookupError:
                pass
        if self._logf:
            self._logf.close()
            self._logf = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


_SERVERS = []
_CHILDREN = []  # running redis-benchmark processes


def cleanup():
    for p in list(_CHILDREN):
        if p.poll() is None:
            try:
                p.kill()
                p.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
    _CHILDREN.clear()
    for s in _SERVERS:
        s.stop()


def _on_signal(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def resp_command(port, args, timeout=2.0):
    """Minimal RESP client: one command, simple/bulk/error reply."""
    payload = f"*{len(args)}\r\n".encode()
    for a in args:
        b = a.encode()
        payload += b"$%d\r\n%s\r\n" % (len(b), b)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(payload)
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                raise BenchError("connection closed")
            buf += chunk
            if b"\r\n" not in buf:
                continue
            head, rest = buf.split(b"\r\n", 1)
            t = head[:1]
            if t == b"+":
                return head[1:].decode()
            if t == b"-":
                raise BenchError(head[1:].decode())
            if t == b"$":
                n = int(head[1:])
                if n < 0:
                    return None
                if len(rest) >= n + 2:
                    return rest[:n].decode("utf-8", "replace")
                continue
            if t == b":":
                return head[1:].decode()
            raise BenchError(f"unexpected reply {head[:40]!r}")


def populate(port, keys):
    """SET key:%012d (redis-benchmark's -r key names) for 0..keys-1 with DATA_SIZE-byte values,
    pipelined, so GET, SET and MSET run against a keyspace of `keys` live keys instead of
    missing lookups. Fails loudly on any error reply."""
    value = b"x" * DATA_SIZE
    batch = 10000
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        for start in range(0, keys, batch):
            n = min(batch, keys - start)
            s.sendall(b"".join(b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$%d\r\n%s\r\n"
                               % (i, DATA_SIZE, value) for i in range(start, start + n)))
            want = b"+OK\r\n" * n
            got = b""
            while len(got) < len(want):
                chunk = s.recv(1 << 20)
                if not chunk:
                    raise BenchError("connection closed while populating")
                got += chunk
            if got != want:
                raise BenchError(f"populate: unexpected reply {got[:80]!r}")


def stat_cpu_seconds(pid):
    """utime+stime (fields 14, 15 of /proc/PID/stat) in seconds, in clock ticks (10 ms)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError as e:
        raise BenchError(f"cannot read /proc/{pid}/stat: {e}")
    # comm (field 2) may contain spaces/parens: fields after the last ')' start at field 3.
    rest = data[data.rindex(")") + 2:].split()
    utime, stime = int(rest[14 - 3]), int(rest[15 - 3])
    return (utime + stime) / CLK_TCK


def schedstat_ns(pid):
    """{tid: the scheduler's run time of that thread in nanoseconds} (the first field of
    /proc/PID/task/TID/schedstat: the sum utime+stime are scaled from), or None where the kernel
    does not keep it (it then reads 0)."""
    per_thread = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError as e:
        raise BenchError(f"cannot list /proc/{pid}/task: {e}")
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                per_thread[tid] = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that just exited
    return per_thread if sum(per_thread.values()) > 0 else None


def cpu_sample(pid):
    return (schedstat_ns(pid), stat_cpu_seconds(pid))


def cpu_delta(before, after):
    """Seconds of CPU between two samples, and where they came from: schedstat (nanoseconds)
    when every thread of the first sample is still there and the ticks agree within two (a
    thread that came and went during the run is in utime+stime only), else the ticks."""
    (s0, t0), (s1, t1) = before, after
    ticks = t1 - t0
    if s0 is not None and s1 is not None and set(s0) <= set(s1):
        sched = sum(s1[tid] - s0.get(tid, 0) for tid in s1) / 1e9
        if sched >= 0 and ticks - sched <= 2 / CLK_TCK:
            return sched, "schedstat"
    return ticks, "stat"


# ----------------------------------------------------------------------------- benchmark runs

def run_benchmark(server, test, pipeline, requests, bench_cpu):
    t_arg, csv_name = KNOWN_TESTS.get(test, (test, None))
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port), "-c", str(CLIENTS),
            "-n", str(requests), "-d", str(DATA_SIZE), "-r", str(KEYSPACE), "-P", str(pipeline),
            "--csv"]
    # A custom command's CSV has one row, named after the command line.
    argv += CUSTOM_TESTS[test] if test in CUSTOM_TESTS else ["-t", t_arg]
    if bench_cpu is not None:
        argv = ["taskset", "-c", str(bench_cpu)] + argv
    if not server.alive():
        raise BenchError(f"{server.label}: server is no longer running.\n{server.log_tail()}")
    cpu0 = cpu_sample(server.pid)
    t0 = time.monotonic()
    # Output goes to temp files (no pipe to drain) so we can poll: redis-benchmark does not
    # exit when the server dies, it just stalls.
    with tempfile.TemporaryFile("w+") as fout, tempfile.TemporaryFile("w+") as ferr:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=fout, stderr=ferr, text=True)
        _CHILDREN.append(p)
        try:
            limit = t0 + max(300, requests / 500)
            while p.poll() is None:
                if not server.alive():
                    raise BenchError(f"{server.label}: server died during {test} -P {pipeline} "
                                     f"(exit code {server.proc.returncode}).\n{server.log_tail()}")
                if time.monotonic() > limit:
                    raise BenchError(f"redis-benchmark timed out against {server.label} "
                                     f"({test} -P {pipeline})")
                time.sleep(0.05)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            _CHILDREN.remove(p)
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read(), ferr.read()
    wall = time.monotonic() - t0
    if not server.alive():
        raise BenchError(f"{server.label}: server died during {test} -P {pipeline}.\n"
                         f"{server.log_tail()}")
    cpu1 = cpu_sample(server.pid)
    if p.returncode != 0:
        raise BenchError(f"redis-benchmark failed against {server.label} ({test} -P {pipeline}), "
                         f"exit {p.returncode}:\n{err.strip()[-2000:]}\n{out.strip()[-2000:]}")
    rows = list(csv.DictReader(io.StringIO(out)))
    if csv_name is not None:
        rows = [r for r in rows if r.get("test") == csv_name]
    if len(rows) != 1 or not rows[0].get("rps"):
        raise BenchError(f"could not parse redis-benchmark CSV for {test} against {server.label}:\n"
                         f"{out.strip()[-2000:]}\n{err.strip()[-2000:]}")
    r = rows[0]

    def f(k):
        v = r.get(k)
        return float(v) if v not in (None, "") else None

    rps = f("rps")
    if not rps or rps <= 0:
        raise BenchError(f"{server.label}: {test} -P {pipeline} reported rps={r.get('rps')!r} "
                         f"(errors?)\n{err.strip()[-1000:]}")
    cpu, cpu_source = cpu_delta(cpu0, cpu1)
    cpu = round(cpu, 9)
    return {
        "server": server.label, "test": test, "pipeline": pipeline, "requests": requests,
        "rps": rps, "avg_ms": f("avg_latency_ms"), "min_ms": f("min_latency_ms"),
        "p50_ms": f("p50_latency_ms"), "p95_ms": f("p95_latency_ms"),
        "p99_ms": f("p99_latency_ms"), "max_ms": f("max_latency_ms"),
        "cpu_s": cpu, "cpu_us_per_request": round(cpu * 1e6 / requests, 6), "wall_s": wall,
        "cpu_source": cpu_source,
    }


# ----------------------------------------------------------------------------- reporting

def machine_info():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)),
            "cpu_model": model, "kernel": platform.release(), "clk_tck": CLK_TCK}


def tool_version(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=5)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "unknown"


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summarize(runs, tests, pipelines):
    out = []
    for test in tests:
        for p in pipelines:
            s = {"test": test, "pipeline": p}
            for who in ("tandem", "redis"):
                rs = [r for r in runs if r["server"] == who and r["test"] == test
                      and r["pipeline"] == p]
                s[who] = {
                    "rounds": len(rs),
                    "requests": rs[0]["requests"] if rs else None,
                    "rps_median": med([r["rps"] for r in rs]),
                    "rps_min": min(r["rps"] for r in rs) if rs else None,
                    "rps_max": max(r["rps"] for r in rs) if rs else None,
                    "p50_ms_median": med([r["p50_ms"] for r in rs]),
                    "p99_ms_median": med([r["p99_ms"] for r in rs]),
                    "cpu_us_per_request_median": med([r["cpu_us_per_request"] for r in rs]),
                }
            t, r = s["tandem"], s["redis"]
            s["rps_ratio_tandem_over_redis"] = (
                t["rps_median"] / r["rps_median"] if t["rps_median"] and r["rps_median"] else None)
            tc, rc = t["cpu_us_per_request_median"], r["cpu_us_per_request_median"]
            s["cpu_ratio_redis_over_tandem"] = rc / tc if tc and rc is not None else None
            sources = {run.get("cpu_source") for run in runs if run["test"] == test
                       and run["pipeline"] == p}
            s["cpu_source"] = "schedstat" if sources == {"schedstat"} else "stat"
            out.append(s)
    return out


def fmt_num(x, spec):
    return format(x, spec) if x is not None else "n/a"


def print_report(summary, rounds):
    for s in summary:
        t, r = s["tandem"], s["redis"]
        print()
        if s.get("cpu_source") == "schedstat":
            res_text = "CPU from schedstat, ns"
        else:
            res = 1e6 / CLK_TCK / t["requests"] if t["requests"] else None
            res_text = f"CPU resolution {fmt_num(res, '.3f')} us/req"
        print(f"== {KNOWN_TESTS.get(s['test'], (None, s['test'].upper()))[1]}  -P {s['pipeline']}"
              f"  ({t['requests']} requests x {rounds} rounds, -c {CLIENTS} -d {DATA_SIZE};"
              f" {res_text})")
        print(f"   {'':8} {'rps median':>12} {'rps min-max':>23} {'p50 ms':>8} {'p99 ms':>8}"
              f" {'CPU us/req':>11}")
        for who, d in (("tandem", t), ("redis", r)):
            rng = f"{fmt_num(d['rps_min'], ',.0f')}-{fmt_num(d['rps_max'], ',.0f')}"
            print(f"   {who:8} {fmt_num(d['rps_median'], ',.0f'):>12} {rng:>23}"
                  f" {fmt_num(d['p50_ms_median'], '.3f'):>8} {fmt_num(d['p99_ms_median'], '.3f'):>8}"
                  f" {fmt_num(d['cpu_us_per_request_median'], '.3f'):>11}")
        print(f"   rps tandem/redis: {fmt_num(s['rps_ratio_tandem_over_redis'], '.2f')}x"
              f"    CPU/request redis/tandem: {fmt_num(s['cpu_ratio_redis_over_tandem'], '.2f')}x")

    print()
    print(f"{'workload':<22} {'rps t/r':>8} {'cpu r/t':>8}   rps spread (max-min)/median")
    noisy = 0
    for s in summary:
        name = f"{s['test']} -P {s['pipeline']}"
        spreads = []
        for d in (s["tandem"], s["redis"]):
            spreads.append((d["rps_max"] - d["rps_min"]) / d["rps_median"]
                           if d["rps_median"] else None)
        flag = ""
        if any(x is not None and x > 0.2 for x in spreads):
            flag = "  noisy"
            noisy += 1
        print(f"{name:<22} {fmt_num(s['rps_ratio_tandem_over_redis'], '.2f'):>8}"
              f" {fmt_num(s['cpu_ratio_redis_over_tandem'], '.2f'):>8}"
              f"   tandem {fmt_num(spreads[0] and spreads[0] * 100, '3.0f')}%"
              f"  redis {fmt_num(spreads[1] and spreads[1] * 100, '3.0f')}%{flag}")
    if noisy:
        print(f"note: {noisy} workload(s) had an rps spread > 20% across rounds; the machine is "
              f"busy or the runs are too short -- trust CPU/request more than rps there.")
    n = len(summary)
    rps_ok = sum(1 for s in summary if (s["rps_ratio_tandem_over_redis"] or 0) >= 1.0)
    cpu_ok = sum(1 for s in summary if (s["cpu_ratio_redis_over_tandem"] or 0) >= 1.0)
    print()
    print(f"SUMMARY: {rps_ok}/{n} workloads >= 1.0x rps (tandem/redis); "
          f"{cpu_ok}/{n} workloads >= 1.0x CPU/request (redis/tandem, >1 = tandem cheaper)")


def write_csv(path, summary):
    cols = ["test", "pipeline", "requests", "rounds",
            "tandem_rps_median", "tandem_rps_min", "tandem_rps_max",
            "redis_rps_median", "redis_rps_min", "redis_rps_max", "rps_ratio_tandem_over_redis",
            "tandem_p50_ms", "redis_p50_ms", "tandem_p99_ms", "redis_p99_ms",
            "tandem_cpu_us_per_request", "redis_cpu_us_per_request", "cpu_ratio_redis_over_tandem"]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for s in summary:
            t, r = s["tandem"], s["redis"]
            w.writerow([s["test"], s["pipeline"], t["requests"], t["rounds"],
                        t["rps_median"], t["rps_min"], t["rps_max"],
                        r["rps_median"], r["rps_min"], r["rps_max"],
                        s["rps_ratio_tandem_over_redis"],
                        t["p50_ms_median"], r["p50_ms_median"], t["p99_ms_median"], r["p99_ms_median"],
                        t["cpu_us_per_request_median"], r["cpu_us_per_request_median"],
                        s["cpu_ratio_redis_over_tandem"]])


# ----------------------------------------------------------------------------- main

def parse_args(argv):
    ap = argparse.ArgumentParser(description="Interleaved benchmark: tandem-server vs redis-server")
    ap.add_argument("--tandem", default=DEFAULT_TANDEM, help="tandem-server binary (default: %(default)s)")
    ap.add_argument("--redis", default="/usr/bin/redis-server", help="redis-server binary (default: %(default)s)")
    ap.add_argument("--rounds", type=int, default=3, help="A,B rounds, at least 3 (default: %(default)s)")
    ap.add_argument("--requests", type=int, default=None,
                    help="requests per run (default: 200000 for -P>1, 100000 for -P 1)")
    ap.add_argument("--tests", default="ping,set,get,incr,mset",
                    help="comma-separated redis-benchmark tests, or zrange_100 (ZRANGE 0 99 of a "
                         "1,000-member sorted set) (default: %(default)s)")
    ap.add_argument("--pipelines", default="1,16", help="comma-separated -P values (default: %(default)s)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 10x fewer requests")
    ap.add_argument("--no-populate", action="store_true",
                    help="do not pre-fill the 1M keys (GET then mostly misses)")
    ap.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    ap.add_argument("--json", metavar="OUT", help="write config, machine, raw runs and summary as JSON")
    ap.add_argument("--csv", metavar="OUT", help="write the per-workload summary as CSV")
    a = ap.parse_args(argv)
    if a.rounds < 3:
        ap.error("--rounds must be at least 3")
    a.tests = [t.strip().lower() for t in a.tests.split(",") if t.strip()]
    try:
        a.pipelines = [int(p) for p in a.pipelines.split(",") if p.strip()]
    except ValueError:
        ap.error("--pipelines must be comma-separated integers")
    if not a.tests or not a.pipelines or any(p < 1 for p in a.pipelines):
        ap.error("need at least one test and pipelines >= 1")
    if a.requests is not None and a.requests < 1:
        ap.error("--requests must be positive")
    return a


def requests_for(args, pipeline):
    if args.requests is not None:
        return args.requests
    n = 200000 if pipeline > 1 else 100000
    return n // 10 if args.quick else n


def main(argv):
    args = parse_args(argv)
    for tool in ("redis-benchmark",):
        if shutil.which(tool) is None:
            raise BenchError(f"{tool} not found on PATH (apt install redis-tools)")
    mach = machine_info()  # before this script pins itself below
    cpus = sorted(os.sched_getaffinity(0))
    pin = not args.no_pin and len(cpus) >= 2 and shutil.which("taskset") is not None
    server_cpu, bench_cpu = (cpus[0], cpus[1]) if pin else (None, None)
    if pin:
        os.sched_setaffinity(0, {bench_cpu})  # keep this script's polling off the server's CPU

    atexit.register(cleanup)
    signal.signal(signal.SIGINT, _on_signal)  # also when started in the background
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)

    for label, path in (("tandem", args.tandem), ("redis", args.redis)):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            hint = " (build it, or run bench/compare.sh)" if label == "tandem" else ""
            raise BenchError(f"{label}: binary not found or not executable: {path}{hint}")

    tandem = Server("tandem", os.path.abspath(args.tandem), server_cpu)
    redis = Server("redis", os.path.abspath(args.redis), server_cpu)
    _SERVERS.extend([tandem, redis])

    print(f"machine: nproc={mach['nproc']} usable={mach['usable_cpus']} cpu='{mach['cpu_model']}'"
          f" kernel={mach['kernel']}")
    print(f"pinning: " + (f"servers on CPU {server_cpu}, redis-benchmark on CPU {bench_cpu}"
                          if pin else "off"))

    for s in (tandem, redis):
        s.start()
        log(f"started {s.label}: pid {s.pid} port {s.port} ({s.binary})")
    versions = {
        "tandem": f"{tandem.binary} (redis_version:{tandem.version}, "
                  f"multiplexing_api:{tandem.multiplexing})",
        "redis": f"{redis.binary} (redis_version:{redis.version}); "
                 f"{tool_version([redis.binary, '--version'])}",
        "redis-benchmark": tool_version(["redis-benchmark", "--version"]),
        "python": platform.python_version(),
    }
    for k, v in versions.items():
        print(f"{k}: {v}")
    print(f"tests={','.join(args.tests)} pipelines={','.join(map(str, args.pipelines))} "
          f"rounds={args.rounds} requests=" +
          ",".join(f"P{p}:{requests_for(args, p)}" for p in args.pipelines))
    sys.stdout.flush()

    if not args.no_populate:
        for s in (tandem, redis):
            t0 = time.monotonic()
            populate(s.port, KEYSPACE)
            log(f"populated {s.label}: {KEYSPACE} keys of {DATA_SIZE} bytes in "
                f"{time.monotonic() - t0:.1f}s")

    for test in args.tests:
        for cmd in CUSTOM_FILL.get(test, []):
            for s in (tandem, redis):
                resp_command(s.port, cmd)

    # Short warm-up against both servers (discarded).
    for s in (tandem, redis):
        run_benchmark(s, "ping", 16, 20000, bench_cpu)

    runs = []
    total = args.rounds * len(args.tests) * len(args.pipelines)
    i = 0
    t_start = time.monotonic()
    for rnd in range(1, args.rounds + 1):
        for test in args.tests:
            for p in args.pipelines:
                i += 1
                n = requests_for(args, p)
                for s in (tandem, redis):  # A, B
                    r = run_benchmark(s, test, p, n, bench_cpu)
                    r["round"] = rnd
                    runs.append(r)
                    log(f"[{i}/{total}] round {rnd} {test:<6} -P {p:<3} {s.label:<6} "
                        f"{r['rps']:>12,.0f} rps  p50 {r['p50_ms']:.3f} ms  "
                        f"{r['cpu_us_per_request']:.3f} us/req")
    elapsed = time.monotonic() - t_start

    cleanup()
    summary = summarize(runs, args.tests, args.pipelines)
    print_report(summary, args.rounds)
    print(f"(benchmark time {elapsed:.0f}s)")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": mach, "versions": versions,
                       "config": {"tests": args.tests, "pipelines": args.pipelines,
                                  "rounds": args.rounds, "clients": CLIENTS,
                                  "data_size": DATA_SIZE, "keyspace": KEYSPACE,
                                  "populated": not args.no_populate,
                                  "requests": {str(p): requests_for(args, p) for p in args.pipelines},
                                  "pinned": pin, "server_cpu": server_cpu, "bench_cpu": bench_cpu},
                       "runs": runs, "summary": summary}, f, indent=2)
        log(f"wrote {args.json}")
    if args.csv:
        write_csv(args.csv, summary)
        log(f"wrote {args.csv}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchError as e:
        cleanup()
        log(f"error: {e}")
        sys.exit(2)
    except KeyboardInterrupt:
        cleanup()
        log("interrupted; servers stopped")
        sys.exit(130)
    finally:
        cleanup()
