"""Partitions between real hosts (issue #8): console, app1 and app2 (a server on 6389 and a
Sentinel on 26389 each, quorum 2, as in /work/shared/examples/topology.md) and a client host, each
in its own network namespace on a bridge (partition_harness.py). A client on the master's side
writes `SET w:<n> <n>` about 200 times a second while a fault is applied, then the fault heals and
the test waits for one master, both replicas following it with the same data, and the three
Sentinels agreeing. It then counts the acknowledged writes the final master does not have, and
checks them against what Redis documents for each case:

  master_cut               the master (with Sentinel 1 and the client) cut off from app1 and app2:
                           the majority fails over; writes acknowledged by the old master after
                           the cut are lost when it rejoins as a replica. Only those: nothing
                           acknowledged before the cut (less 0.5 s of replication in flight).
  master_cut_min_replicas  the same with min-replicas-to-write 1 and min-replicas-max-lag L: the
                           old master refuses writes (-NOREPLICAS) once its replicas' last ACK is
                           older than L s, so only writes acknowledged in the first L+2 s after
                           the cut can be lost (the replica ACKs once a second).
  sentinel_alone           the Sentinel of app2 cut off from every other host (its server is not):
                           a minority cannot reach ODOWN, so no failover and nothing is lost.
  flapping_master_link     the master's host flaps: cut off from app1 and app2 for down-after + 1 s,
                           then back with 30% of its packets dropped each way (nft numgen; this
                           kernel has no netem, so there is no delay fault) for 2 s, and again:
                           whatever Sentinel decides, after healing there is one master and only
                           writes acked after the fault began may be lost.

Short profile (CI): down-after 2000 ms, failover-timeout 10 s, partitions of 8 s, L = 3.
TANDEM_PARTITION_PROFILE=long: the example configs' down-after 6001 ms and failover-timeout 60 s,
L = 10 (the issue's value), partitions of 30 s. Each case runs with tandem-server +
tandem-sentinel and, when TANDEM_PARTITION_STOCK=1 (the README command), with stock
redis-server + redis-sentinel 7.0.15 in the same harness; every run appends a JSON line to
$TANDEM_PARTITION_REPORT when set, which bench/partition_report.py prints as the README table.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import pytest
import redis

import partition_harness as ph
import tandem_harness as th
from sentinel_harness import FAST_DEBUG, MASTER_NAME, STOCK_SENTINEL, STOCK_SERVER

PORT, SPORT = 6389, 26389
HOSTS = {"console": 11, "app1": 12, "app2": 13, "client": 20}
SERVERS = ("console", "app1", "app2")
SENTINEL_GID = 65534  # nogroup: lets a rule match the Sentinel's own packets on its host
LONG = os.environ.get("TANDEM_PARTITION_PROFILE", "") == "long"
MAX_LAG = 10 if LONG else 3
PARTITION_S = 30.0 if LONG else 8.0
DOWN_AFTER_MS = 6001 if LONG else 2000
FAILOVER_TIMEOUT_MS = 60000 if LONG else 10000
WRITE_RATE = 200  # writes per second from the client host

KINDS = ["tandem"] + (["stock"] if os.environ.get("TANDEM_PARTITION_STOCK") == "1" else [])


def binaries(kind: str) -> Tuple[str, str]:
    if kind == "stock":
        return STOCK_SERVER, STOCK_SENTINEL
    server, sentinel = th.tandem_binary(), os.environ.get("TANDEM_SENTINEL", "").strip()
    if not server or not sentinel:
        msg = "TANDEM_SERVER and TANDEM_SENTINEL must be set"
        if th.in_ci():
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    return server, sentinel


@pytest.fixture
def net():
    why = ph.available()
    if why:
        if th.in_ci():
            pytest.fail(f"partition tests: {why}", pytrace=False)
        pytest.skip(why)
    if th.light_under_asan():
        pytest.skip("timer-bound multi-host scenarios run in the normal build only")
    n = ph.Net(HOSTS)
    try:
        yield n
    finally:
        n.close()


# --------------------------------------------------------------------------
# The cluster
# --------------------------------------------------------------------------

class Cluster:
    def __init__(self, net: ph.Net, kind: str, base: str, min_replicas: bool):
        self.net = net
        self.kind = kind
        self.server_bin, self.sentinel_bin = binaries(kind)
        self.base = base
        self.min_replicas = min_replicas
        self.master0 = net["console"]

    def conf_server(self, host: ph.Host, d: str) -> str:
        lines = [f"port {PORT}", f"bind {host.addr}", "protected-mode no", 'save ""',
                 "appendonly no", "daemonize no", f"dir {d}", "repl-diskless-sync no"]
        if self.min_replicas:
            lines += ["min-replicas-to-write 1", f"min-replicas-max-lag {MAX_LAG}"]
        if host is not self.master0:
            lines.append(f"replicaof {self.master0.addr} {PORT}")
        return "\n".join(lines) + "\n"

    def conf_sentinel(self, host: ph.Host, d: str) -> str:
        lines = [f"port {SPORT}", f"bind {host.addr}", "daemonize no", f"dir {d}",
                 f"sentinel monitor {MASTER_NAME} {self.master0.addr} {PORT} 2",
                 f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}",
                 f"sentinel failover-timeout {MASTER_NAME} {FAILOVER_TIMEOUT_MS}",
                 f"sentinel parallel-syncs {MASTER_NAME} 1"]
        return "\n".join(lines) + "\n"

    def launch(self, host: ph.Host, role: str, conf_text: str, argv: List[str], port: int,
               gid: Optional[int] = None) -> None:
        """Writes <base>/<host>/<role>/<role>.conf, starts argv + [conf] in the host, waits for
        PING."""
        d = os.path.join(self.base, host.name, role)
        os.makedirs(d)
        conf = os.path.join(d, f"{role}.conf")
        with open(conf, "w") as f:
            f.write(conf_text.replace("@DIR@", d))
        host.popen(argv[:1] + [conf] + argv[1:], os.path.join(d, "log.txt"), d, gid=gid)
        ph.wait_until(lambda: self.query(host, port, "PING"), 10,
                      message=f"{self.kind} {role} on {host.name}")

    def start(self) -> None:
        for name in SERVERS:  # master first: the replicas sync at once
            host = self.net[name]
            self.launch(host, "server", self.conf_server(host, "@DIR@"), [self.server_bin], PORT)
        for name in SERVERS[1:]:
            ph.wait_until(lambda: self.link_up(self.net[name]), 15,
                          message=f"replica {name} in sync")
        for name in SERVERS:
            host = self.net[name]
            argv = [self.sentinel_bin]
            if self.sentinel_bin.endswith("redis-server"):
                argv.append("--sentinel")
            self.launch(host, "sentinel", self.conf_sentinel(host, "@DIR@"), argv, SPORT,
                        gid=SENTINEL_GID)
            self.query(host, SPORT, "SENTINEL", "DEBUG", *FAST_DEBUG)

        def discovered():
            for name in SERVERS:
                m = self.query(self.net[name], SPORT, "SENTINEL", "MASTER", MASTER_NAME)
                if not m:
                    return False
                info = dict(zip(m[::2], m[1::2]))
                if info.get("num-slaves") != "2" or info.get("num-other-sentinels") != "2":
                    return False
            return True
        ph.wait_until(discovered, 20, message="Sentinels discover the replicas and each other")

    # -- observation, from inside each host (its loopback is never cut) -----------------------

    @staticmethod
    def query(host: ph.Host, port: int, *args):
        def call():
            c = redis.Redis(host=host.addr, port=port, socket_timeout=2,
                            socket_connect_timeout=2, decode_responses=True)
            try:
                return c.execute_command(*args)
            finally:
                c.close()
        try:
            return host.run(call, timeout=10)
        except (redis.RedisError, OSError, TimeoutError):
            return None

    def link_up(self, host: ph.Host) -> bool:
        role = self.query(host, PORT, "ROLE")
        return bool(role) and role[0] == "slave" and role[3] == "connected"

    def sentinel_view(self) -> List[Optional[str]]:
        out = []
        for name in SERVERS:
            r = self.query(self.net[name], SPORT, "SENTINEL", "GET-MASTER-ADDR-BY-NAME",
                           MASTER_NAME)
            out.append(f"{r[0]}:{r[1]}" if r else None)
        return out

    def converged(self) -> Optional[ph.Host]:
        """The single master when the cluster agrees and the replicas hold its data, else None:
        one server answers ROLE master, the other two are connected replicas of it with its
        DBSIZE, and the three Sentinels name it."""
        masters = []
        for name in SERVERS:
            role = self.query(self.net[name], PORT, "ROLE")
            if role is None:
                return None
            if role[0] == "master":
                masters.append(self.net[name])
        if len(masters) != 1:
            return None
        m = masters[0]
        for name in SERVERS:
            h = self.net[name]
            if h is m:
                continue
            role = self.query(h, PORT, "ROLE")
            if role[0] != "slave" or role[1] != m.addr or role[3] != "connected":
                return None
        if any(v != f"{m.addr}:{PORT}" for v in self.sentinel_view()):
            return None
        size = self.query(m, PORT, "DBSIZE")
        if any(self.query(self.net[n], PORT, "DBSIZE") != size for n in SERVERS):
            return None
        return m

    def sentinel_flags(self, name: str) -> str:
        m = self.query(self.net[name], SPORT, "SENTINEL", "MASTER", MASTER_NAME)
        return dict(zip(m[::2], m[1::2])).get("flags", "") if m else ""


# --------------------------------------------------------------------------
# The client on the master's side
# --------------------------------------------------------------------------

@dataclass
class Writer:
    host: ph.Host
    target: str
    acked: List[Tuple[int, float]] = field(default_factory=list)  # (n, monotonic ack time)
    errors: Dict[str, int] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self.thread = self.host.thread(self.loop)

    def loop(self) -> None:
        c = None
        n = 0
        next_t = time.monotonic()
        while not self.stop.is_set():
            next_t += 1.0 / WRITE_RATE
            delay = next_t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            n += 1
            try:
                if c is None:
                    c = redis.Redis(host=self.target, port=PORT, socket_timeout=1,
                                    socket_connect_timeout=1, decode_responses=True)
                if c.set(f"w:{n}", n):
                    self.acked.append((n, time.monotonic()))
            except redis.ResponseError as e:  # redis-py names READONLY etc. by class
                key = str(e).split()[0] if type(e) is redis.ResponseError else type(e).__name__
                self.errors[key] = self.errors.get(key, 0) + 1
            except (redis.ConnectionError, redis.TimeoutError, OSError) as e:
                key = type(e).__name__
                self.errors[key] = self.errors.get(key, 0) + 1
                c = None
                next_t = time.monotonic() + 0.05

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


def lost_writes(cluster: Cluster, master: ph.Host, acked: List[Tuple[int, float]]):
    keys = [f"w:{n}" for n, _ in acked]
    present = set()
    for i in range(0, len(keys), 1000):
        chunk = keys[i:i + 1000]
        vals = cluster.query(master, PORT, "MGET", *chunk)
        assert vals is not None, "MGET on the final master"
        present.update(k for k, v in zip(chunk, vals) if v is not None)
    return [(n, t) for n, t in acked if f"w:{n}" not in present]


def report(row: dict) -> None:
    print("PARTITION " + json.dumps(row, sort_keys=True))
    path = os.environ.get("TANDEM_PARTITION_REPORT")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(row, sort_keys=True) + "\n")


# --------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------

def run_scenario(net: ph.Net, base: str, kind: str, scenario: str) -> dict:
    cluster = Cluster(net, kind, base, min_replicas=scenario == "master_cut_min_replicas")
    cluster.start()
    console, app1, app2 = net["console"], net["app1"], net["app2"]
    writer = Writer(net["client"], console.addr)
    writer.start()
    time.sleep(1.0)
    t_cut = ph.now()
    during = {}
    if scenario in ("master_cut", "master_cut_min_replicas"):
        console.cut([app1, app2])
    elif scenario == "sentinel_alone":
        net["app2"].isolate_gid(SENTINEL_GID, SPORT)
    if scenario == "flapping_master_link":
        phases = 0
        while ph.now() - t_cut < PARTITION_S:
            console.cut([app1, app2]) if phases % 2 == 0 else console.loss(30)
            left = PARTITION_S - (ph.now() - t_cut)
            time.sleep(min(left, DOWN_AFTER_MS / 1000 + 1 if phases % 2 == 0 else 2.0))
            phases += 1
    else:
        time.sleep(PARTITION_S)
    if scenario == "sentinel_alone":
        during = {"app2_flags": cluster.sentinel_flags("app2"),
                  "console_flags": cluster.sentinel_flags("console")}
    net.heal_all()
    t_heal = ph.now()
    writer.finish()
    master = ph.wait_until(cluster.converged, 60 if LONG else 40, interval=0.5,
                           message="one master, replicas in sync, Sentinels agreeing")
    t_ok = ph.now()
    lost = lost_writes(cluster, master, writer.acked)
    after_cut = [t for _, t in writer.acked if t >= t_cut]
    row = {
        "server": kind, "scenario": scenario, "profile": "long" if LONG else "short",
        "partition_s": PARTITION_S, "max_lag_s": MAX_LAG if cluster.min_replicas else None,
        "acked": len(writer.acked), "acked_after_cut": len(after_cut),
        "last_ack_after_cut_s": round(max(after_cut) - t_cut, 2) if after_cut else None,
        "lost": len(lost),
        "lost_window_s": ([round(min(t for _, t in lost) - t_cut, 2),
                           round(max(t for _, t in lost) - t_cut, 2)] if lost else None),
        "failover": master is not console, "final_master": master.name,
        "recover_s": round(t_ok - t_heal, 2), "errors": writer.errors,
    }
    row.update(during)
    report(row)
    return {"row": row, "lost": lost, "t_cut": t_cut, "writer": writer, "master": master}


@pytest.mark.parametrize("kind", KINDS)
def test_master_cut_off_loses_only_writes_after_the_cut(net, tmp_path, kind):
    r = run_scenario(net, str(tmp_path), kind, "master_cut")
    assert r["row"]["failover"], r["row"]  # the majority side elected a new master
    assert r["row"]["acked_after_cut"] > 0  # the old master kept acknowledging (no promise)
    assert all(t >= r["t_cut"] - 0.5 for _, t in r["lost"]), r["row"]
    assert r["lost"], "the old master's writes after the cut cannot survive its demotion"


@pytest.mark.parametrize("kind", KINDS)
def test_master_cut_off_with_min_replicas_stops_writes_after_max_lag(net, tmp_path, kind):
    r = run_scenario(net, str(tmp_path), kind, "master_cut_min_replicas")
    row = r["row"]
    assert row["failover"], row
    bound = MAX_LAG + 2.0  # replicas ACK once a second; the master checks the lag per write
    assert row["last_ack_after_cut_s"] is not None and row["last_ack_after_cut_s"] <= bound, row
    assert row["errors"].get("NOREPLICAS", 0) > 0, row  # refused with Redis's error
    assert all(r["t_cut"] - 0.5 <= t <= r["t_cut"] + bound for _, t in r["lost"]), row


@pytest.mark.parametrize("kind", KINDS)
def test_sentinel_alone_cannot_fail_over(net, tmp_path, kind):
    r = run_scenario(net, str(tmp_path), kind, "sentinel_alone")
    row = r["row"]
    assert not row["failover"] and row["final_master"] == "console", row
    assert "s_down" in row["app2_flags"] and "o_down" not in row["app2_flags"], row
    assert "s_down" not in row["console_flags"], row
    assert row["lost"] == 0 and not row["errors"], row


@pytest.mark.parametrize("kind", KINDS)
def test_flapping_master_link_heals_to_one_master(net, tmp_path, kind):
    r = run_scenario(net, str(tmp_path), kind, "flapping_master_link")
    assert all(t >= r["t_cut"] - 0.5 for _, t in r["lost"]), r["row"]
