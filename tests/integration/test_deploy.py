"""tandem-deploy: topology files, rendered configs and units, and a whole cluster on loopback.

Binaries: TANDEM_DEPLOY (tandem-deploy; skip if unset, fail if unset under CI), TANDEM_SERVER
(tandem-server), TANDEM_SENTINEL (tandem-sentinel; stock /usr/bin/redis-sentinel when unset).
The cluster tests use 127.0.0.11-13 on ports picked free (never 6389/26389, which other suites
may be using at the same time), and stop only the processes `up` started (and the old master
the failover test starts again), by PID. test_up_status_failover_down is the acceptance scenario
of deploy/examples/topology.md: +sdown, +odown (#quorum), +switch-master on every Sentinel, the
old master back as a replica (+convert-to-slave) with the data written meanwhile.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tandem_harness as th  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "topology.example.toml"
LOCAL = ROOT / "deploy" / "topology.local.toml"
STOCK_SERVER = "/usr/bin/redis-server"
STOCK_SENTINEL = "/usr/bin/redis-sentinel"
HOSTS = ["console", "app1", "app2"]
ADDRS = ["127.0.0.11", "127.0.0.12", "127.0.0.13"]


# --------------------------------------------------------------------------
# Binaries and helpers
# --------------------------------------------------------------------------

def _require(env: str, what: str) -> str:
    path = os.environ.get(env, "").strip()
    if not path:
        msg = f"{env} is not set (path to {what})"
        if th.in_ci():
            pytest.fail(msg + " and CI is set", pytrace=False)
        pytest.skip(msg)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"{env}={path!r} is not an executable file", pytrace=False)
    return path


@pytest.fixture
def deploy() -> str:
    return _require("TANDEM_DEPLOY", "tandem-deploy")


@pytest.fixture
def server() -> str:
    return _require("TANDEM_SERVER", "tandem-server")


def sentinel_binary() -> str:
    path = os.environ.get("TANDEM_SENTINEL", "").strip()
    return path if path and os.access(path, os.X_OK) else STOCK_SENTINEL


def run(argv: List[str], timeout: float = 30, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, **kw)


def render(deploy: str, topology: Path, out: Path, host: Optional[str] = None,
           extra: List[str] = ()) -> Path:
    argv = [deploy, "render", "--topology", topology, "--out", out] + list(extra)
    if host:
        argv += ["--host", host]
    r = run(argv)
    assert r.returncode == 0, r.stderr
    return out


def directives(text: str) -> List[List[str]]:
    """Lines of a rendered config as [name, rest...], comments dropped."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line.split(None, 1) + ([""] if " " not in line else []))
    return out


def names(text: str) -> List[str]:
    return [d[0] for d in directives(text)]


def localize(text: str, tmp: Path) -> str:
    """Point the production paths of a rendered config into `tmp` (which then holds them)."""
    for p in ("/etc/redis-cluster", "/var/log/redis-cluster", "/var/lib/redis-cluster",
              "/var/run/redis-cluster"):
        d = tmp / p.strip("/").replace("/", "_")
        d.mkdir(parents=True, exist_ok=True)
        text = text.replace(p, str(d))
    return text


def free_common_port(addrs: List[str], avoid: set) -> int:
    """A port free on every address of `addrs` (bounded number of tries)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((addrs[0], 0))
            port = s.getsockname()[1]
        if port in avoid or port > 65535 - 1:
            continue
        ok = True
        for a in addrs:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind((a, port))
                except OSError:
                    ok = False
                    break
        if ok:
            return port
    raise RuntimeError("no port free on all of " + ", ".join(addrs))


# --------------------------------------------------------------------------
# Topology files
# --------------------------------------------------------------------------

@pytest.mark.parametrize("topology", [EXAMPLE, LOCAL], ids=["example", "local"])
def test_example_topologies_are_valid(deploy, topology):
    r = run([deploy, "check", "--topology", topology])
    assert r.returncode == 0, r.stderr
    assert "redis-dev-cluster, 3 hosts, master console, quorum 2" in r.stdout


GOOD = """\
[cluster]
name = "redis-dev-cluster"
master = "console"
quorum = 2

[[hosts]]
name = "console"
address = "127.0.0.11"

[[hosts]]
name = "app1"
address = "127.0.0.12"

