#!/usr/bin/env python3
"""Memory per key, tandem-server against stock redis-server 7.0.15, same data, same run.

For each data set a fresh server of each kind is started (no persistence), N keys are written
over one pipelined connection, and the growth of INFO used_memory and of the process's RSS
(/proc/PID/status VmRSS) is divided by N:

  strings  SET key:<i> <100-byte value>
  hashes   HSET hash:<i> with 5 fields of ~10-byte values   (listpack in both servers)
  zsets    ZADD zset:<i> with 10 members                    (listpack in both servers)

Usage: bench/memory.py [--keys N] [--tandem PATH] [--redis PATH] [--json FILE]
Fails loudly if a server cannot start or a reply is an error."""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

HOST = "127.0.0.1"


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection((HOST, port), timeout=120)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise RuntimeError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self._line()
        if line[:1] == b"-":
            raise RuntimeError(f"error reply: {line!r}")
        if line[:1] == b"$":
            n = int(line[1:])
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.s.recv(1 << 20)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        return line[1:]

    def command(self, *args):
        self.s.sendall(encode(*args))
        return self.reply()

    def pipeline(self, payloads):
        self.s.sendall(b"".join(payloads))
        for _ in payloads:
            self.reply()


def info_int(c, field):
    text = c.command("INFO", "memory").decode()
    for line in text.split("\r\n"):
        if line.startswith(field + ":"):
            return int(line.split(":", 1)[1])
    raise RuntimeError(f"no {field} in INFO")


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def command_for(dataset, i):
    if dataset == "strings":
        return encode("SET", f"key:{i:07d}", b"v" * 100)
    if dataset == "hashes":
        args = ["HSET", f"hash:{i:07d}"]
        for f in range(5):
            args += [f"field{f}", f"value{i % 1000:04d}{f}"]
        return encode(*args)
    if dataset == "zsets":
        args = ["ZADD", f"zset:{i:07d}"]
        for m in range(10):
            args += [str(m * 1.5), f"member{m}"]
        return encode(*args)
    raise ValueError(dataset)


def measure(binary, dataset, n):
    d = tempfile.mkdtemp(prefix=f"bench-mem-{dataset}-")
    port = free_port()
    p = subprocess.Popen([binary, "--port", str(port), "--bind", HOST, "--save", "",
                          "--appendonly", "no", "--dir", d, "--daemonize", "no",
                          "--logfile", os.path.join(d, "log")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            if p.poll() is not None:
                raise RuntimeError(f"{binary} exited at start")
            try:
                c = Conn(port)
                if c.command("PING") == b"PONG":
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{binary} did not answer PING")
            time.sleep(0.05)
        used0, rss0 = info_int(c, "used_memory"), rss_bytes(p.pid)
        batch = []
        for i in range(n):
            batch.append(command_for(dataset, i))
            if len(batch) == 10000:
                c.pipeline(batch)
                batch = []
        if batch:
            c.pipeline(batch)
        if int(c.command("DBSIZE")) != n:
            raise RuntimeError(f"{binary}: wrong DBSIZE for {dataset}")
        enc = c.command("OBJECT", "ENCODING", command_key(dataset)).decode()
        used1, rss1 = info_int(c, "used_memory"), rss_bytes(p.pid)
        return (used1 - used0) / n, (rss1 - rss0) / n, enc
    finally:
        p.kill()
        p.wait()


def command_key(dataset):
    return {"strings": "key:0000000", "hashes": "hash:0000000", "zsets": "zset:0000000"}[dataset]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1000000)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--tandem", default=os.path.join(here, "..", "build-release", "server",
                                                      "tandem-server"))
    ap.add_argument("--redis", default="/usr/bin/redis-server")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    table = {}
    print(f"{'data set':10} {'server':8} {'used_memory B/key':>18} {'RSS B/key':>10} encoding")
    for dataset in ("strings", "hashes", "zsets"):
        row = {}
        for name, binary in (("tandem", a.tandem), ("redis", a.redis)):
            used, rss, enc = measure(binary, dataset, a.keys)
            row[name] = {"used_memory_per_key": used, "rss_per_key": rss, "encoding": enc}
            print(f"{dataset:10} {name:8} {used:18.1f} {rss:10.1f} {enc}", flush=True)
        row["used_ratio"] = row["tandem"]["used_memory_per_key"] / row["redis"]["used_memory_per_key"]
        row["rss_ratio"] = row["tandem"]["rss_per_key"] / row["redis"]["rss_per_key"]
        print(f"{dataset:10} tandem/redis: used_memory {row['used_ratio']:.2f}x, "
              f"RSS {row['rss_ratio']:.2f}x (lower is better)", flush=True)
        table[dataset] = row
    if a.json:
        with open(a.json, "w") as f:
            json.dump(table, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
