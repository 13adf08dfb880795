"""Helpers for the Sentinel wire tests: the three-host topology of
/work/shared/examples/topology.md on one machine (127.0.0.11, .12, .13), with a master and two
replicas (stock redis-server by default, tandem-server with TANDEM_SENTINEL_SERVERS=tandem) and
three Sentinels (tandem-sentinel from TANDEM_SENTINEL and/or stock redis-sentinel).

Everything binds loopback addresses only, every wait is bounded, and only the PIDs started here
are ever signalled. Ports: 6389 / 26389 when free on that address, else a free port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from typing import Callable, List, Optional

import redis

import tandem_harness as th

HOSTS = ["127.0.0.11", "127.0.0.12", "127.0.0.13"]
MASTER_NAME = "redis-dev-cluster"
STOCK_SENTINEL = "/usr/bin/redis-sentinel"
STOCK_SERVER = "/usr/bin/redis-server"


# --------------------------------------------------------------------------
# Binaries and ports
# --------------------------------------------------------------------------

def tandem_sentinel_binary() -> Optional[str]:
    path = os.environ.get("TANDEM_SENTINEL", "").strip()
    return path or None


def server_binary() -> str:
    """The data server under the Sentinels: stock redis-server unless
    TANDEM_SENTINEL_SERVERS=tandem (then TANDEM_SERVER)."""
    kind = os.environ.get("TANDEM_SENTINEL_SERVERS", "stock").strip() or "stock"
    if kind == "tandem":
        path = th.tandem_binary()
        if not path:
            raise RuntimeError("TANDEM_SENTINEL_SERVERS=tandem needs TANDEM_SERVER")
        return path
    return os.environ.get("REDIS_SERVER", "").strip() or STOCK_SERVER


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def pick_port(host: str, preferred: int) -> int:
    if port_free(host, preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for(pred: Callable, timeout: float = 10.0, interval: float = 0.05, message: str = ""):
    return th.wait_for(pred, timeout=timeout, interval=interval, message=message or "condition")


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------

def answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """True once host:port answers an inline PING with any status or error line (a server with
    requirepass answers -NOAUTH)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"PING\r\n")
            data = s.recv(4096)
            return data[:1] in (b"+", b"-")
    except OSError:
        return False


def start_process(argv: List[str], host: str, port: int, logfile: str, cwd: str,
                  timeout: float = 10.0) -> th.Proc:
    out = open(logfile, "ab")
    try:
        popen = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        out.close()
    proc = th.Proc(popen, port, logfile, argv)
    deadline = time.monotonic() + min(timeout, 10.0)
    while True:
        if popen.poll() is not None:
            raise RuntimeError(f"{argv[0]} exited with {popen.returncode} before answering PING"
                               f"\n--- log ---\n{proc.log_text(4000)}")
        if answers(host, port):
            return proc
        if time.monotonic() >= deadline:
            proc.stop()
            raise TimeoutError(f"{argv!r} did not answer PING on {host}:{port}\n"
                               f"{proc.log_text(4000)}")
        time.sleep(0.05)


def kill9(proc: th.Proc) -> None:
    """SIGKILL a process we started (by PID) and reap it."""
    if proc.popen.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.popen.wait(timeout=5)


class Node:
    """One server or Sentinel process with its own directory and config file."""

    def __init__(self, kind: str, host: str, port: int, directory: str, binary: str,
                 conf_lines: List[str]):
        self.kind = kind
        self.host = host
        self.port = port
        self.dir = directory
        self.binary = binary
        self.conf_path = os.path.join(directory, "sentinel.conf" if "sentinel" in kind
                                      else "redis.conf")
        self.logfile = os.path.join(directory, "log.txt")
        os.makedirs(directory, exist_ok=True)
        with open(self.conf_path, "w") as f:
            f.write("\n".join(conf_lines) + "\n")
        self.proc: Optional[th.Proc] = None

    def start(self) -> "Node":
        argv = [self.binary, self.conf_path]
        if self.binary.endswith("redis-server") and "sentinel" in self.kind:
            argv.append("--sentinel")
        self.proc = start_process(argv, self.host, self.port, self.logfile, self.dir)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()

    def kill(self) -> None:
        if self.proc is not None:
            kill9(self.proc)

    def client(self, **kw) -> redis.Redis:
        return redis.Redis(host=self.host, port=self.port, socket_timeout=5,
                           decode_responses=True, **kw)

    def log(self) -> str:
        if not os.path.exists(self.logfile):
            return ""
        with open(self.logfile, "rb") as f:
            return f.read().decode("utf-8", "replace")


def redis_conf(host: str, port: int, directory: str, replicaof=None) -> List[str]:
    lines = [f"port {port}", f"bind {host}", "save \"\"", "appendonly no", "daemonize no",
             f"dir {directory}", "protected-mode no", f"replica-announce-ip {host}",
             "repl-diskless-sync no"]
    if replicaof:
        lines.append(f"replicaof {replicaof[0]} {replicaof[1]}")
    return lines


def sentinel_conf(host: str, port: int, directory: str, master, quorum: int = 2,
                  down_after: int = 1000, failover_timeout: int = 10000,
                  extra: Optional[List[str]] = None) -> List[str]:
    lines = [f"port {port}", f"bind {host}", "daemonize no", f"dir {directory}",
             f"logfile {os.path.join(directory, 'sentinel.log')}",
             f"sentinel monitor {MASTER_NAME} {master[0]} {master[1]} {quorum}",
             f"sentinel announce-ip {host}",
             f"sentinel down-after-milliseconds {MASTER_NAME} {down_after}",
             f"sentinel failover-timeout {MASTER_NAME} {failover_timeout}",
             f"sentinel parallel-syncs {MASTER_NAME} 1"]
    return lines + (extra or [])


