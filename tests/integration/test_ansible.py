"""The Ansible role (deploy/ansible) on one machine, and the .deb package.

Ansible: site.yml with inventory/local.ini (console/app1/app2 on 127.0.0.11-13, local
connection, test mode: each host's files under its own root in tmp, binaries from the build
tree, daemonized processes instead of systemd) on ports picked free (never 6389/26389 or the
stock 6379/26379), with a server password and a Sentinel password. First run deploys
(requirepass and masterauth on every server, the Sentinels authenticated to servers and to each
other); the second must report changed=0; then a failover is forced (SENTINEL FAILOVER) and a
third run must change nothing: no re-mastering of the old master, no rewritten Sentinel state,
no restart. Then a static server setting (databases) and a live Sentinel setting (down-after)
change: every server restarts, replicas first, the master only after SENTINEL FAILOVER moved
its role away; the Sentinels take SENTINEL SET and keep running. A last run changes only a
dynamic server setting (maxmemory-policy): CONFIG SET + CONFIG REWRITE, no restart, nothing else
changed. The port guard refuses tandem_port=6379 before touching anything. `ansible-lint` must
pass on deploy/ansible.

Binaries: TANDEM_SERVER, TANDEM_SENTINEL, TANDEM_DEPLOY (skip if unset, fail if unset under CI).
The whole-cluster test takes ~3-4 min on a loaded 2-core machine, so it runs in the normal build
only: it is skipped when ASAN_OPTIONS is set (tests/run-all.sh's sanitizer pass), since the role
exercises no server code that the other suites don't. TANDEM_ANSIBLE_TEST=1 forces it.

.deb: `cpack -G DEB` in the ctest build directory, `apt-get install ./tandem_*.deb` (the
dependencies come from Debian's archive, already installed by deploy/install-deps.sh), the five
binaries run, `dpkg -r`. Root only, skipped where dpkg is missing or a tandem package is already
installed (never removed then).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tandem_harness as th  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = ROOT / "deploy" / "ansible"
HOSTS = ["console", "app1", "app2"]
ADDRS = {"console": "127.0.0.11", "app1": "127.0.0.12", "app2": "127.0.0.13"}
CLUSTER = "redis-dev-cluster"
AVOID = {6379, 26379, 6389, 26389}
PASSWORD = "s3cret-pw"  # the servers' requirepass and masterauth
SENTINEL_PASSWORD = "sent-pw"  # the Sentinels' requirepass and sentinel-pass


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


def _require_tool(name: str) -> str:
    path = shutil.which(name) or (f"/usr/bin/{name}" if os.access(f"/usr/bin/{name}", os.X_OK)
                                  else None)
    if not path:
        msg = f"{name} is not installed (deploy/install-deps.sh installs it)"
        if th.in_ci():
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    return path


def _skip_under_asan() -> None:
    if os.environ.get("TANDEM_ANSIBLE_TEST", "") == "1":
        return
    if os.environ.get("ASAN_OPTIONS"):
        pytest.skip("sanitizer build: the Ansible role runs in the normal build only "
                    "(TANDEM_ANSIBLE_TEST=1 to force)")


def run(argv: List, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, **kw)


def free_common_port(avoid: set) -> int:
    """A port free on 127.0.0.11, .12 and .13 (bounded number of tries)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((ADDRS["console"], 0))
            port = s.getsockname()[1]
        if port in avoid:
            continue
        ok = True
        for a in ADDRS.values():
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind((a, port))
                except OSError:
                    ok = False
                    break
        if ok:
            return port
    raise RuntimeError("no port free on 127.0.0.11-13")


# --------------------------------------------------------------------------
# A cluster deployed by the role
# --------------------------------------------------------------------------