[[hosts]]
name = "app2"
address = "127.0.0.13"
"""

# (topology text, line, key, fragment of the message)
BAD = {
    "syntax": (GOOD.replace('quorum = 2', 'quorum = = 2'), 4, "syntax error", ""),
    "unknown_key": (GOOD.replace('quorum = 2', 'quorum = 2\nquorom = 2'), 5, "cluster.quorom",
                    "unknown key"),
    "wrong_type": (GOOD.replace('quorum = 2', 'quorum = "2"'), 4, "cluster.quorum",
                   "must be an integer"),
    "quorum_too_big": (GOOD.replace('quorum = 2', 'quorum = 4'), 4, "cluster.quorum",
                       "more than the 3 Sentinels"),
    "master_not_a_host": (GOOD.replace('master = "console"', 'master = "db1"'), 3,
                          "cluster.master", "not the name of a [[hosts]] entry"),
    "managed_key": (GOOD + '\n[server]\nreplicaof = "10.0.0.1 6389"\n', 19,
                    "server.replicaof", "is set by [cluster] master"),
    "duplicate_host": (GOOD.replace('name = "app2"', 'name = "app1"'), 15, "hosts.app1.name",
                       "duplicate host name"),
    "bad_port": (GOOD.replace('quorum = 2', 'quorum = 2\nport = 70000'), 5, "cluster.port",
                 "between 1 and 65535"),
    "relative_path": (GOOD + '\n[paths]\ndata = "var/lib"\n', 19, "paths.data",
                      "absolute path"),
    "bad_local_address": (GOOD.replace('address = "127.0.0.13"',
                                       'address = "10.0.0.3"\nlocal_address = "10.0.0.3"'),
                          17, "hosts.app2.local_address", "loopback"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_invalid_topology_names_file_line_and_key(deploy, tmp_path, case):
    text, line, key, fragment = BAD[case]
    f = tmp_path / "bad.toml"
    f.write_text(text)
    for cmd in (["check"], ["render", "--out", tmp_path / "out"], ["status"]):
        r = run([deploy] + cmd + ["--topology", f])
        assert r.returncode == 2, (cmd, r.stdout, r.stderr)
        err = r.stderr.strip()
        assert re.match(rf"tandem-deploy: {re.escape(str(f))}:{line}:\d+: ", err), err
        assert key in err and fragment in err, err
    assert not (tmp_path / "out").exists()


def test_missing_topology_file(deploy, tmp_path):
    r = run([deploy, "check", "--topology", tmp_path / "nope.toml"])
    assert r.returncode == 2 and "nope.toml: cannot open" in r.stderr


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------

def test_render_example_roles_and_sentinel(deploy, tmp_path):
    out = render(deploy, EXAMPLE, tmp_path / "all")
    addresses = {"console": "10.0.2.104", "app1": "10.0.2.71",
                 "app2": "dev.backend-app2-internal.example.com"}
    for host in HOSTS:
        d = out / host
        assert sorted(os.listdir(d)) == ["redis-cluster.conf", "redis-cluster.service",
                                         "redis-sentinel.service", "sentinel.conf"]
        conf = (d / "redis-cluster.conf").read_text()
        dirs = dict((n, rest) for n, rest in directives(conf) if n != "client-output-buffer-limit")
        assert dirs["port"] == "6389"
        assert dirs["daemonize"] == "no" and dirs["supervised"] == "systemd"
        assert dirs["dir"] == "/var/lib/redis-cluster"
        assert dirs["logfile"] == "/var/log/redis-cluster/redis-cluster.log"
        assert dirs["pidfile"] == "/var/run/redis-cluster/redis-cluster.pid"
        # The users' settings of master.conf are kept.
        for k, v in [("appendonly", "yes"), ("appendfsync", "everysec"), ("bind", "0.0.0.0"),
                     ("protected-mode", "yes"), ("slave-priority", "100"), ("hz", "10"),
                     ("notify-keyspace-events", '""'), ("auto-aof-rewrite-min-size", "64mb")]:
            assert dirs[k] == v, (host, k)
        assert conf.count("client-output-buffer-limit ") == 3
        replicaof = [rest for n, rest in directives(conf) if n in ("replicaof", "slaveof")]
        if host == "console":
            assert replicaof == []
        else:
            assert replicaof == ["10.0.2.104 6389"]
        assert "requirepass" not in names(conf) and "masterauth" not in names(conf)

        sent = directives((d / "sentinel.conf").read_text())
        lines = [" ".join(x).strip() for x in sent]
        assert "sentinel monitor redis-dev-cluster 10.0.2.104 6389 2" in lines
        assert "sentinel down-after-milliseconds redis-dev-cluster 6001" in lines
        assert "sentinel failover-timeout redis-dev-cluster 60000" in lines
        assert "sentinel parallel-syncs redis-dev-cluster 1" in lines
        assert f"sentinel announce-ip {addresses[host]}" in lines
        assert "port 26389" in lines
        # monitor before the per-master settings, as Redis requires
        mon = lines.index("sentinel monitor redis-dev-cluster 10.0.2.104 6389 2")
        assert mon < lines.index("sentinel down-after-milliseconds redis-dev-cluster 6001")


def test_render_one_host_and_unknown_host(deploy, tmp_path):
    out = render(deploy, EXAMPLE, tmp_path / "console", host="console")
    assert (out / "redis-cluster.conf").exists() and not (out / "console").exists()
    r = run([deploy, "render", "--topology", EXAMPLE, "--host", "db9", "--out", tmp_path / "x"])
    assert r.returncode == 2 and "no host 'db9'" in r.stderr and "console, app1, app2" in r.stderr


def test_render_password_and_overrides(deploy, tmp_path):
    topo = tmp_path / "pw.toml"
    # Per host: app1 its own paths and a Sentinel setting, app2 its own ports (and, last in
    # the file, a server setting).
    per_host = (GOOD.replace('quorum = 2', 'quorum = 2\nport = 7000')
                .replace('address = "127.0.0.12"\n', 'address = "127.0.0.12"\n\n[hosts.paths]\n'
                         'data = "/srv/app1/data"\nlogs = "/srv/app1/log"\n\n'
                         '[hosts.sentinel]\nloglevel = "verbose"\n')
                .replace('address = "127.0.0.13"\n',
                         'address = "127.0.0.13"\nport = 7003\nsentinel_port = 27003\n'))
    topo.write_text(per_host + """
