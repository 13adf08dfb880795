"""Network-namespace hosts for the partition tests (issue #8).

A `Net` is a small network the test builds for itself and removes afterwards: one namespace per
host (console, app1, app2 and a client), each with an `eth0` whose other end sits on a bridge in
a switch namespace of its own. Nothing is added to the namespace the test runs in: the test
reaches a host by running code on a thread that entered that host's namespace (network
namespaces are per thread in Linux), and starts processes in it the same way (setns in the child
before exec).

Faults are nftables rules in a host's own namespace, on `eth0` only (traffic inside a host, over
its loopback, is never cut, as on a real machine):
  cut(host, peers)   drops everything between host and those peers' addresses;
  isolate_gid(host, gid, port)  drops what processes of one group send out, and what arrives
                     for their listening port (one process partitioned while its host stays up);
  loss(host, pct)    drops pct% of the packets in each direction (nft `numgen random`: this
                     kernel has no sch_netem, so there is no delay fault);
  heal(host)         removes the host's rules.
Every namespace, process and rule is the test's own and is removed by close(), by name and PID.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import os
import shutil
import signal
import subprocess
import threading
import time
from typing import Callable, Dict, List, Optional, TypeVar

import tandem_harness as th

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
SUBNET = "10.213.0"
_libc = ctypes.CDLL(None, use_errno=True)


def available() -> Optional[str]:
    """None when this machine can run the partition tests, else why not."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            return f"needs `{tool}` (deploy/install-deps.sh installs iproute2 and nftables)"
    return None


def _sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(list(argv), capture_output=True, text=True, timeout=20)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


def _enter(ns_path: str) -> None:
    fd = os.open(ns_path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({ns_path}): {os.strerror(err)}")
    finally:
        os.close(fd)


class Host:
    """One namespace: its address, a thread that lives in it, and the processes started in it."""

    def __init__(self, net: "Net", name: str, addr: str):
        self.net = net
        self.name = name
        self.ns = f"{net.prefix}-{name}"
        self.addr = addr
        self.path = f"/run/netns/{self.ns}"
        self._pool: Optional[concurrent.futures.ThreadPoolExecutor] = None
        self.rules = False

    def run(self, fn: Callable[[], T], timeout: float = 30.0) -> T:
        """Runs fn on this host's thread (sockets it opens belong to the host's namespace)."""
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix=self.ns, initializer=_enter,
                initargs=(self.path,))
        return self._pool.submit(fn).result(timeout=timeout)

    def thread(self, fn: Callable[[], None]) -> threading.Thread:
        """A daemon thread in this host's namespace running fn (a long-lived client)."""
        def body():
            _enter(self.path)
            fn()
        t = threading.Thread(target=body, daemon=True, name=f"{self.ns}-client")
        t.start()
        return t

    def popen(self, argv: List[str], logfile: str, cwd: str,
              gid: Optional[int] = None) -> subprocess.Popen:
        path = self.path

        def child():  # after fork, before exec: enter the host; own group when asked (a rule
            _enter(path)  # can then match the process's packets; it keeps root's file access)
            if gid is not None:
                os.setgroups([])
                os.setgid(gid)

        with open(logfile, "ab") as out:
            p = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True,
                                 preexec_fn=child)
        self.net.procs.append(p)
        return p

    def nft(self, script: str) -> None:
        r = subprocess.run(["ip", "netns", "exec", self.ns, "nft", "-f", "-"], input=script,
                           capture_output=True, text=True, timeout=20)
        if r.returncode != 0:
            raise RuntimeError(f"nft in {self.ns}: {r.stderr.strip()}\n{script}")

    def _table(self, rules_in: List[str], rules_out: List[str]) -> None:
        self.heal()
        body = ["table inet tdm {",
                "  chain in { type filter hook input priority 0; policy accept;"]
        body += [f"    iifname \"eth0\" {r}" for r in rules_in]
        body += ["  }", "  chain out { type filter hook output priority 0; policy accept;"]
        body += [f"    oifname \"eth0\" {r}" for r in rules_out]
        body += ["  }", "}"]
        self.nft("\n".join(body) + "\n")
        self.rules = True

    def cut(self, peers: List["Host"]) -> None:
        addrs = ", ".join(p.addr for p in peers)
        self._table([f"ip saddr {{ {addrs} }} drop"], [f"ip daddr {{ {addrs} }} drop"])

    def isolate_gid(self, gid: int, port: int) -> None:
        self._table([f"tcp dport {port} drop"], [f"meta skgid {gid} drop"])

    def loss(self, percent: int) -> None:
        self._table([f"numgen random mod 100 < {percent} drop"],
                    [f"numgen random mod 100 < {percent} drop"])

    def heal(self) -> None:
        if self.rules:
            _sh("ip", "netns", "exec", self.ns, "nft", "delete", "table", "inet", "tdm",
                check=False)
            self.rules = False

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


class Net:
    """The switch namespace with its bridge, and one Host per name, addressed 10.213.0.<n>."""

    def __init__(self, names: Dict[str, int]):
        self.prefix = f"tdm{os.getpid() % 100000}"
        self.switch = f"{self.prefix}-sw"
        self.procs: List[subprocess.Popen] = []
        self.hosts: Dict[str, Host] = {}
        self._made: List[str] = []
        try:
            self._add_ns(self.switch)
            _sh("ip", "-n", self.switch, "link", "add", "br0", "type", "bridge")
            _sh("ip", "-n", self.switch, "link", "set", "br0", "up")
            for name, n in names.items():
                host = Host(self, name, f"{SUBNET}.{n}")
                self._add_ns(host.ns)
                veth = f"v{n}"
                _sh("ip", "-n", self.switch, "link", "add", veth, "type", "veth", "peer",
                    "name", "eth0", "netns", host.ns)
                _sh("ip", "-n", self.switch, "link", "set", veth, "master", "br0", "up")
                _sh("ip", "-n", host.ns, "addr", "add", f"{host.addr}/24", "dev", "eth0")
                _sh("ip", "-n", host.ns, "link", "set", "eth0", "up")
                self.hosts[name] = host
        except BaseException:
            self.close()
            raise

    def _add_ns(self, ns: str) -> None:
        _sh("ip", "netns", "add", ns)
        self._made.append(ns)
        _sh("ip", "-n", ns, "link", "set", "lo", "up")

    def __getitem__(self, name: str) -> Host:
        return self.hosts[name]

    def heal_all(self) -> None:
        for h in self.hosts.values():
            h.heal()

    def close(self) -> None:
        """SIGKILL the processes started here (by PID), then remove the namespaces."""
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.kill(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for h in self.hosts.values():
            h.close()
        for ns in reversed(self._made):
            _sh("ip", "netns", "del", ns, check=False)
        self._made.clear()


def wait_until(pred: Callable[[], T], timeout: float, interval: float = 0.2,
               message: str = "condition") -> T:
    return th.wait_for(pred, timeout=timeout, interval=interval, message=message)


def now() -> float:
    return time.monotonic()