# --------------------------------------------------------------------------
# Event recording
# --------------------------------------------------------------------------

class EventRecorder:
    """PSUBSCRIBE * on one Sentinel in a thread; records (monotonic time, channel, payload)."""

    def __init__(self, host: str, port: int):
        self.host = host
        self.port = port
        self.events: List[tuple] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._client = redis.Redis(host=host, port=port, socket_timeout=1,
                                   decode_responses=True)
        self._pubsub = self._client.pubsub()
        self._pubsub.psubscribe("*")
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                msg = self._pubsub.get_message(timeout=0.2)
            except Exception:  # noqa: BLE001 - the Sentinel may be gone
                time.sleep(0.2)
                continue
            if msg and msg.get("type") == "pmessage":
                with self._lock:
                    self.events.append((time.monotonic(), msg["channel"], msg["data"]))

    def find(self, channel: str, contains: str = "", after: float = 0.0):
        with self._lock:
            for t, ch, data in self.events:
                if ch == channel and contains in data and t >= after:
                    return (t, ch, data)
        return None

    def channels(self) -> List[str]:
        with self._lock:
            return [ch for _, ch, _ in self.events]

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=3)
        try:
            self._pubsub.close()
            self._client.close()
        except Exception:  # noqa: BLE001
            pass


# --------------------------------------------------------------------------
# The topology
# --------------------------------------------------------------------------

class Topology:
    """master on HOSTS[0], replicas on HOSTS[1] and HOSTS[2], one Sentinel per host.

    `sentinel_kinds` lists "tandem" or "stock" per host."""

    def __init__(self, base_dir: str, sentinel_kinds=("tandem", "tandem", "tandem"),
                 down_after: int = 1000, failover_timeout: int = 10000, quorum: int = 2,
                 sentinel_extra: Optional[List[str]] = None):
        self.base = base_dir
        self.kinds = list(sentinel_kinds)
        self.down_after = down_after
        self.failover_timeout = failover_timeout
        self.quorum = quorum
        self.sentinel_extra = sentinel_extra or []
        self.servers: List[Node] = []
        self.sentinels: List[Node] = []
        self.recorders: List[EventRecorder] = []

    def start(self) -> "Topology":
        srv = server_binary()
        ports = [pick_port(h, 6389) for h in HOSTS]
        master = (HOSTS[0], ports[0])
        try:
            for i, h in enumerate(HOSTS):
                d = os.path.join(self.base, f"server{i}")
                node = Node("server", h, ports[i], d, srv,
                            redis_conf(h, ports[i], d, None if i == 0 else master))
                self.servers.append(node.start())
            wait_for(lambda: self.servers[0].client().info("replication")
                     .get("connected_slaves", 0) == 2, timeout=15,
                     message="both replicas connected to the master")
            for i, h in enumerate(HOSTS):
                kind = self.kinds[i]
                if kind == "tandem":
                    binary = tandem_sentinel_binary()
                    if not binary:
                        raise RuntimeError("TANDEM_SENTINEL is not set")
                else:
                    binary = STOCK_SENTINEL
                port = pick_port(h, 26389)
                d = os.path.join(self.base, f"sentinel{i}")
                node = Node(f"{kind}-sentinel", h, port, d, binary,
                            sentinel_conf(h, port, d, master, self.quorum, self.down_after,
                                          self.failover_timeout, self.sentinel_extra))
                node.logfile = os.path.join(d, "sentinel.log")
                self.sentinels.append(node.start())
            for s in self.sentinels:
                self.recorders.append(EventRecorder(s.host, s.port))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for r in self.recorders:
            r.stop()
        for n in self.sentinels + self.servers:
            try:
                n.stop()
            except Exception:  # noqa: BLE001 - keep stopping the others
                pass

    def __enter__(self) -> "Topology":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def master(self) -> Node:
        return self.servers[0]

    def sentinel_addrs(self):
        return [(s.host, s.port) for s in self.sentinels]

    def wait_discovery(self, timeout: float = 20.0) -> None:
        """Every Sentinel knows both replicas and the two other Sentinels."""
        def done():
            for s in self.sentinels:
                m = s.client().sentinel_master(MASTER_NAME)
                if int(m["num-slaves"]) != 2 or int(m["num-other-sentinels"]) != 2:
                    return False
            return True
        wait_for(done, timeout=timeout, interval=0.2, message="replica and Sentinel discovery")

    def wait_event_everywhere(self, channel: str, contains: str = "", timeout: float = 30.0,
                              after: float = 0.0, which=None):
        recs = self.recorders if which is None else [self.recorders[i] for i in which]
        def all_seen():
            found = [r.find(channel, contains, after) for r in recs]
            return found if all(found) else None
        return wait_for(all_seen, timeout=timeout, interval=0.1,
                        message=f"{channel} {contains!r} on every Sentinel")

    def wait_event_anywhere(self, channel: str, contains: str = "", timeout: float = 30.0,
                            after: float = 0.0):
        def any_seen():
            for r in self.recorders:
                e = r.find(channel, contains, after)
                if e:
                    return e
            return None
        return wait_for(any_seen, timeout=timeout, interval=0.1,
                        message=f"{channel} {contains!r} on some Sentinel")