[auth]
password = "s3cret pass"
sentinel_password = "sent"

[server]
maxmemory = "100mb"
appendonly = false
replica-priority = 50
save = ["3600 1", "300 100"]
""" + '\n[hosts.server]\nslave-priority = 0\n')
    out = render(deploy, topo, tmp_path / "out")
    for host in HOSTS:
        conf = (out / host / "redis-cluster.conf").read_text()
        d = directives(conf)
        flat = [" ".join(x).strip() for x in d]
        assert 'requirepass "s3cret pass"' in flat and 'masterauth "s3cret pass"' in flat
        assert "maxmemory 100mb" in flat and "appendonly no" in flat
        assert flat.count("save 3600 1") == 1 and "save 300 100" in flat
        prio = [x for x in flat if x.split()[0] in ("slave-priority", "replica-priority")]
        assert prio == (["slave-priority 0"] if host == "app2" else ["replica-priority 50"])
        assert ("port 7003" if host == "app2" else "port 7000") in flat
        assert [x for x in flat if x.startswith("port ")] == [
            "port 7003" if host == "app2" else "port 7000"]
        if host != "console":
            assert "replicaof 127.0.0.11 7000" in flat
        data, logs = (("/srv/app1/data", "/srv/app1/log") if host == "app1"
                      else ("/var/lib/redis-cluster", "/var/log/redis-cluster"))
        assert f"dir {data}" in flat and f"logfile {logs}/redis-cluster.log" in flat
        assert (out / host / "redis-cluster.conf").stat().st_mode & 0o777 == 0o640
        sent = (out / host / "sentinel.conf").read_text()
        assert 'sentinel auth-pass redis-dev-cluster "s3cret pass"' in sent
        assert "requirepass sent" in sent and "sentinel sentinel-pass sent" in sent
        assert (out / host / "sentinel.conf").stat().st_mode & 0o777 == 0o640
        slines = [" ".join(x).strip() for x in directives(sent)]
        assert "sentinel monitor redis-dev-cluster 127.0.0.11 7000 2" in slines
        assert f"logfile {logs}/redis-sentinel.log" in slines
        assert ("loglevel verbose" in slines) == (host == "app1")
        assert [x for x in slines if x.startswith(("port ", "sentinel announce-port "))] == (
            ["port 27003", "sentinel announce-port 27003"] if host == "app2" else ["port 26389"])
        unit = (out / host / "redis-cluster.service").read_text()
        assert (f"ReadWritePaths={data} {logs} /var/run/redis-cluster /etc/redis-cluster"
                in unit.splitlines()), unit


def test_units_have_required_settings(deploy, tmp_path):
    out = render(deploy, EXAMPLE, tmp_path / "u", host="app1")
    srv = (out / "redis-cluster.service").read_text()
    sen = (out / "redis-sentinel.service").read_text()
    for unit in (srv, sen):
        for line in ["Type=notify", "User=redis", "Group=redis", "LimitNOFILE=65535",
                     "RuntimeDirectory=redis-cluster", "NoNewPrivileges=yes",
                     "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                     "PrivateDevices=yes", "UMask=0007", "WantedBy=multi-user.target"]:
            assert line in unit.splitlines(), line
    assert "ExecStart=/usr/bin/tandem-server /etc/redis-cluster/redis-cluster.conf" in srv
    assert "ExecStart=/usr/bin/tandem-sentinel /etc/redis-cluster/sentinel.conf" in sen
    assert ("ReadWritePaths=/var/lib/redis-cluster /var/log/redis-cluster "
            "/var/run/redis-cluster /etc/redis-cluster") in srv.splitlines()
    assert ("ReadWritePaths=/var/log/redis-cluster /var/run/redis-cluster "
            "/etc/redis-cluster") in sen.splitlines()


@pytest.mark.parametrize("topology", [EXAMPLE, LOCAL], ids=["example", "local"])
def test_systemd_analyze_verify_every_unit(deploy, server, tmp_path, topology):
    tool = shutil.which("systemd-analyze")
    if not tool:
        msg = "systemd-analyze is not installed (package systemd, deploy/install-deps.sh)"
        if th.in_ci():
            pytest.fail(msg + " and CI is set", pytrace=False)
        pytest.skip(msg)
    # verify checks that ExecStart's binary exists: point the units at real ones.
    out = render(deploy, topology, tmp_path / "units",
                 extra=["--server-binary", server, "--sentinel-binary", sentinel_binary()])
    units = sorted(str(p) for p in out.glob("*/*.service"))
    assert len(units) == 6
    # One call for all six units (systemd-analyze's start-up is most of its time).
    r = run([tool, "verify"] + units, timeout=60)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stdout + r.stderr


# --------------------------------------------------------------------------
# Rendered configs load in tandem and in stock Redis 7.0
# --------------------------------------------------------------------------

SERVERS = {"tandem": lambda: _require("TANDEM_SERVER", "tandem-server"),
           "stock": lambda: STOCK_SERVER}


@pytest.mark.parametrize("kind", sorted(SERVERS))
@pytest.mark.parametrize("host", ["console", "app1"])
def test_rendered_server_config_starts(deploy, tmp_path, kind, host):
    binary = SERVERS[kind]()
    out = render(deploy, EXAMPLE, tmp_path / "r", host=host)
    conf = tmp_path / "redis-cluster.conf"
    conf.write_text(localize((out / "redis-cluster.conf").read_text(), tmp_path))
    port = th.free_port()
    # Only what cannot hold on a test machine is overridden: loopback port, no systemd, and the
    # replica's production master replaced by a dead loopback port.
    args = [conf, "--port", port, "--bind", th.HOST, "--supervised", "no"]
    if host != "console":
        args += ["--replicaof", th.HOST, th.unused_port()]
    proc = th.start_server(binary, args, cwd=str(tmp_path), logfile=str(tmp_path / "out.log"))
    try:
        with th.RawConn(th.HOST, port) as c:
            role = c.command("INFO", "replication")
            assert (b"role:master" in role) == (host == "console"), role
            assert c.command("CONFIG", "GET", "appendonly") == [b"appendonly", b"yes"]
    finally:
        proc.stop()


@pytest.mark.parametrize("kind", ["tandem", "stock"])
@pytest.mark.parametrize("host", ["console", "app2"])
def test_rendered_sentinel_config_starts(deploy, tmp_path, kind, host):
    if kind == "tandem":
        binary = os.environ.get("TANDEM_SENTINEL", "").strip()
        if not binary:  # tandem-sentinel is optional in the build (TANDEM_WITH_SENTINEL)
            pytest.skip("TANDEM_SENTINEL is not set (tandem-sentinel not built)")
    else:
        binary = STOCK_SENTINEL
    out = render(deploy, EXAMPLE, tmp_path / "r", host=host)
    text = localize((out / "sentinel.conf").read_text(), tmp_path)
    # Monitor a dead loopback port instead of the production master (no traffic leaves the box).
    dead = th.unused_port()
    text = text.replace("redis-dev-cluster 10.0.2.104 6389 2", f"redis-dev-cluster 127.0.0.1 {dead} 2")
    conf = tmp_path / "sentinel.conf"
    conf.write_text(text)
    port = th.free_port()
    proc = th.start_server(binary, [conf, "--port", port, "--bind", th.HOST, "--supervised", "no"],
                           cwd=str(tmp_path), logfile=str(tmp_path / "out.log"))
    try:
        with th.RawConn(th.HOST, port) as c:
            addr = c.command("SENTINEL", "get-master-addr-by-name", "redis-dev-cluster")
            assert addr == [b"127.0.0.1", str(dead).encode()]
            m = c.command("SENTINEL", "master", "redis-dev-cluster")
            m = dict(zip(m[::2], m[1::2])) if isinstance(m, list) else m
            assert m[b"down-after-milliseconds"] == b"6001"
            assert m[b"failover-timeout"] == b"60000"
            assert m[b"parallel-syncs"] == b"1" and m[b"quorum"] == b"2"
    finally:
        proc.stop()


# --------------------------------------------------------------------------
# up / status / failover / down on 127.0.0.11-13
# --------------------------------------------------------------------------

class Events:
    """Subscribers to the Sentinels' event channels (raw RESP, bounded waits)."""

    CHANNELS = ("+sdown", "+odown", "+switch-master", "+convert-to-slave")

    def __init__(self, sport: int):
        self.conns: Dict[str, th.RawConn] = {}
        self.seen: List[tuple] = []  # (sentinel address, channel, payload)
        try:
            for addr in ADDRS:
                c = self.conns[addr] = th.RawConn(addr, sport, timeout=5)
                c.send_command("SUBSCRIBE", *self.CHANNELS)
                for ch in self.CHANNELS:
                    reply = th.parse(c.read_reply())
                    assert reply[:2] == [b"subscribe", ch.encode()], reply
        except BaseException:
            self.close()
            raise

    def _poll(self) -> None:
        for addr, c in self.conns.items():
            for _ in range(1000):  # bounded: events are sparse; the rest waits for the next poll
                try:
                    msg = th.parse(c.read_reply(timeout=0.05))
                except socket.timeout:
                    break
                assert msg[0] == b"message", msg
                self.seen.append((addr, msg[1].decode(), msg[2].decode()))

    def wait(self, channel: str, timeout: float, every: bool = True) -> Dict[str, str]:
        """{Sentinel address: payload of its first `channel` message} once every Sentinel (or,
        every=False, any) has published one."""
        deadline = time.monotonic() + timeout
        while True:
            got: Dict[str, str] = {}
            for addr, ch, payload in self.seen:
                if ch == channel:
                    got.setdefault(addr, payload)
            if got and (not every or len(got) == len(self.conns)):
                return got
            if time.monotonic() >= deadline:
                raise AssertionError(f"{channel} not from {'every' if every else 'any'} "
                                     f"Sentinel within {timeout} s; events: {self.seen}")
            self._poll()

    def close(self) -> None:
        for c in self.conns.values():
            c.close()


