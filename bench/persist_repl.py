#!/usr/bin/env python3
"""Side-by-side persistence and replication figures: tandem-server vs stock redis-server 7.0.15,
same settings, same machine, interleaved rounds (A, B, A, B, ...), medians and ratios.

Workloads (each on a fresh pair of servers in a temp dir on loopback):
  rdb_save     BGSAVE of N keys (time until rdb_bgsave_in_progress:0)
  rdb_load     start-up load of that dump.rdb (time until PING answers and DBSIZE == N)
  aof_load     start-up load of an appendonly dir holding N SETs as commands
  full_sync    a new replica of a master holding N keys: REPLICAOF until link up and DBSIZE == N
  set_2repl    redis-benchmark SET -P 16 against a master with two replicas attached (req/s,
               master CPU per request, and the replication lag in bytes sampled during it)
  set_aof      redis-benchmark SET -P 16 with appendonly yes, appendfsync everysec (req/s)

Usage: bench/persist_repl.py [--keys N] [--rounds R] [--tandem PATH] [--redis PATH] [--json F]
                             [--only set_2repl,full_sync,...]
Fails loudly (exit 1) if a server cannot start or a workload errors. Not a test: no thresholds.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HOST = "127.0.0.1"


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cmd(port, *args, timeout=600):
    out = subprocess.run(["redis-cli", "-h", HOST, "-p", str(port)] + [str(a) for a in args],
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"redis-cli {args} failed: {out.stderr}")
    return out.stdout.strip()


def info_field(port, section, field):
    for line in cmd(port, "INFO", section).splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1]
    return None


class Srv:
    def __init__(self, binary, directory, extra=()):
        os.makedirs(directory, exist_ok=True)
        self.port = free_port()
        self.dir = directory
        args = [binary, "--port", str(self.port), "--bind", HOST, "--save", "", "--dir", directory,
                "--daemonize", "no", "--logfile", os.path.join(directory, "log"),
                "--enable-debug-command", "yes"] + list(extra)
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while True:
            if self.p.poll() is not None:
                raise RuntimeError(f"{binary} exited at start: {open(os.path.join(directory, 'log')).read()[-2000:]}")
            try:
                if cmd(self.port, "PING", timeout=5) == "PONG":
                    break
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not answer PING")
            time.sleep(0.01)
        self.ready = time.monotonic() - self.t0

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def wait(pred, timeout=600, step=0.01):
    t0 = time.monotonic()
    while not pred():
        if time.monotonic() - t0 > timeout:
            raise RuntimeError("timed out")
        time.sleep(step)
    return time.monotonic() - t0


def populate(port, n):
    cmd(port, "DEBUG", "POPULATE", n, "key", 100)


def bench_rdb(binary, base, n):
    s = Srv(binary, base)
    try:
        populate(s.port, n)
        t0 = time.monotonic()
        cmd(s.port, "BGSAVE")
        wait(lambda: info_field(s.port, "persistence", "rdb_bgsave_in_progress") == "0" and
             os.path.exists(os.path.join(base, "dump.rdb")))
        save = time.monotonic() - t0
    finally:
        s.stop()
    s = Srv(binary, base)
    try:
        load = s.ready
        if int(cmd(s.port, "DBSIZE")) != n:
            raise RuntimeError("rdb load: wrong DBSIZE")
    finally:
        s.stop()
    return save, load


def bench_aof_load(binary, base, n):
    s = Srv(binary, base, ["--appendonly", "yes", "--appendfsync", "no"])
    try:
        subprocess.run(["redis-benchmark", "-h", HOST, "-p", str(s.port), "-t", "set", "-n", str(n),
                        "-r", str(n * 10), "-P", "64", "-q", "-d", "100"], check=True,
                       capture_output=True, timeout=600)
        keys = int(cmd(s.port, "DBSIZE"))
    finally:
        s.stop()
    s = Srv(binary, base, ["--appendonly", "yes"])
    try:
        if int(cmd(s.port, "DBSIZE")) != keys:
            raise RuntimeError("aof load: wrong DBSIZE")
        return s.ready
    finally:
        s.stop()


def bench_full_sync(binary, base, n):
    m = Srv(binary, os.path.join(base, "m"), ["--repl-diskless-sync", "no"])
    r = Srv(binary, os.path.join(base, "r"))
    try:
        populate(m.port, n)
        t0 = time.monotonic()
        cmd(r.port, "REPLICAOF", HOST, m.port)
        wait(lambda: info_field(r.port, "replication", "master_link_status") == "up" and
             int(cmd(r.port, "DBSIZE")) == n)
        return time.monotonic() - t0
    finally:
        r.stop()
        m.stop()


def rps(port, extra=()):
    out = subprocess.run(["redis-benchmark", "-h", HOST, "-p", str(port), "-t", "set", "-n", "1000000",
                          "-r", "1000000", "-P", "16", "-c", "50", "-d", "100", "-q"] + list(extra),
                         capture_output=True, text=True, check=True, timeout=600)
    for tok in out.stdout.replace("\r", "\n").split("\n"):
        if "requests per second" in tok:
            return float(tok.split(":")[1].split()[0])
    raise RuntimeError(f"no figure in {out.stdout!r}")


def cpu_seconds(pid):
    """utime + stime of a process, from /proc (robust to other load on the machine)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class InfoConn:
    """A persistent connection for INFO replication polls (no redis-cli process per sample)."""

    def __init__(self, port):
        self.s = socket.create_connection((HOST, port), timeout=5)

    def offset(self):
        self.s.sendall(b"*2\r\n$4\r\nINFO\r\n$11\r\nreplication\r\n")
        buf = b""
        while b"\r\n" not in buf:
            buf += self.s.recv(65536)
        n = int(buf[1:buf.index(b"\r\n")])
        head = buf.index(b"\r\n") + 2
        while len(buf) < head + n + 2:
            buf += self.s.recv(65536)
        for line in buf[head:head + n].decode().split("\r\n"):
            if line.startswith("master_repl_offset:"):
                return int(line.split(":")[1])
        raise RuntimeError("no master_repl_offset in INFO")