class Deployment:
    def __init__(self, tmp: Path, server: str, sentinel: str, deploy: str):
        self.tmp = tmp
        self.root = tmp / "root"
        self.deploy = deploy
        self.port = free_common_port(AVOID)
        self.sport = free_common_port(AVOID | {self.port})
        self.vars = {
            "tandem_root": str(self.root),
            "tandem_port": self.port,
            "tandem_sentinel_port": self.sport,
            "tandem_server_binary": server,
            "tandem_sentinel_binary": sentinel,
            "tandem_deploy_binary": deploy,
            "tandem_wait_timeout": 60,
            "tandem_password": PASSWORD,
            "tandem_sentinel_password": SENTINEL_PASSWORD,
        }
        (tmp / "vars.json").write_text(json.dumps(self.vars))
        self.env = dict(os.environ,
                        ANSIBLE_CONFIG=str(ANSIBLE_DIR / "ansible.cfg"),
                        ANSIBLE_HOME=str(tmp / "ansible-home"),
                        ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-tmp"),
                        ANSIBLE_REMOTE_TEMP=str(tmp / "ansible-tmp"),
                        ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                        ANSIBLE_RETRY_FILES_ENABLED="0",
                        # per-task timings at the end of each run's log
                        ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks")
        self.runs = 0

    def playbook(self, expect_failure: bool = False):
        """Run site.yml; return the PLAY RECAP per host. Fails the test on a failed run (with
        expect_failure, on a successful one, and returns the CompletedProcess)."""
        self.runs += 1
        log = self.tmp / f"run{self.runs}.log"
        t0 = time.monotonic()
        r = run(["ansible-playbook", "-i", "inventory/local.ini", "site.yml",
                 "-e", "@" + str(self.tmp / "vars.json")],
                timeout=400, cwd=str(ANSIBLE_DIR), env=self.env)
        log.write_text(r.stdout + r.stderr)
        print(f"ansible-playbook run {self.runs}: {time.monotonic() - t0:.1f}s")
        if expect_failure:
            assert r.returncode != 0, f"run {self.runs} succeeded (log {log})"
            return r
        recap = {}
        for line in r.stdout.splitlines():
            m = re.match(r"^(\S+)\s+:\s+(ok=.*)$", line)
            if m and m.group(1) in HOSTS:
                recap[m.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
                print(line)
        assert r.returncode == 0, f"run {self.runs} failed (log {log}):\n" + r.stdout[-6000:] \
            + r.stderr[-2000:]
        assert sorted(recap) == sorted(HOSTS), r.stdout[-3000:]
        return recap

    def changed_tasks(self) -> List[str]:
        """The `changed:` tasks of the last run (for failure messages)."""
        return [f"{task} [{host}]" for task, host in self.task_order()]

    def set_vars(self, **changes) -> None:
        """Extra variables for the following runs (as `-e @vars.json`)."""
        self.vars.update(changes)
        (self.tmp / "vars.json").write_text(json.dumps(self.vars))

    def task_order(self) -> List[tuple]:
        """(task name, host) of every `changed:` line of the last run, in order."""
        text = (self.tmp / f"run{self.runs}.log").read_text()
        out, task = [], ""
        for line in text.splitlines():
            m = re.match(r"^TASK \[(?:tandem : )?(.*?)\] \*", line)
            if m:
                task = m.group(1)
            m = re.match(r"^changed: \[(\w+)\]", line)
            if m:
                out.append((task, m.group(1)))
        return out

    def path(self, host: str, *parts: str) -> Path:
        return self.root.joinpath(host, *parts)

    def conf(self, host: str) -> Path:
        return self.path(host, "etc", "redis-cluster", "redis-cluster.conf")

    def sentinel_conf(self, host: str) -> Path:
        return self.path(host, "etc", "redis-cluster", "sentinel.conf")

    def rendered(self, host: str) -> Path:
        return self.path(host, "var", "lib", "tandem-deploy", "render", "redis-cluster.conf")

    def topology(self) -> Path:
        return self.path("console", "var", "lib", "tandem-deploy", "topology.toml")

    def master(self) -> str:
        r = run([self.deploy, "status", "--topology", self.topology(), "--master"], timeout=30)
        return r.stdout.strip() if r.returncode == 0 else ""

    def pids(self) -> Dict[str, int]:
        out = {}
        for host in HOSTS:
            for name in ("redis-cluster", "redis-sentinel"):
                p = self.path(host, "var", "run", "redis-cluster", f"{name}.pid")
                if p.exists() and p.read_text().strip():
                    out[f"{host}/{name}"] = int(p.read_text().split()[0])
        return out

    def ours(self) -> List[int]:
        """Processes whose working directory is inside this deployment's root."""
        out = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                cwd = os.readlink(f"/proc/{d}/cwd")
            except OSError:
                continue
            if cwd.startswith(str(self.root) + "/"):
                out.append(int(d))
        return out

    def stop(self) -> None:
        pids = set(self.ours()) | {p for p in self.pids().values() if p in self.ours()}
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(p in self.ours() for p in pids):
            time.sleep(0.1)
        for pid in self.ours():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def directives(path: Path, name: str) -> List[str]:
    out = []
    for line in path.read_text().splitlines():
        words = line.strip().split(None, 1)
        if words and words[0] == name:
            out.append(words[1] if len(words) > 1 else "")
    return out


def monitor_line(path: Path) -> str:
    for line in path.read_text().splitlines():
        if line.startswith(f"sentinel monitor {CLUSTER} "):
            return " ".join(line.split()[3:5])
    return ""


def connect(addr: str, port: int, password: str) -> th.RawConn:
    c = th.RawConn(addr, port)
    assert c.command("AUTH", password) == b"OK"
    return c


def server(addr: str, port: int) -> th.RawConn:
    return connect(addr, port, PASSWORD)


def sentinel(addr: str, port: int) -> th.RawConn:
    return connect(addr, port, SENTINEL_PASSWORD)


def role(addr: str, port: int) -> list:
    with server(addr, port) as c:
        return c.command("ROLE")


@pytest.fixture
def deployment(tmp_path):
    _skip_under_asan()
    server = _require("TANDEM_SERVER", "tandem-server")
    sentinel = _require("TANDEM_SENTINEL", "tandem-sentinel")
    deploy = _require("TANDEM_DEPLOY", "tandem-deploy")
    _require_tool("ansible-playbook")
    d = Deployment(tmp_path, server, sentinel, deploy)
    try:
        yield d
    finally:
        d.stop()


def test_role_deploys_is_idempotent_and_follows_a_failover(deployment):
    d = deployment
    port = d.port

    # 1. First deploy: everything is created and started.
    recap = d.playbook()
    assert all(recap[h]["changed"] > 0 and recap[h]["failed"] == 0 for h in HOSTS), recap
    assert d.master() == f"127.0.0.11 {port}"
    for h in HOSTS:
        # Bound to the host's own loopback address only, masterless replicaof only on replicas.
        assert directives(d.conf(h), "bind") == [ADDRS[h]]
        assert directives(d.conf(h), "replicaof") == ([] if h == "console"
                                                      else [f"127.0.0.11 {port}"])
        assert monitor_line(d.sentinel_conf(h)) == f"127.0.0.11 {port}"
    pids = d.pids()
    assert len(pids) == 6, pids
    # The password: required everywhere, masterauth on every server (any may become a replica),
    # and the Sentinels authenticated to the servers and to each other (no down flags, every
    # replica and Sentinel found).
    for h in HOSTS:
        with th.RawConn(ADDRS[h], port) as c:
            assert c.command("PING") == th.RespError(
                b"NOAUTH Authentication required."), h
        with server(ADDRS[h], port) as c:
            assert c.command("CONFIG", "GET", "requirepass") == [b"requirepass", PASSWORD.encode()]
            assert c.command("CONFIG", "GET", "masterauth") == [b"masterauth", PASSWORD.encode()]
        with th.RawConn(ADDRS[h], d.sport) as c:
            assert c.command("PING") == th.RespError(b"NOAUTH Authentication required."), h

    def sentinels_authenticated():
        for h in HOSTS:
            with sentinel(ADDRS[h], d.sport) as c:
                m = c.command("SENTINEL", "MASTER", CLUSTER)
                f = dict(zip(m[::2], m[1::2]))
                if (f[b"flags"] != b"master" or f[b"num-slaves"] != b"2"
                        or f[b"num-other-sentinels"] != b"2"):
                    return False
                for r in c.command("SENTINEL", "REPLICAS", CLUSTER):
                    rf = dict(zip(r[::2], r[1::2]))
                    if rf[b"flags"] != b"slave" or rf[b"master-link-status"] != b"ok":
                        return False
        return True
    th.wait_for(sentinels_authenticated, timeout=20, interval=0.5,
                message="every Sentinel to see the master, two replicas and two Sentinels, "
                        "none down")

    # 2. A second run changes nothing and restarts nothing.
    recap = d.playbook()
    assert all(recap[h]["changed"] == 0 for h in HOSTS), (recap, d.changed_tasks())
    assert d.pids() == pids

    # 3. Fail over; the role must follow the Sentinels, not the topology's master.
    with sentinel("127.0.0.11", d.sport) as c:
        assert c.command("SENTINEL", "FAILOVER", CLUSTER) == b"OK"
    new = th.wait_for(lambda: (m := d.master()) and m != f"127.0.0.11 {port}" and m,
                      timeout=60, interval=0.5, message="the Sentinels to name a new master")
    new_addr = new.split()[0]
    new_host = next(h for h, a in ADDRS.items() if a == new_addr)

    def settled():
        r = role("127.0.0.11", port)
        return (r[0] == b"slave" and r[1].decode() == new_addr and r[3] == b"connected"
                and all(monitor_line(d.sentinel_conf(h)) == new for h in HOSTS))
    th.wait_for(settled, timeout=60, interval=0.5,
                message="the old master to replicate the new one and every sentinel.conf to "
                        "name it")
    sentinel_before = {h: d.sentinel_conf(h).read_text() for h in HOSTS}
    stamps = {h: d.path(h, "var", "lib", "tandem-deploy", "sentinel.conf.applied").stat().st_mtime
              for h in HOSTS}

    recap = d.playbook()
    assert all(recap[h]["changed"] == 0 for h in HOSTS), (recap, d.changed_tasks())
    assert d.pids() == pids  # nothing restarted
    assert d.master() == new
    # The old master stays a replica of the new one; the role rendered for the current master.
    r = role("127.0.0.11", port)
    assert r[0] == b"slave" and r[1].decode() == new_addr, r
    assert role(new_addr, port)[0] == b"master"
    for h in HOSTS:
        assert directives(d.rendered(h), "replicaof") == ([] if h == new_host else [new])
        assert directives(d.conf(h), "replicaof") in ([], [new]), h
        assert monitor_line(d.sentinel_conf(h)) == new
        # Sentinel state (known replicas and Sentinels, epochs) was not rewritten by the role.
        assert "known-sentinel" in d.sentinel_conf(h).read_text()
        assert d.path(h, "var", "lib", "tandem-deploy",
                      "sentinel.conf.applied").stat().st_mtime == stamps[h]
    assert directives(d.conf("console"), "replicaof") == [new]
    changed_state = [h for h in HOSTS if d.sentinel_conf(h).read_text() != sentinel_before[h]]
    for h in changed_state:  # Sentinel may flush its own file; never back to the old master
        assert f"sentinel monitor {CLUSTER} 127.0.0.11 " not in d.sentinel_conf(h).read_text()

    # 4. A static server setting and a live Sentinel setting change. Servers restart, replicas
    #    first, and the master only after SENTINEL FAILOVER moved the role away; the Sentinels
    #    take their change live (SENTINEL SET) and keep running.
    d.set_vars(tandem_server_settings={"databases": 32}, tandem_down_after_ms=5001)
    recap = d.playbook()
    assert all(recap[h]["changed"] > 0 and recap[h]["failed"] == 0 for h in HOSTS), recap
    after = d.pids()
    for h in HOSTS:
        assert after[f"{h}/redis-cluster"] != pids[f"{h}/redis-cluster"], h  # restarted
        assert after[f"{h}/redis-sentinel"] == pids[f"{h}/redis-sentinel"], h  # live change
    order = d.task_order()
    stops = [h for task, h in order if task.startswith("Stop, static configuration changed "
                                                       "(server)")]
    failover = [i for i, (task, h) in enumerate(order) if task == "SENTINEL FAILOVER"]
    assert sorted(stops) == sorted(HOSTS), order
    assert stops[-1] == new_host and len(failover) == 1, order  # the master last,
    stop_at = {h: order.index(("Stop, static configuration changed (server)", h)) for h in HOSTS}
    assert all(stop_at[h] < failover[0] for h in HOSTS if h != new_host), order  # replicas first
    assert stop_at[new_host] > failover[0], order  # and only after its role moved away
    newer = th.wait_for(lambda: (m := d.master()) and m != new and m, timeout=60, interval=0.5,
                        message="the Sentinels to name the master the role failed over to")
    newer_addr = newer.split()[0]

    def settled_again():
        return all((r := role(ADDRS[h], port))[0] == b"slave" and r[1].decode() == newer_addr
                   and r[3] == b"connected" for h in HOSTS if ADDRS[h] != newer_addr)
    th.wait_for(settled_again, timeout=60, interval=0.5,
                message="every other server to replicate the new master")
    assert role(newer_addr, port)[0] == b"master"
    for h in HOSTS:
        with server(ADDRS[h], port) as c:
            assert c.command("CONFIG", "GET", "databases") == [b"databases", b"32"], h
        with sentinel(ADDRS[h], d.sport) as c:
            m = c.command("SENTINEL", "MASTER", CLUSTER)
            fields = dict(zip(m[::2], m[1::2]))
            assert fields[b"down-after-milliseconds"] == b"5001", h
            assert fields[b"ip"].decode() == newer_addr, h
        assert directives(d.conf(h), "databases") == ["32"], h

    # 5. A dynamic server setting changes: CONFIG SET + CONFIG REWRITE on every server, no
    #    restart, and nothing else changes (the run after a restart-and-failover run is stable).
    with server(ADDRS["console"], port) as c:
        assert c.command("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy",
                                                                  b"noeviction"]
    d.set_vars(tandem_server_settings={"databases": 32, "maxmemory-policy": "allkeys-lru"})
    recap = d.playbook()
    assert all(recap[h]["changed"] > 0 and recap[h]["failed"] == 0 for h in HOSTS), recap
    assert d.pids() == after  # nothing restarted
    assert sorted(d.task_order()) == sorted(
        [(task, h) for h in HOSTS for task in ("Topology file (from the role's variables)",
                                               "Apply changed settings live, or find that a "
                                               "restart is needed")]), d.task_order()
    for h in HOSTS:
        with server(ADDRS[h], port) as c:
            assert c.command("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy",
                                                                      b"allkeys-lru"], h
        assert directives(d.conf(h), "maxmemory-policy") == ["allkeys-lru"], h  # REWRITE
        assert directives(d.conf(h), "databases") == ["32"], h
    assert d.master() == newer


def test_role_refuses_the_stock_redis_port(tmp_path):
    _skip_under_asan()
    _require_tool("ansible-playbook")
    d = Deployment(tmp_path, "/nonexistent/tandem-server", "/nonexistent/tandem-sentinel",
                   "/nonexistent/tandem-deploy")
    d.set_vars(tandem_port=6379)
    r = d.playbook(expect_failure=True)
    out = r.stdout + r.stderr
    assert "TASK [tandem : Never touch the stock Redis" in out, out[-3000:]
    assert out.count("tandem's ports, directories and units must differ from the stock "
                     "Redis's") == 3, out[-3000:]
    assert "tandem_port=6379" in out, out[-3000:]
    # Failed at the guard on every host: no other task ran, nothing was created or started.
    assert re.findall(r"^TASK \[(.*?)\]", r.stdout, re.M) == [
        "tandem : Never touch the stock Redis (6379/26379, /etc/redis, /var/lib/redis, "
        "its units)"], r.stdout
    assert not d.root.exists() and d.ours() == []


def test_ansible_lint():
    _skip_under_asan()
    lint = _require_tool("ansible-lint")
    t0 = time.monotonic()
    r = run([lint, "--nocolor", "deploy/ansible"], timeout=300, cwd=str(ROOT),
            env=dict(os.environ, ANSIBLE_CONFIG=str(ANSIBLE_DIR / "ansible.cfg"),
                     HOME=os.environ.get("HOME", "/tmp")))
    print(f"ansible-lint: {time.monotonic() - t0:.1f}s")
    assert r.returncode == 0, r.stdout + r.stderr


# --------------------------------------------------------------------------
# The .deb
# --------------------------------------------------------------------------

# Each packaged binary, the arguments that print its usage, the exit code and the usage line.
BINARIES = {
    "/usr/bin/tandem-server": (["--help"], 0, "Usage: ./tandem-server [/path/to/redis.conf]"),
    "/usr/bin/tandem-sentinel": (["--help"], 0, "Usage: ./tandem-sentinel /path/to/sentinel.conf"),
    "/usr/bin/tandem-deploy": (["--help"], 0, "usage: tandem-deploy <command> [options]"),
    "/usr/bin/tandem-check-aof": (["--help"], 0, "Usage: /usr/bin/tandem-check-aof [--fix] <"),
    "/usr/bin/tandem-check-rdb": (["--help"], 0, "Usage: /usr/bin/tandem-check-rdb <dump.rdb>"),
}


def _installed(pkg: str) -> bool:
    r = run(["dpkg-query", "-W", "-f=${Status}", pkg])
    return r.returncode == 0 and "install ok installed" in r.stdout


def test_deb_installs_and_removes_cleanly(tmp_path):
    if not shutil.which("dpkg") or not shutil.which("cpack"):
        pytest.skip("dpkg or cpack is not available on this machine")
    if os.geteuid() != 0:
        pytest.skip("dpkg -i needs root")
    server = _require("TANDEM_SERVER", "tandem-server")
    _require("TANDEM_SENTINEL", "tandem-sentinel")  # the package must carry the Sentinel
    build = Path(server).resolve().parents[1]
    if not (build / "CPackConfig.cmake").exists():
        pytest.skip(f"{build} has no CPackConfig.cmake")
    if _installed("tandem"):
        pytest.skip("a tandem package is installed already; not replacing or removing it")
    existing = [b for b in BINARIES if os.path.exists(b)]
    if existing:
        pytest.skip(f"{', '.join(existing)} exist outside the package; not overwriting them")

    t0 = time.monotonic()
    # Stripped and gzip-compressed: a sanitizer build's binaries are large, and this is about
    # installing, not about the smallest package.
    r = run(["cpack", "-G", "DEB", "--config", build / "CPackConfig.cmake", "-B", tmp_path,
             "-D", "CPACK_STRIP_FILES=ON", "-D", "CPACK_DEBIAN_COMPRESSION_TYPE=gzip"],
            timeout=180, cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    debs = sorted(tmp_path.glob("tandem_*.deb"))
    assert len(debs) == 1, (list(tmp_path.iterdir()), r.stdout)
    print(f"cpack: {time.monotonic() - t0:.1f}s, {debs[0].name} {debs[0].stat().st_size} bytes")

    contents = run(["dpkg-deb", "-c", debs[0]]).stdout
    listed = {line.split()[-1] for line in contents.splitlines() if line.split()}
    for b in BINARIES:
        assert "." + b in listed, contents
    had_config_dir = os.path.isdir("/etc/redis-cluster")
    try:
        # apt-get resolves the Depends: line (dpkg -i would only complain about it).
        r = run(["apt-get", "install", "-y", "--no-install-recommends", debs[0].resolve()],
                timeout=180, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        assert r.returncode == 0, r.stdout + r.stderr
        assert _installed("tandem")
        for b, (args, code, usage) in BINARIES.items():
            assert os.access(b, os.X_OK), b
            v = run([b] + args)
            out = v.stdout + v.stderr
            assert v.returncode == code, (b, v.returncode, out)
            assert usage in out.splitlines()[0], (b, out)
            if "check" not in b and "deploy" not in b:
                v = run([b, "--version"])
                assert v.returncode == 0 and "v=" in v.stdout, (b, v.stdout, v.stderr)
        assert run(["getent", "passwd", "redis"]).returncode == 0
        st = os.stat("/etc/redis-cluster")
        import pwd
        assert pwd.getpwuid(st.st_uid).pw_name == "redis"
        assert os.path.exists("/usr/share/tandem/topology.example.toml")
        # The stock Redis's files are not the package's.
        listed = run(["dpkg", "-L", "tandem"]).stdout.split()
        assert not any(p.startswith(("/etc/redis/", "/var/lib/redis/")) for p in listed), listed
    finally:
        r = run(["dpkg", "-r", "tandem"], timeout=120)
        if not had_config_dir and os.path.isdir("/etc/redis-cluster"):
            try:
                os.rmdir("/etc/redis-cluster")  # empty: created by the postinst for this test
            except OSError:
                pass
    assert r.returncode == 0, r.stdout + r.stderr
    assert not _installed("tandem")
    for b in BINARIES:
        assert not os.path.exists(b), b
    print(f"deb test total: {time.monotonic() - t0:.1f}s")