def status_rows(text: str) -> Dict[str, List[str]]:
    """HOST -> columns of `status`: HOST SERVER ROLE MASTER LINK OFFSET LAG SENTINEL
    SENTINEL-MASTER [(sdown)|(odown)] EPOCH CKQUORUM."""
    lines = text.splitlines()
    assert lines[1].split() == ["HOST", "SERVER", "ROLE", "MASTER", "LINK", "OFFSET", "LAG",
                                "SENTINEL", "SENTINEL-MASTER", "EPOCH", "CKQUORUM"], text
    return {line.split()[0]: line.split() for line in lines[2:5]}


def info_fields(host: str, port: int, section: str) -> Dict[str, str]:
    with th.RawConn(host, port) as c:
        text = c.command("INFO", section).decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


class Cluster:
    def __init__(self, deploy: str, run_dir: Path, port: int, sport: int):
        self.deploy, self.run_dir, self.port, self.sport = deploy, run_dir, port, sport

    def pids(self) -> Dict[str, int]:
        out = {}
        for host in HOSTS:
            for name in ("redis-cluster", "redis-sentinel"):
                p = self.run_dir / host / f"{name}.pid"
                if p.exists() and p.read_text().strip():
                    out[f"{host}/{name}"] = int(p.read_text().split()[0])
        return out

    def status(self, *extra) -> subprocess.CompletedProcess:
        return run([self.deploy, "status", "--run-dir", self.run_dir] + list(extra), timeout=60)

    def master(self) -> Optional[str]:
        r = self.status("--master")
        return r.stdout.strip() if r.returncode == 0 else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return ") Z " not in f.read()
    except OSError:
        return False