def bench_set_2repl(binary, base):
    """(requests per second, master CPU microseconds per request, replication lag in bytes:
    median and max over samples taken every 20 ms during the load, the master's offset minus
    the furthest-behind replica's. The replicas are read first, so each sample is an upper
    bound of the lag at that moment, for both servers alike)."""
    m = Srv(binary, os.path.join(base, "m"))
    rs = [Srv(binary, os.path.join(base, f"r{i}")) for i in range(2)]
    try:
        for r in rs:
            cmd(r.port, "REPLICAOF", HOST, m.port)
        for r in rs:
            wait(lambda r=r: info_field(r.port, "replication", "master_link_status") == "up")
        conns = [InfoConn(m.port)] + [InfoConn(r.port) for r in rs]
        lags = []
        stop = [False]

        lows = []

        def sample():
            # The master's offset is read before and after the replicas': after - replica is an
            # upper bound of the lag, before - replica a lower bound (it also leaves out the time
            # a busy master takes to answer INFO).
            while not stop[0]:
                before = conns[0].offset()
                behind = min(c.offset() for c in conns[1:])
                lags.append(conns[0].offset() - behind)
                lows.append(max(0, before - behind))
                time.sleep(0.02)

        import threading
        t = threading.Thread(target=sample, daemon=True)
        c0 = cpu_seconds(m.p.pid)
        t.start()
        rate = rps(m.port)
        stop[0] = True
        t.join(5)
        cpu = (cpu_seconds(m.p.pid) - c0) * 1e6 / 1000000
        return rate, cpu, statistics.median(lags), max(lags), statistics.median(lows), max(lows)
    finally:
        for s in rs + [m]:
            s.stop()


def bench_set_aof(binary, base):
    """(requests per second, server CPU microseconds per request) of SET -P 16 with
    appendonly yes, appendfsync everysec. CPU per request includes the AOF writes and any
    rewrite child's work is not counted (a separate process), for both servers alike."""
    s = Srv(binary, base, ["--appendonly", "yes", "--appendfsync", "everysec"])
    try:
        c0 = cpu_seconds(s.p.pid)
        rate = rps(s.port)
        return rate, (cpu_seconds(s.p.pid) - c0) * 1e6 / 1000000
    finally:
        s.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tandem", default=os.path.join(os.path.dirname(__file__), "..",
                                                      "build-release", "server", "tandem-server"))
    ap.add_argument("--redis", default="/usr/bin/redis-server")
    ap.add_argument("--json", default=None)
    ap.add_argument("--only", default="rdb,aof_load,full_sync,set_2repl,set_aof",
                    help="comma-separated workloads")
    a = ap.parse_args()
    only = set(a.only.split(","))
    servers = {"tandem": os.path.abspath(a.tandem), "redis": a.redis}
    results = {k: {} for k in servers}
    for rnd in range(a.rounds):
        for name, binary in servers.items():
            base = tempfile.mkdtemp(prefix=f"bench-{name}-")
            try:
                if "rdb" in only:
                    save, load = bench_rdb(binary, os.path.join(base, "rdb"), a.keys)
                    results[name].setdefault("rdb_save_s", []).append(save)
                    results[name].setdefault("rdb_load_s", []).append(load)
                if "aof_load" in only:
                    results[name].setdefault("aof_load_s", []).append(
                        bench_aof_load(binary, os.path.join(base, "aof"), a.keys))
                if "full_sync" in only:
                    results[name].setdefault("full_sync_s", []).append(
                        bench_full_sync(binary, os.path.join(base, "sync"), a.keys))
                if "set_2repl" in only:
                    rate, cpu, lag_med, lag_max, low_med, low_max = bench_set_2repl(
                        binary, os.path.join(base, "repl"))
                    results[name].setdefault("set_P16_2replicas_rps", []).append(rate)
                    results[name].setdefault("set_P16_2replicas_master_cpu_us_per_req",
                                             []).append(cpu)
                    results[name].setdefault("repl_lag_median_bytes", []).append(lag_med)
                    results[name].setdefault("repl_lag_max_bytes", []).append(lag_max)
                    results[name].setdefault("repl_lag_low_median_bytes", []).append(low_med)
                    results[name].setdefault("repl_lag_low_max_bytes", []).append(low_max)
                if "set_aof" in only:
                    rate, cpu = bench_set_aof(binary, os.path.join(base, "aofset"))
                    results[name].setdefault("set_P16_aof_everysec_rps", []).append(rate)
                    results[name].setdefault("set_P16_aof_everysec_cpu_us_per_req",
                                             []).append(cpu)
            finally:
                shutil.rmtree(base, ignore_errors=True)
            print(f"round {rnd + 1} {name} done", file=sys.stderr)
    print(f"{'workload':28} {'tandem':>12} {'redis':>12} {'speed ratio':>12}")
    table = {}
    for w in results["tandem"]:
        t = statistics.median(results["tandem"][w])
        r = statistics.median(results["redis"][w])
        # Times and CPU: redis/tandem (higher is better for tandem); rates: tandem/redis.
        lower_better = w.endswith("_s") or "cpu" in w or "lag" in w
        ratio = (r / t if t else float("inf")) if lower_better else t / r
        table[w] = {"tandem": t, "redis": r, "ratio": ratio,
                    "tandem_all": results["tandem"][w], "redis_all": results["redis"][w]}
        unit = "s" if w.endswith("_s") else ("us" if "cpu" in w else ("B" if "lag" in w else
                                                                     "req/s"))
        print(f"{w:28} {t:>10.2f}{unit:>2} {r:>10.2f}{unit:>2} {ratio:>11.2f}x")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(table, f, indent=2)


if __name__ == "__main__":
    main()