def cleanup(cluster: Cluster, pids: Dict[str, int]) -> None:
    """`down`, then SIGKILL by PID whatever `up` started and is still there."""
    run([cluster.deploy, "down", "--run-dir", cluster.run_dir], timeout=120)
    for pid in pids.values():
        if alive(pid):
            cwd = os.readlink(f"/proc/{pid}/cwd")
            if cwd.startswith(str(cluster.run_dir)):
                os.kill(pid, signal.SIGKILL)


def up_args(deploy: str, run_dir: Path, server: str, port: int, sport: int,
            topology: Path = LOCAL) -> List[str]:
    return [deploy, "up", "--topology", topology, "--run-dir", run_dir, "--base-port", port,
            "--sentinel-port", sport, "--server-binary", server,
            "--sentinel-binary", sentinel_binary(), "--timeout", "60"]


@pytest.fixture
def ports():
    port = free_common_port(ADDRS, {6379, 26379, 6389, 26389})
    sport = free_common_port(ADDRS, {6379, 26379, 6389, 26389, port})
    return port, sport


def test_up_status_failover_down(deploy, server, tmp_path, ports):
    if th.light_under_asan():  # the failover itself runs under ASan in test_sentinel.py
        pytest.skip("the six-process failover scenario runs in the normal build only")
    port, sport = ports
    run_dir = tmp_path / "run"
    cluster = Cluster(deploy, run_dir, port, sport)
    started: Dict[str, int] = {}
    restarted: Optional[subprocess.Popen] = None
    events: Optional[Events] = None
    try:
        r = run(up_args(deploy, run_dir, server, port, sport) + ["--detach"], timeout=120)
        started = cluster.pids()
        assert r.returncode == 0, r.stdout + r.stderr
        assert "healthy: master 127.0.0.11:%d" % port in r.stdout
        assert f"redis-cli -h 127.0.0.11 -p {port}" in r.stdout
        old_pidfile = run_dir / "console" / "redis-cluster.pid"
        assert f"Watch a failover:          kill -9 $(cat {old_pidfile})" in r.stdout, r.stdout
        assert len(started) == 6 and all(alive(p) for p in started.values()), started

        st = cluster.status()
        assert st.returncode == 0, st.stdout + st.stderr
        rows = status_rows(st.stdout)
        assert rows["console"][2] == "master" and rows["console"][6] == "-"
        for h in ("app1", "app2"):
            assert rows[h][2] == "replica" and rows[h][3] == f"127.0.0.11:{port}"
            assert rows[h][4] == "up"
            assert int(rows[h][5]) >= 0 and int(rows[h][6]) >= 0
        for h in HOSTS:
            assert rows[h][8] == f"127.0.0.11:{port}" and rows[h][-1] == "OK"
            assert rows[h][-2] == "0"  # no failover yet: epoch 0
        assert cluster.master() == f"127.0.0.11 {port}"

        # Every process binds its own host's address only.
        for addr in ADDRS:
            assert th.ping_raw(port, host=addr) and th.ping_raw(sport, host=addr)
        with th.RawConn("127.0.0.11", port) as c:
            assert c.command("SET", "k", "before-failover") == b"OK"
            # Replication is asynchronous: a write the master acknowledged survives its kill -9
            # only once a replica has it. WAIT is how a client makes sure.
            assert c.command("WAIT", "2", "5000") == 2
            master_offset = int(c.command("INFO", "replication").decode()
                                .split("master_repl_offset:")[1].split()[0])

        def caught_up():  # OFFSET is each server's, LAG the master's offset minus it
            rows = status_rows(cluster.status().stdout)
            offsets = [int(rows[h][5]) for h in HOSTS]
            return (all(o >= master_offset for o in offsets) and len(set(offsets)) == 1
                    and rows["app1"][6] == rows["app2"][6] == "0")
        th.wait_for(caught_up, timeout=10, interval=0.2,
                    message="status to show the replicas at the master's offset, LAG 0")

        # The acceptance scenario of deploy/examples/topology.md, watched on every Sentinel's
        # event channels from before the master goes away.
        events = Events(sport)
        # kill -9 the master: every Sentinel reports +sdown, then +odown with the quorum, and
        # +switch-master to the replica the leader promoted.
        os.kill(started["console/redis-cluster"], signal.SIGKILL)
        t_kill = time.monotonic()
        old = f"master redis-dev-cluster 127.0.0.11 {port}"
        sdown = events.wait("+sdown", timeout=30)
        assert set(sdown.values()) == {old}, sdown
        for odown in events.wait("+odown", timeout=30).values():
            m = re.fullmatch(re.escape(old) + r" #quorum ([23])/2", odown)  # agreeing/quorum
            assert m, odown
        switch = set(events.wait("+switch-master", timeout=90).values())
        assert len(switch) == 1, switch
        m = re.fullmatch(rf"redis-dev-cluster 127\.0\.0\.11 {port} (127\.0\.0\.1[23]) {port}",
                         switch.pop())
        assert m, switch
        host = m.group(1)
        print(f"kill -9 to +switch-master: {time.monotonic() - t_kill:.1f}s")
        new_master = th.wait_for(
            lambda: (m := cluster.master()) and m != f"127.0.0.11 {port}" and m,
            timeout=30, interval=0.5, message="Sentinels to name a new master")
        assert new_master == f"{host} {port}"
        new = HOSTS[ADDRS.index(host)]

        def promoted():
            st = cluster.status()
            rows = status_rows(st.stdout)
            return (rows[new][2] == "master" and rows["console"][2] == "down"
                    and all(rows[h][8] == f"{host}:{port}" and rows[h][-2] == rows[new][-2]
                            for h in HOSTS)) and st
        st = th.wait_for(promoted, timeout=60, interval=0.5, message="status to show the new master")
        assert st.returncode == 1 and "UNHEALTHY" in st.stdout  # console is still down
        assert int(status_rows(st.stdout)[new][-2]) >= 1  # the failover's epoch
        with th.RawConn(host, port) as c:
            assert c.command("GET", "k") == b"before-failover"
            assert c.command("SET", "k", "after-failover") == b"OK"

        # Start the old master again, as `up` started it (its config still says master): the
        # Sentinels convert it to a replica of the new one, and it gets the data written since.
        out = open(run_dir / "console" / "restarted.out", "ab")
        restarted = subprocess.Popen([server, run_dir / "console" / "redis-cluster.conf"],
                                     cwd=run_dir / "console", stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        started["console/redis-cluster (restarted)"] = restarted.pid
        t_restart = time.monotonic()
        # Whichever Sentinel sees it first reconfigures it (the others then see a replica).
        convert = list(events.wait("+convert-to-slave", timeout=60, every=False).values())[0]
        assert convert == (f"slave 127.0.0.11:{port} 127.0.0.11 {port} "
                           f"@ redis-dev-cluster {host} {port}"), convert

        def relinked():
            f = info_fields("127.0.0.11", port, "replication")
            return (f.get("role") == "slave" and f.get("master_host") == host
                    and f.get("master_link_status") == "up")
        th.wait_for(relinked, timeout=30, interval=0.2,
                    message="the old master to replicate the new one, link up")
        with th.RawConn("127.0.0.11", port) as c:
            assert c.command("GET", "k") == b"after-failover"
        print(f"restart to replica, link up: {time.monotonic() - t_restart:.1f}s")

        def healthy_again():
            st = cluster.status()
            rows = status_rows(st.stdout)
            return (st.returncode == 0 and rows["console"][2] == "replica"
                    and rows["console"][3] == f"{host}:{port}" and rows["console"][4] == "up"
                    and rows[new][2] == "master") and st
        st = th.wait_for(healthy_again, timeout=30, interval=0.5,
                         message="status healthy with the new master and the old one a replica")
        assert f"healthy: master {host}:{port}" in st.stdout
        assert cluster.master() == f"{host} {port}"
    finally:
        started.update(cluster.pids())
        r = run([deploy, "down", "--run-dir", run_dir], timeout=120)
        leftover = {k: p for k, p in started.items() if alive(p)}
        cleanup(cluster, started)
        if events is not None:
            events.close()
        if restarted is not None:
            if restarted.poll() is None:
                restarted.kill()
            restarted.wait(timeout=10)
    assert r.returncode == 0, r.stdout + r.stderr
    assert leftover == {}, leftover


def test_up_foreground_stops_on_sigint(deploy, server, tmp_path, ports):
    """`up` of the production example topology itself (what deploy/up-local.sh runs): its hosts
    are mapped to 127.0.0.11-13 and its paths to the run directory."""
    port, sport = ports
    run_dir = tmp_path / "run"
    cluster = Cluster(deploy, run_dir, port, sport)
    log = open(tmp_path / "up.log", "w+")
    proc = subprocess.Popen([str(a) for a in up_args(deploy, run_dir, server, port, sport,
                                                     EXAMPLE)],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    started: Dict[str, int] = {}
    try:
        th.wait_for(lambda: "Stop everything" in (tmp_path / "up.log").read_text()
                    or proc.poll() is not None, timeout=90, interval=0.2,
                    message="up to report a healthy cluster")
        assert proc.poll() is None, (tmp_path / "up.log").read_text()
        started = cluster.pids()
        assert len(started) == 6
        # A second `up` on the same run directory is refused.
        r = run(up_args(deploy, run_dir, server, port, sport, EXAMPLE) + ["--detach"], timeout=30)
        assert r.returncode == 1 and "is in use by tandem-deploy up" in r.stderr
        assert cluster.status().returncode == 0

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0, (tmp_path / "up.log").read_text()
        th.wait_for(lambda: not any(alive(p) for p in started.values()), timeout=10,
                    message="all six processes to exit")
        assert not (run_dir / "deploy.pid").exists()
        st = cluster.status("--timeout-ms", "200")
        assert st.returncode == 1 and "down" in st.stdout
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        cleanup(cluster, started)
        log.close()


def test_up_refuses_busy_port(deploy, server, tmp_path, ports):
    port, sport = ports
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.12", port))
        s.listen(1)
        r = run(up_args(deploy, tmp_path / "run", server, port, sport) + ["--detach"])
    assert r.returncode == 1 and f"127.0.0.12:{port} is in use" in r.stderr
    assert not (tmp_path / "run" / "console" / "redis-cluster.pid").exists()


def test_down_on_empty_run_dir(deploy, tmp_path):
    (tmp_path / "run" / "console").mkdir(parents=True)
    # A stale pid file naming a process outside the run directory (this test) is left alone.
    (tmp_path / "run" / "console" / "redis-cluster.pid").write_text(f"{os.getpid()}\n")
    r = run([deploy, "down", "--run-dir", tmp_path / "run"])
    assert r.returncode == 0 and "nothing of" in r.stdout


def test_render_with_current_master_never_writes_replicaof_for_it(deploy, tmp_path):
    # What a re-run against a live cluster does: the Sentinels say app1 is master now.
    out = render(deploy, EXAMPLE, tmp_path / "live", extra=["--master", "10.0.2.71 6389"])
    for host in HOSTS:
        conf = (out / host / "redis-cluster.conf").read_text()
        replicaof = [rest for n, rest in directives(conf) if n == "replicaof"]
        assert replicaof == ([] if host == "app1" else ["10.0.2.71 6389"]), host
        assert "sentinel monitor redis-dev-cluster 10.0.2.71 6389 2" in \
            (out / host / "sentinel.conf").read_text()
    r = run([deploy, "render", "--topology", EXAMPLE, "--out", tmp_path / "x",
             "--master", "10.9.9.9"])
    assert r.returncode == 2 and "not a host of" in r.stderr
