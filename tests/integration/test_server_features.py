"""Server features seen from the wire: listeners, limits, auth, timeouts, output/query
buffer limits, MONITOR, SLOWLOG, CLIENT, CONFIG, INFO, expiry, DEBUG, SCAN, pipelining,
redis-benchmark and big values.

Every test runs against stock Redis 7.0.15 ("stock") AND tandem ("tandem", skipped if
TANDEM_SERVER is unset): the stock run proves the expectation in the same session.
Dry-run against stock only: TANDEM_SERVER=/usr/bin/redis-server.

Servers bind only to 127.0.0.1 (plus 127.0.0.2 / ::1 where a test says so, or a unix
socket under a temporary directory); every wait and loop is bounded.
"""

import ctypes
import os
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import time

import pytest
import redis

import tandem_harness as th

REDIS_CLI = os.environ.get("REDIS_CLI", "/usr/bin/redis-cli")
REDIS_BENCHMARK = os.environ.get("REDIS_BENCHMARK", "/usr/bin/redis-benchmark")
HOST = th.HOST

DEBUG_NOT_ALLOWED = (
    b"-ERR DEBUG command not allowed. If the enable-debug-command option is set to "
    b"\"local\", you can run it from a local connection, otherwise you need to set this "
    b"option in the configuration file, and then restart the server.\r\n")

# Redis 7.0.15 CLIENT LIST / CLIENT INFO field order.
CLIENT_FIELDS = ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub",
                 "psub", "ssub", "multi", "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs",
                 "rbp", "obl", "oll", "omem", "tot-mem", "events", "cmd", "user", "redir",
                 "resp"]


# --------------------------------------------------------------------------
# fixtures / helpers
# --------------------------------------------------------------------------

def _wait_executable(path, timeout=60.0):
    """The lead rebuilds tandem from time to time; tolerate a brief absence."""
    th.wait_for(lambda: os.path.isfile(path) and os.access(path, os.X_OK), timeout=timeout,
                interval=0.5, message=f"{path} to be an executable file")


@pytest.fixture(params=["stock", "tandem"])
def binary(request):
    if request.param == "stock":
        return request.getfixturevalue("redis_binary")
    path = th.tandem_binary()
    if path:
        _wait_executable(path)
    return request.getfixturevalue("tandem_binary")


@pytest.fixture
def spawn(binary, tmp_path):
    """spawn(*extra_args) -> th.Server started with the standard args + extra args."""
    started = []

    def _spawn(*extra, name="srv"):
        srv = th.launch(binary, str(tmp_path / f"{name}{len(started)}"), [str(a) for a in extra])
        started.append(srv)
        return srv

    yield _spawn
    for srv in started:
        srv.stop()


@pytest.fixture
def server(spawn):
    return spawn()


@pytest.fixture
def dserver(spawn):
    """A server with --enable-debug-command yes."""
    return spawn("--enable-debug-command", "yes")


def info(conn, section=None):
    """INFO [section] over a RawConn -> (text, dict of field -> str)."""
    reply = conn.command("INFO", section) if section else conn.command("INFO")
    assert isinstance(reply, bytes), reply
    text = reply.decode()
    fields = {}
    for line in text.split("\r\n"):
        if line and not line.startswith("#") and ":" in line:
            k, _, v = line.partition(":")
            fields[k] = v
    return text, fields


def assert_alive(srv, timeout=3.0):
    with srv.raw(timeout=timeout) as c:
        c.send_command("PING")
        assert c.read_reply() == b"+PONG\r\n"


def client_id(conn):
    cid = conn.command("CLIENT", "ID")
    assert isinstance(cid, int) and cid > 0, cid
    return cid


def client_ids(conn):
    text = conn.command("CLIENT", "LIST").decode()
    return {int(re.match(r"id=(\d+) ", line).group(1)) for line in text.splitlines() if line}


def short_tmpdir(tmp_path):
    """A directory whose unix socket paths fit in sun_path (108 bytes)."""
    if len(str(tmp_path)) < 70:
        return str(tmp_path), None
    d = tempfile.mkdtemp(prefix="tdm")
    return d, d


def log_of(srv):
    return srv.proc.log_text(200000)


# --------------------------------------------------------------------------
# listeners
# --------------------------------------------------------------------------

def test_unixsocket_with_perm_700(spawn, tmp_path):
    d, cleanup = short_tmpdir(tmp_path)
    path = os.path.join(d, "t.sock")
    try:
        srv = spawn("--unixsocket", path, "--unixsocketperm", "700")
        th.wait_for(lambda: os.path.exists(path), timeout=5, message="unix socket file")
        st = os.stat(path)
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o700
        r = redis.Redis(unix_socket_path=path, socket_timeout=5)
        try:
            assert r.ping() is True
            assert r.set("via-unix", "1") is True
            assert r.get("via-unix") == b"1"
            # The unix client shows up in CLIENT LIST with flags containing U.
            line = r.execute_command("CLIENT", "INFO").decode()
            assert re.search(r" flags=\w*U\w* ", line), line
            assert re.search(r" addr=" + re.escape(path) + r":0 ", line), line
        finally:
            r.close()
        # Same keyspace over TCP.
        assert srv.client().get("via-unix") == b"1"
        assert srv.client().config_get("unixsocketperm") == {"unixsocketperm": "700"}
    finally:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)


def _ipv4_alias_usable(addr):
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((addr, 0))
        return True
    except OSError:
        return False


def _server_side_socket(pid, port, client_port):
    """A duplicate (pidfd_getfd) of the server process's socket for our connection from
    127.0.0.1:client_port to its listening port, found through /proc/net/tcp's inode."""
    inode = None
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            parts = line.split()
            if (int(parts[1].split(":")[1], 16) == port
                    and int(parts[2].split(":")[1], 16) == client_port):
                inode = parts[9]
    assert inode is not None, "no server-side socket in /proc/net/tcp"
    fd = next(int(n) for n in os.listdir(f"/proc/{pid}/fd")
              if os.readlink(f"/proc/{pid}/fd/{n}") == f"socket:[{inode}]")
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        dup = libc.syscall(438, pidfd, fd, 0)  # pidfd_getfd(2)
    finally:
        os.close(pidfd)
    if dup < 0:
        pytest.skip(f"pidfd_getfd: errno {ctypes.get_errno()}")
    return socket.socket(fileno=dup)


def test_tcp_keepalive_probe_timing_is_redis_s(spawn):
    # anetKeepAlive: first probe after tcp-keepalive idle seconds, then every interval/3 seconds,
    # three probes. (libuv's own keepalive probes every second, ten times.)
    srv = spawn("--tcp-keepalive", "60")
    with socket.create_connection((th.HOST, srv.port)) as c:
        c.sendall(b"PING\r\n")
        assert c.recv(100) == b"+PONG\r\n"
        s = _server_side_socket(srv.proc.popen.pid, srv.port, c.getsockname()[1])
        with s:
            assert s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 60
            assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 20
            assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 3
            assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_memory_usage_is_plausible_for_every_encoding(spawn):
    # MEMORY USAGE once read an Object's pointer as a heap string's capacity (hashtable hash:
    # 94,909,235,659,495 bytes). Each answer here must be a real size: between the payload and
    # a small multiple of it.
    srv = spawn()
    long = "x" * 70  # past the 64-byte listpack limits: hashtable / skiplist
    with srv.raw() as c:
        cmds = {
            "s": [("SET", "s", long)],
            "hlp": [("HSET", "hlp", "f", "v")],
            "hht": [("HSET", "hht", "f", long)],
            "zlp": [("ZADD", "zlp", "1", "m")],
            "zsl": [("ZADD", "zsl", "1", long)],
            "l": [("RPUSH", "l", long)],
            "si": [("SADD", "si", "1")],
            "sh": [("SADD", "sh", long)],
        }
        for key, commands in cmds.items():
            for cmd in commands:
                c.command(*cmd)
            used = c.command("MEMORY", "USAGE", key)
            assert isinstance(used, int), (key, used)
            assert 16 <= used <= 4096, (key, used)


def test_bind_two_addresses(spawn):
    if not _ipv4_alias_usable("127.0.0.2"):
        pytest.skip("127.0.0.2 is not bindable here")
    srv = spawn("--bind", HOST, "127.0.0.2")
    for addr in (HOST, "127.0.0.2"):
        with th.RawConn(addr, srv.port, timeout=5) as c:
            c.send_command("SET", "k-" + addr, addr)
            assert c.read_reply() == b"+OK\r\n"
            c.send_command("CLIENT", "INFO")
            line = th.parse(c.read_reply()).decode()
            assert f" laddr={addr}:{srv.port} " in line, line
    assert srv.client().config_get("bind") == {"bind": "127.0.0.1 127.0.0.2"}
    assert srv.client().get("k-127.0.0.2") == b"127.0.0.2"
    # Nothing listens on another loopback address.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.3", srv.port), timeout=1).close()


def _has_ipv6_loopback():
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_bind_ipv6_loopback(spawn):
    if not _has_ipv6_loopback():
        pytest.skip("no IPv6 loopback on this machine")
    srv = spawn("--bind", HOST, "::1")
    with socket.create_connection(("::1", srv.port), timeout=5) as s:
        s.settimeout(5)
        s.sendall(th.encode_command("CLIENT", "INFO"))
        data = b""
        deadline = time.monotonic() + 5
        while not data.endswith(b"\r\n") or data.count(b"\r\n") < 2:
            assert time.monotonic() < deadline, data
            chunk = s.recv(65536)
            assert chunk, data
            data += chunk
        line = th.parse(data).decode()
        assert f" laddr=[::1]:{srv.port} " in line or f" laddr=::1:{srv.port} " in line, line
        assert " addr=[::1]:" in line or " addr=::1:" in line, line
    assert_alive(srv)


# --------------------------------------------------------------------------
# maxclients
# --------------------------------------------------------------------------

def test_maxclients_rejects_fourth_connection(spawn):
    srv = spawn("--maxclients", "3")
    c1 = srv.raw(timeout=5)
    # The start-up PING connection must be gone before we count.
    th.wait_for(lambda: info(c1, "clients")[1]["connected_clients"] == "1", timeout=5,
                message="connected_clients:1")
    before = int(info(c1, "stats")[1]["rejected_connections"])
    c2, c3 = srv.raw(timeout=5), srv.raw(timeout=5)
    for c in (c2, c3):
        c.send_command("PING")
        assert c.read_reply() == b"+PONG\r\n"
    c4 = srv.raw(timeout=5)
    got = c4.read_until_close(timeout=5)
    assert got == b"-ERR max number of clients reached\r\n"
    # Earlier clients keep working.
    for i, c in enumerate((c1, c2, c3)):
        c.send_command("SET", f"k{i}", i)
        assert c.read_reply() == b"+OK\r\n"
    after = int(info(c1, "stats")[1]["rejected_connections"])
    assert after == before + 1
    assert info(c1, "clients")[1]["connected_clients"] == "3"
    # Freeing a slot lets a new client in.
    c3.close()
    th.wait_for(lambda: info(c1, "clients")[1]["connected_clients"] == "2", timeout=5,
                message="connected_clients:2")
    with srv.raw(timeout=5) as c5:
        c5.send_command("PING")
        assert c5.read_reply() == b"+PONG\r\n"


# --------------------------------------------------------------------------
# requirepass
# --------------------------------------------------------------------------

def test_requirepass(spawn):
    srv = spawn()
    with srv.raw() as admin:
        assert admin.command("CONFIG", "SET", "requirepass", "pw") == b"OK"
    c = srv.raw()
    c.send_command("GET", "k")
    assert c.read_reply() == b"-NOAUTH Authentication required.\r\n"
    c.send_command("PING")
    assert c.read_reply() == b"-NOAUTH Authentication required.\r\n"
    c.send_command("AUTH", "nope")
    assert c.read_reply() == (b"-WRONGPASS invalid username-password pair or user is "
                              b"disabled.\r\n")
    c.send_command("AUTH", "default", "nope")
    assert c.read_reply().startswith(b"-WRONGPASS ")
    c.send_command("AUTH", "pw")
    assert c.read_reply() == b"+OK\r\n"
    c.send_command("SET", "k", "v")
    assert c.read_reply() == b"+OK\r\n"

    c2 = srv.raw()
    c2.send_command("AUTH", "default", "pw")
    assert c2.read_reply() == b"+OK\r\n"
    assert c2.command("GET", "k") == b"v"

    c3 = srv.raw()
    c3.send_command("HELLO", "3", "AUTH", "default", "nope")
    assert c3.read_reply().startswith(b"-WRONGPASS ")
    c3.send_command("HELLO", "3", "AUTH", "default", "pw")
    hello = th.parse(c3.read_reply())
    assert isinstance(hello, dict), hello
    assert hello[b"proto"] == 3 and hello[b"server"] == b"redis"
    c3.send_command("GET", "k")
    assert c3.read_reply() == b"$1\r\nv\r\n"

    # redis-cli -a
    cli = subprocess.run([REDIS_CLI, "-h", HOST, "-p", str(srv.port), "-a", "pw",
                          "--no-auth-warning", "ping"], capture_output=True, timeout=10)
    assert cli.returncode == 0 and cli.stdout == b"PONG\n", cli
    cli = subprocess.run([REDIS_CLI, "-h", HOST, "-p", str(srv.port), "-a", "bad",
                          "--no-auth-warning", "ping"], capture_output=True, timeout=10)
    assert b"WRONGPASS" in cli.stdout + cli.stderr or b"NOAUTH" in cli.stdout + cli.stderr, cli

    # redis-py with password
    r = srv.client(password="pw")
    assert r.ping() is True and r.get("k") == b"v"
    bad = srv.client(password="bad")
    with pytest.raises((redis.exceptions.AuthenticationError, redis.exceptions.ResponseError),
                       match="WRONGPASS|invalid"):
        bad.ping()


# --------------------------------------------------------------------------
# idle timeout
# --------------------------------------------------------------------------

def test_idle_timeout_disconnects_idle_not_busy(spawn):
    srv = spawn("--timeout", "1")
    idle, busy = srv.raw(timeout=10), srv.raw(timeout=10)
    for c in (idle, busy):
        c.send_command("PING")
        assert c.read_reply() == b"+PONG\r\n"
    t0 = time.monotonic()
    closed = None
    while time.monotonic() - t0 < 6.0:
        busy.send_command("PING")
        assert busy.read_reply(timeout=2) == b"+PONG\r\n"
        if closed is None and idle.is_closed_by_peer(timeout=0.25):
            closed = time.monotonic() - t0
        if closed is not None and time.monotonic() - t0 > closed + 0.5:
            break
    assert closed is not None, "idle client was not disconnected within 6 s (timeout 1)"
    assert 0.8 <= closed <= 5.0, closed
    # The busy client is still served.
    busy.send_command("PING")
    assert busy.read_reply() == b"+PONG\r\n"


# --------------------------------------------------------------------------
# output / query buffer limits
# --------------------------------------------------------------------------

def test_client_output_buffer_limit(spawn):
    srv = spawn()
    admin = srv.raw()
    assert admin.command("CONFIG", "SET", "client-output-buffer-limit",
                         "normal 1mb 512kb 1") == b"OK"
    assert admin.command("CONFIG", "GET", "client-output-buffer-limit")[1].startswith(
        b"normal 1048576 524288 1 ")
    assert admin.command("SET", "bigkey", b"x" * 100_000) == b"OK"

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: small window
    s.settimeout(10)
    s.connect((HOST, srv.port))
    victim = th.RawConn.__new__(th.RawConn)  # a RawConn around our pre-configured socket
    victim.host, victim.port, victim.timeout, victim.sock, victim.buf = HOST, srv.port, 10, s, b""
    vid = client_id(victim)
    # 300 x 100 KB = 30 MB of replies, never read.
    victim.send_raw(th.encode_command("GET", "bigkey") * 300)
    th.wait_for(lambda: vid not in client_ids(admin), timeout=10,
                message="victim to be disconnected for its output buffer")
    # Its stream ends (EOF or reset) well before 30 MB arrive.
    got = b""
    try:
        got = victim.read_until_close(timeout=10, limit=40_000_000)
    except ConnectionResetError:
        pass
    assert len(got) < 300 * 100_000
    victim.close()
    assert re.search(r"overcoming of output buffer limits", log_of(srv)), log_of(srv)[-2000:]
    # Other clients keep being served, including big replies.
    assert admin.command("GET", "bigkey") == b"x" * 100_000
    assert_alive(srv)


def test_client_query_buffer_limit(spawn):
    srv = spawn()
    admin = srv.raw()
    assert admin.command("CONFIG", "SET", "client-query-buffer-limit", "1mb") == b"OK"
    assert admin.command("CONFIG", "GET", "client-query-buffer-limit") == [
        b"client-query-buffer-limit", b"1048576"]
    s = socket.create_connection((HOST, srv.port), timeout=10)
    s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$500000000\r\n")
    chunk = b"y" * 65536
    sent, closed = 0, False
    deadline = time.monotonic() + 10
    try:
        # Bounded: at most 64 MB or 10 s; the server must cut us off after ~1 MB.
        while sent < 64 * 1024 * 1024 and time.monotonic() < deadline:
            s.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    except socket.timeout:
        pass
    if not closed:
        s.settimeout(5)
        try:
            closed = s.recv(65536) == b""
        except ConnectionResetError:
            closed = True
        except socket.timeout:
            closed = False
    s.close()
    assert closed, f"connection still open after sending {sent} bytes of one bulk"
    th.wait_for(lambda: "max query buffer length" in log_of(srv), timeout=5,
                message="'max query buffer length' in the log")
    assert admin.command("EXISTS", "k") == 0
    assert_alive(srv)


# --------------------------------------------------------------------------
# MONITOR
# --------------------------------------------------------------------------

def test_monitor_sees_other_clients_commands(server):
    mon = server.raw()
    mon.send_command("MONITOR")
    assert mon.read_reply() == b"+OK\r\n"
    c = server.raw()
    cport = c.sock.getsockname()[1]
    c.send_command("set", "k", "v")
    assert c.read_reply() == b"+OK\r\n"
    c.send_command("GET", "k")
    assert c.read_reply() == b"$1\r\nv\r\n"
    c.send_command("SELECT", "2")
    assert c.read_reply() == b"+OK\r\n"
    c.send_command("INCRBY", "n", "5")
    assert c.read_reply() == b":5\r\n"
    c.send_command("SET", "sp", "a b\"c")
    assert c.read_reply() == b"+OK\r\n"
    prefix = r"^\+(\d+)\.\d{6} \[%s 127\.0\.0\.1:%d\] "
    expected = [
        (0, r'"set" "k" "v"'),
        (0, r'"GET" "k"'),
        (2, r'"SELECT" "2"'),  # fed after execution: already in db 2
        (2, r'"INCRBY" "n" "5"'),
        (2, r'"SET" "sp" "a b\\"c"'),
    ]
    now = time.time()
    for db, tail in expected:
        line = mon.read_reply(timeout=5).decode()
        assert line.endswith("\r\n")
        m = re.match((prefix % (db, cport)) + tail + r"\r\n$", line)
        assert m, (line, tail)
        assert abs(int(m.group(1)) - now) < 60
    # Nothing else was fed (the monitor does not see its own MONITOR).
    with pytest.raises(socket.timeout):
        mon.read_reply(timeout=0.3)


# --------------------------------------------------------------------------
# SLOWLOG
# --------------------------------------------------------------------------

def test_slowlog(server):
    c = server.raw()
    assert c.command("CONFIG", "SET", "slowlog-log-slower-than", "0") == b"OK"
    assert c.command("CLIENT", "SETNAME", "slowpoke") == b"OK"
    assert c.command("SLOWLOG", "RESET") == b"OK"
    assert c.command("SET", "a", "1") == b"OK"
    assert c.command("GET", "a") == b"1"
    entries = c.command("SLOWLOG", "GET", "2")
    assert isinstance(entries, list) and len(entries) == 2, entries
    laddr = "%s:%d" % c.sock.getsockname()
    now = time.time()
    for e, args in zip(entries, ([b"GET", b"a"], [b"SET", b"a", b"1"])):
        assert len(e) == 6, e
        eid, ts, dur, eargs, addr, name = e
        assert isinstance(eid, int) and isinstance(ts, int) and isinstance(dur, int)
        assert abs(ts - now) < 60 and dur >= 0
        assert eargs == args
        assert addr == laddr.encode()
        assert name == b"slowpoke"
    assert entries[0][0] == entries[1][0] + 1  # newest first, consecutive ids
    n = c.command("SLOWLOG", "LEN")
    assert isinstance(n, int) and n >= 3  # (RESET may be logged), SET, GET, SLOWLOG GET
    assert c.command("SLOWLOG", "RESET") == b"OK"
    assert c.command("CONFIG", "SET", "slowlog-log-slower-than", "-1") == b"OK"
    assert c.command("SLOWLOG", "RESET") == b"OK"
    assert c.command("SLOWLOG", "LEN") == 0
    assert c.command("SLOWLOG", "GET") == []
    # Long arguments are truncated the Redis way.
    assert c.command("CONFIG", "SET", "slowlog-log-slower-than", "0") == b"OK"
    assert c.command("SET", "long", "z" * 200) == b"OK"
    e = c.command("SLOWLOG", "GET", "1")[0]
    assert e[3] == [b"SET", b"long", b"z" * 128 + b"... (72 more bytes)"]


# --------------------------------------------------------------------------
# CLIENT
# --------------------------------------------------------------------------

def test_client_setname_getname_list(server):
    a, b = server.raw(), server.raw()
    assert a.command("CLIENT", "GETNAME") is None
    assert a.command("CLIENT", "SETNAME", "alpha") == b"OK"
    assert a.command("CLIENT", "GETNAME") == b"alpha"
    r = a.command("CLIENT", "SETNAME", "has space")
    assert r == th.RespError(b"ERR Client names cannot contain spaces, newlines or special "
                             b"characters.")
    assert b.command("SET", "x", "1") == b"OK"
    aid, bid = client_id(a), client_id(b)
    text = a.command("CLIENT", "LIST").decode()
    assert text.endswith("\n")
    lines = {}
    for line in text.strip("\n").split("\n"):
        pairs = [f.split("=", 1) for f in line.split(" ")]
        assert [p[0] for p in pairs] == CLIENT_FIELDS, line
        d = dict(pairs)
        lines[int(d["id"])] = d
    assert set(lines) == {aid, bid}
    la, lb = lines[aid], lines[bid]
    assert la["name"] == "alpha" and lb["name"] == ""
    assert la["addr"] == "%s:%d" % a.sock.getsockname()
    assert la["laddr"] == f"{HOST}:{server.port}"
    assert la["flags"] == "N" and la["db"] == "0" and la["user"] == "default"
    assert la["resp"] == "2" and la["redir"] == "-1" and la["multi"] == "-1"
    assert int(la["fd"]) > 0 and int(la["age"]) >= 0 and int(la["idle"]) >= 0
    # CLIENT LIST TYPE normal has the same clients; other types are empty.
    t = a.command("CLIENT", "LIST", "TYPE", "normal").decode()
    assert {int(re.match(r"id=(\d+) ", l).group(1)) for l in t.splitlines()} == {aid, bid}
    assert a.command("CLIENT", "LIST", "TYPE", "pubsub") == b""
    assert a.command("CLIENT", "LIST", "TYPE", "replica") == b""
    assert a.command("CLIENT", "LIST", "TYPE", "bogus") == th.RespError(
        b"ERR Unknown client type 'bogus'")
    t = a.command("CLIENT", "LIST", "ID", str(bid)).decode()
    assert t.startswith(f"id={bid} ") and t.count("\n") == 1


def test_client_list_cmd_field(server):
    # cmd= is the command being executed for the caller, the last one for others.
    a, b = server.raw(), server.raw()
    assert b.command("SET", "x", "1") == b"OK"
    aid, bid = client_id(a), client_id(b)
    fields = {}
    for line in a.command("CLIENT", "LIST").decode().splitlines():
        d = dict(f.split("=", 1) for f in line.split(" "))
        fields[int(d["id"])] = d
    assert fields[aid]["cmd"] == "client|list"
    assert fields[bid]["cmd"] == "client|id"
    assert re.search(r" cmd=client\|info ", a.command("CLIENT", "INFO").decode())
    assert b.command("GET", "x") == b"1"
    line = a.command("CLIENT", "LIST", "ID", str(bid)).decode()
    assert " cmd=get " in line, line


def test_client_kill_id(server):
    admin = server.raw()
    v1 = server.raw()
    v1id = client_id(v1)
    assert admin.command("CLIENT", "KILL", "ID", str(v1id)) == 1
    assert v1.read_until_close(timeout=3) == b""
    assert v1id not in client_ids(admin)
    assert admin.command("CLIENT", "KILL", "ID", str(v1id)) == 0


def test_client_kill_addr_old_and_new_form(server):
    admin = server.raw()
    # Old form: CLIENT KILL addr:port -> +OK
    v2 = server.raw()
    v2.command("PING")
    admin.send_command("CLIENT", "KILL", "%s:%d" % v2.sock.getsockname())
    assert admin.read_reply() == b"+OK\r\n"
    assert v2.read_until_close(timeout=3) == b""
    admin.send_command("CLIENT", "KILL", "1.2.3.4:5")
    assert admin.read_reply() == b"-ERR No such client\r\n"
    # New form with ADDR returns the count.
    v3 = server.raw()
    v3.command("PING")
    assert admin.command("CLIENT", "KILL", "ADDR", "%s:%d" % v3.sock.getsockname()) == 1
    assert v3.read_until_close(timeout=3) == b""
    # SKIPME yes (the default): killing our own address kills nobody.
    own = "%s:%d" % admin.sock.getsockname()
    assert admin.command("CLIENT", "KILL", "ADDR", own) == 0
    assert admin.command("PING") == b"PONG"


def test_client_pause_write_and_unpause(server):
    admin, w, r = server.raw(), server.raw(), server.raw()
    assert w.command("SET", "k", "old") == b"OK"
    assert admin.command("CLIENT", "PAUSE", "500", "WRITE") == b"OK"
    t0 = time.monotonic()
    r.send_command("GET", "k")
    assert r.read_reply(timeout=2) == b"$3\r\nold\r\n"
    t_get = time.monotonic() - t0
    w.send_command("SET", "k", "new")
    assert w.read_reply(timeout=5) == b"+OK\r\n"
    t_set = time.monotonic() - t0
    assert t_get < 0.25, t_get
    assert 0.35 <= t_set < 2.0, t_set
    assert r.command("GET", "k") == b"new"
    # A long pause ended by CLIENT UNPAUSE.
    assert admin.command("CLIENT", "PAUSE", "20000", "WRITE") == b"OK"
    w.send_command("INCR", "n")
    with pytest.raises(socket.timeout):
        w.read_reply(timeout=0.3)
    t1 = time.monotonic()
    assert admin.command("CLIENT", "UNPAUSE") == b"OK"
    assert w.read_reply(timeout=3) == b":1\r\n"
    assert time.monotonic() - t1 < 1.0


def test_client_reply_and_no_evict(server):
    c = server.raw()
    c.send_raw(th.encode_command("CLIENT", "REPLY", "OFF") + th.encode_command("SET", "a", "1")
               + th.encode_command("CLIENT", "REPLY", "ON")
               + th.encode_command("CLIENT", "REPLY", "SKIP")
               + th.encode_command("SET", "b", "2") + th.encode_command("PING"))
    assert c.read_reply() == b"+OK\r\n"
    assert c.read_reply() == b"+PONG\r\n"
    with pytest.raises(socket.timeout):
        c.read_reply(timeout=0.2)
    assert c.command("MGET", "a", "b") == [b"1", b"2"]
    assert c.command("CLIENT", "NO-EVICT", "on") == b"OK"
    assert "e" in re.search(r" flags=(\S+) ", c.command("CLIENT", "INFO").decode()).group(1)
    assert c.command("CLIENT", "NO-EVICT", "off") == b"OK"
    assert c.command("CLIENT", "NO-EVICT", "maybe") == th.RespError(b"ERR syntax error")


# --------------------------------------------------------------------------
# CONFIG
# --------------------------------------------------------------------------

def test_config_set_multiple_is_atomic(server):
    c = server.raw()
    assert c.command("CONFIG", "SET", "maxmemory", "10mb", "hz", "20") == b"OK"
    assert c.command("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"10485760"]
    assert c.command("CONFIG", "GET", "hz") == [b"hz", b"20"]
    r = c.command("CONFIG", "SET", "maxmemory", "20mb", "hz", "abc", "timeout", "7")
    assert isinstance(r, th.RespError)
    assert r.message.startswith(b"ERR CONFIG SET failed (possibly related to argument 'hz')")
    assert c.command("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"10485760"]
    assert c.command("CONFIG", "GET", "hz") == [b"hz", b"20"]
    assert c.command("CONFIG", "GET", "timeout") == [b"timeout", b"0"]
    r = c.command("CONFIG", "SET", "maxmemory", "1mb", "maxmemory", "2mb")
    assert r == th.RespError(b"ERR CONFIG SET failed (possibly related to argument "
                             b"'maxmemory') - duplicate parameter")
    r = c.command("CONFIG", "SET", "hz", "11", "no-such-param", "1")
    assert r == th.RespError(b"ERR Unknown option or number of arguments for CONFIG SET - "
                             b"'no-such-param'")
    assert c.command("CONFIG", "GET", "hz") == [b"hz", b"20"]
    r = c.command("CONFIG", "SET", "hz")
    assert r == th.RespError(b"ERR wrong number of arguments for 'config|set' command")


def test_config_get_globs(server):
    c = server.raw()
    got = c.command("CONFIG", "GET", "maxmemory*")
    d = dict(zip(got[0::2], got[1::2]))
    assert set(d) == {b"maxmemory", b"maxmemory-policy", b"maxmemory-samples",
                      b"maxmemory-clients", b"maxmemory-eviction-tenacity"}
    assert d[b"maxmemory-policy"] == b"noeviction"
    got = c.command("CONFIG", "GET", "port", "h?")
    assert dict(zip(got[0::2], got[1::2])) == {b"port": str(server.port).encode(), b"hz": b"10"}
    got = c.command("CONFIG", "GET", "*")
    d = dict(zip(got[0::2], got[1::2]))
    assert len(d) > 150
    for k in (b"port", b"bind", b"save", b"appendonly", b"dir", b"maxclients", b"timeout",
              b"requirepass", b"slowlog-log-slower-than", b"client-output-buffer-limit"):
        assert k in d, k
    assert c.command("CONFIG", "GET", "nothing-matches-this*") == []
    got = c.command("CONFIG", "GET", "*-max-*-entries")
    keys = set(got[0::2])
    assert b"hash-max-listpack-entries" in keys and b"set-max-intset-entries" in keys
    assert all(re.fullmatch(rb".*-max-.*-entries", k) for k in keys)


def test_config_rewrite_keeps_comments_and_persists(binary, tmp_path):
    port = th.free_port()
    d = tmp_path / "rw"
    d.mkdir()
    conf = d / "redis.conf"
    original = [
        "# tandem config-rewrite test",
        "# a comment that must survive",
        f"port {port}",
        "bind 127.0.0.1",
        "",
        "# hz comment",
        "hz 10",
        "save \"\"",
        "appendonly no",
        f"dir {d}",
        "# trailing comment",
        "maxmemory-policy noeviction",
    ]
    conf.write_text("\n".join(original) + "\n")
    proc = th.start_server(binary, [str(conf)], cwd=str(d), logfile=str(d / "log"), port=port)
    try:
        with th.RawConn(HOST, port) as c:
            assert c.command("CONFIG", "SET", "hz", "33") == b"OK"
            assert c.command("CONFIG", "SET", "maxmemory-policy", "allkeys-lru") == b"OK"
            assert c.command("CONFIG", "SET", "slowlog-max-len", "77") == b"OK"
            assert c.command("CONFIG", "REWRITE") == b"OK"
    finally:
        assert proc.stop() == 0
    lines = conf.read_text().split("\n")
    comments = [l for l in lines if l.startswith("#")]
    assert comments[:4] == ["# tandem config-rewrite test", "# a comment that must survive",
                            "# hz comment", "# trailing comment"], lines
    # Changed values are rewritten in place, in the original order.
    idx = {k: next(i for i, l in enumerate(lines) if l.startswith(k + " "))
           for k in ("port", "hz", "dir", "maxmemory-policy")}
    assert lines[idx["hz"]] == "hz 33"
    assert lines[idx["hz"] - 1] == "# hz comment"
    assert lines[idx["maxmemory-policy"]] == "maxmemory-policy allkeys-lru"
    assert idx["port"] < idx["hz"] < idx["dir"] < idx["maxmemory-policy"]
    assert lines[idx["port"]] == f"port {port}"
    # New non-default values are appended after the marker.
    assert "# Generated by CONFIG REWRITE" in lines
    marker = lines.index("# Generated by CONFIG REWRITE")
    assert "slowlog-max-len 77" in lines[marker:]
    assert marker > idx["maxmemory-policy"]
    # Restart with that file: the values are there.
    proc = th.start_server(binary, [str(conf)], cwd=str(d), logfile=str(d / "log2"), port=port)
    try:
        with th.RawConn(HOST, port) as c:
            assert c.command("CONFIG", "GET", "hz") == [b"hz", b"33"]
            assert c.command("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy",
                                                                     b"allkeys-lru"]
            assert c.command("CONFIG", "GET", "slowlog-max-len") == [b"slowlog-max-len", b"77"]
    finally:
        proc.stop()


def test_config_rewrite_without_config_file(server):
    c = server.raw()
    assert c.command("CONFIG", "REWRITE") == th.RespError(
        b"ERR The server is running without a config file")


def test_config_resetstat(server):
    c = server.raw()
    for i in range(50):
        c.command("SET", f"k{i}", i)
    c.command("GET", "k1")
    c.command("GET", "missing")
    c.command("NOSUCHCMD")
    _, s = info(c, "stats")
    assert int(s["total_commands_processed"]) >= 52
    assert int(s["keyspace_hits"]) >= 1 and int(s["keyspace_misses"]) >= 1
    assert int(s["total_error_replies"]) >= 1
    assert c.command("CONFIG", "RESETSTAT") == b"OK"
    _, s = info(c, "stats")
    assert int(s["total_commands_processed"]) <= 2
    assert s["keyspace_hits"] == "0" and s["keyspace_misses"] == "0"
    assert s["total_error_replies"] == "0" and s["rejected_connections"] == "0"
    text, _ = info(c, "commandstats")
    assert "cmdstat_set:" not in text and "cmdstat_get:" not in text
    text, _ = info(c, "errorstats")
    assert "errorstat_ERR" not in text


# --------------------------------------------------------------------------
# INFO
# --------------------------------------------------------------------------

DEFAULT_SECTIONS = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
                    "Modules", "Errorstats", "Cluster", "Keyspace"]


def test_info_sections_and_key_fields(server):
    c = server.raw()
    # The start-up PING connection may still be in the middle of closing.
    th.wait_for(lambda: info(c, "clients")[1]["connected_clients"] == "1", timeout=5,
                message="connected_clients:1")
    text, f = info(c)
    headers = re.findall(r"^# (\w+)$", text.replace("\r\n", "\n"), re.M)
    assert headers == DEFAULT_SECTIONS
    assert f["redis_version"] == "7.0.15"
    assert re.fullmatch(r"[0-9a-f]{40}", f["run_id"]), f["run_id"]
    assert f["tcp_port"] == str(server.port)
    assert f["role"] == "master"
    assert f["connected_clients"] == "1"
    assert f["redis_mode"] == "standalone"
    assert int(f["process_id"]) == server.proc.pid
    assert re.fullmatch(r"[0-9a-f]{40}", f["master_replid"]), f["master_replid"]
    assert f["connected_slaves"] == "0" and f["master_repl_offset"] == "0"
    assert f["loading"] == "0" and f["cluster_enabled"] == "0"
    for k in ("uptime_in_seconds", "used_memory", "used_memory_human", "maxmemory",
              "rdb_changes_since_last_save", "aof_enabled", "total_connections_received",
              "instantaneous_ops_per_sec", "master_replid2", "used_cpu_sys", "blocked_clients",
              "mem_fragmentation_ratio", "expired_keys", "evicted_keys", "pubsub_channels"):
        assert k in f, k
    used0 = int(f["used_memory"])
    assert used0 > 0
    # A section by name, case-insensitively, and several sections at once.
    t, _ = info(c, "SERVER")
    assert t.startswith("# Server\r\n") and "# Clients" not in t
    reply = c.command("INFO", "server", "clients")
    assert re.findall(rb"^# (\w+)\r$", reply, re.M) == [b"Server", b"Clients"]
    # Keyspace line.
    c.send_raw(b"".join(th.encode_command("MSET", *sum(([f"big:{i}:{j}", b"v" * 1024]
                                                        for j in range(100)), []))
                        for i in range(100)))
    assert c.read_replies(100, timeout=30) == [b"+OK\r\n"] * 100
    assert c.command("SET", "ttl1", "x", "EX", "1000") == b"OK"
    assert c.command("SET", "ttl2", "x", "EX", "2000") == b"OK"
    _, f = info(c, "keyspace")
    m = re.fullmatch(r"keys=(\d+),expires=(\d+),avg_ttl=(\d+)", f["db0"])
    assert m, f["db0"]
    assert int(m.group(1)) == 10_002 and int(m.group(2)) == 2
    # avg_ttl is an estimate maintained by the active expire cycle.
    ttl = th.wait_for(lambda: int(re.search(r"avg_ttl=(\d+)", info(c, "keyspace")[1]["db0"])
                                  .group(1)), timeout=5, message="avg_ttl > 0")
    assert 0 < ttl <= 2_000_000
    _, f = info(c, "memory")
    assert int(f["used_memory"]) > used0 + 10_000 * 1024, (used0, f["used_memory"])


def test_info_everything_and_all(server):
    c = server.raw()
    assert c.command("SET", "k", "v") == b"OK"
    everything = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
                  "Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"]
    text, f = info(c, "everything")
    assert re.findall(r"^# (\w+)$", text.replace("\r\n", "\n"), re.M) == everything
    assert f["cmdstat_set"].startswith("calls=1,")
    assert re.fullmatch(r"p50=[\d.]+,p99=[\d.]+,p99\.9=[\d.]+", f["latency_percentiles_usec_set"])
    text, _ = info(c, "all")
    assert re.findall(r"^# (\w+)$", text.replace("\r\n", "\n"), re.M) == everything


def test_info_commandstats_and_errorstats(server):
    c = server.raw()
    for i in range(7):
        assert c.command("SET", f"s{i}", "v") == b"OK"
    assert c.command("SET", "notint", "abc") == b"OK"
    assert isinstance(c.command("INCR", "notint"), th.RespError)
    assert isinstance(c.command("NOSUCHCMD", "x"), th.RespError)
    assert isinstance(c.command("GET"), th.RespError)  # wrong arity
    text, f = info(c, "commandstats")
    assert text.startswith("# Commandstats\r\n")
    m = re.fullmatch(r"calls=(\d+),usec=(\d+),usec_per_call=([\d.]+),rejected_calls=(\d+),"
                     r"failed_calls=(\d+)", f["cmdstat_set"])
    assert m, f["cmdstat_set"]
    assert int(m.group(1)) == 8 and m.group(4) == "0" and m.group(5) == "0"
    m = re.fullmatch(r"calls=(\d+),.*,rejected_calls=(\d+),failed_calls=(\d+)", f["cmdstat_incr"])
    assert m and m.group(1) == "1" and m.group(3) == "1", f["cmdstat_incr"]
    m = re.fullmatch(r"calls=(\d+),.*,rejected_calls=(\d+),failed_calls=(\d+)", f["cmdstat_get"])
    assert m and m.group(1) == "0" and m.group(2) == "1", f["cmdstat_get"]
    text, f = info(c, "errorstats")
    assert text.startswith("# Errorstats\r\n")
    assert f["errorstat_ERR"] == "count=3"
    _, f = info(c, "stats")
    assert f["total_error_replies"] == "3"


# --------------------------------------------------------------------------
# expiry
# --------------------------------------------------------------------------

def test_active_expiry_removes_untouched_keys(server):
    c = server.raw()
    c.send_raw(b"".join(th.encode_command("SET", f"e:{i}", "v", "PX", "100") for i in range(1000)))
    assert c.read_replies(1000, timeout=20) == [b"+OK\r\n"] * 1000
    assert c.command("DBSIZE") == 1000
    th.wait_for(lambda: c.command("DBSIZE") == 0, timeout=10, interval=0.1,
                message="DBSIZE to reach 0 by active expiry")
    _, f = info(c, "stats")
    assert int(f["expired_keys"]) == 1000


def test_debug_set_active_expire_requires_enable_debug(spawn):
    plain = spawn()
    with plain.raw() as c:
        c.send_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        assert c.read_reply() == DEBUG_NOT_ALLOWED
    dbg = spawn("--enable-debug-command", "yes")
    with dbg.raw() as c:
        assert c.command("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"OK"
        assert c.command("SET", "lazy", "v", "PX", "100") == b"OK"
        assert c.command("SET", "lazy2", "v", "PX", "100") == b"OK"
        time.sleep(0.5)
        assert c.command("DBSIZE") == 2  # nothing expired actively
        assert c.command("GET", "lazy") is None  # lazy expiry on access
        assert c.command("DBSIZE") == 1
        assert c.command("EXISTS", "lazy2") == 0
        assert c.command("DBSIZE") == 0
        _, f = info(c, "stats")
        assert f["expired_keys"] == "2"
        assert c.command("DEBUG", "SET-ACTIVE-EXPIRE", "1") == b"OK"


def test_lazy_expiry_on_get(server):
    c = server.raw()
    assert c.command("SET", "k", "v", "PX", "50") == b"OK"
    assert c.command("GET", "k") == b"v"
    time.sleep(0.15)
    assert c.command("GET", "k") is None
    assert c.command("TTL", "k") == -2


# --------------------------------------------------------------------------
# DEBUG
# --------------------------------------------------------------------------

def test_debug_populate_sleep_object(dserver):
    c = dserver.raw()
    assert c.command("DEBUG", "POPULATE", "100") == b"OK"
    assert c.command("DBSIZE") == 100
    assert c.command("GET", "key:0") == b"value:0"
    assert c.command("GET", "key:99") == b"value:99"
    assert c.command("DEBUG", "POPULATE", "10", "pfx", "20") == b"OK"
    assert c.command("DBSIZE") == 110
    v = c.command("GET", "pfx:3")
    assert len(v) == 20 and v.startswith(b"value:3")
    # Existing keys are not overwritten.
    assert c.command("SET", "key:5", "mine") == b"OK"
    assert c.command("DEBUG", "POPULATE", "100") == b"OK"
    assert c.command("GET", "key:5") == b"mine"
    t0 = time.monotonic()
    assert c.command("DEBUG", "SLEEP", "0") == b"OK"
    assert time.monotonic() - t0 < 0.5
    t0 = time.monotonic()
    assert c.command("DEBUG", "SLEEP", "0.2") == b"OK"
    assert 0.18 <= time.monotonic() - t0 < 2
    # The command's duration, as commandstats counts it (tandem: from the TSC where the kernel
    # keeps time with it, server/clock.h).
    stats = c.command("INFO", "commandstats")
    m = re.search(rb"cmdstat_debug:calls=\d+,usec=(\d+),", stats)
    assert m and 190000 <= int(m.group(1)) < 2000000, stats
    r = c.command("DEBUG", "OBJECT", "key:0")
    assert re.fullmatch(rb"Value at:0x[0-9a-f]+ refcount:\d+ encoding:embstr serializedlength:\d+ "
                        rb"lru:\d+ lru_seconds_idle:\d+", r), r
    assert c.command("SET", "num", "12345") == b"OK"
    r = c.command("DEBUG", "OBJECT", "num")
    assert b" encoding:int " in r, r
    assert c.command("SET", "long", "x" * 100) == b"OK"
    assert b" encoding:raw " in c.command("DEBUG", "OBJECT", "long")
    assert c.command("DEBUG", "OBJECT", "nokey") == th.RespError(b"ERR no such key")
    assert c.command("OBJECT", "ENCODING", "num") == b"int"


# --------------------------------------------------------------------------
# SCAN
# --------------------------------------------------------------------------

def _scan_all(c, *opts, between=None, max_calls=5000):
    seen, cursor, calls = [], b"0", 0
    while True:
        cursor, keys = c.command("SCAN", cursor, *opts)
        seen.extend(keys)
        calls += 1
        assert calls < max_calls, "SCAN did not terminate"
        if cursor == b"0":
            return seen, calls
        if between:
            between(calls)


def test_scan_full_iteration(server):
    c = server.raw()
    keys = {f"s:{i}".encode() for i in range(10_000)}
    batch = sorted(keys)
    c.send_raw(b"".join(th.encode_command("MSET", *sum(([k, b"1"] for k in batch[i:i + 500]), []))
                        for i in range(0, len(batch), 500)))
    assert c.read_replies(20, timeout=20) == [b"+OK\r\n"] * 20
    seen, calls = _scan_all(c, "COUNT", "100")
    assert set(seen) == keys
    assert calls >= 50  # ~100 keys per call
    # While another connection adds keys between calls: every original key still comes back.
    other = server.raw()

    def add(n):
        other.send_raw(b"".join(th.encode_command("SET", f"new:{n}:{j}", "1") for j in range(20)))
        assert other.read_replies(20, timeout=10) == [b"+OK\r\n"] * 20

    seen, _ = _scan_all(c, "COUNT", "100", between=add)
    assert keys <= set(seen)
    assert set(seen) - keys <= {k for k in set(seen) if k.startswith(b"new:")}


def test_scan_match_and_type_string(server):
    c = server.raw()
    c.send_raw(b"".join(th.encode_command("SET", f"user:{i}", i) for i in range(300))
               + b"".join(th.encode_command("SET", f"item:{i}", i) for i in range(300)))
    assert c.read_replies(600, timeout=10) == [b"+OK\r\n"] * 600
    seen, _ = _scan_all(c, "MATCH", "user:1*", "COUNT", "50")
    expect = {f"user:{i}".encode() for i in range(300) if str(i).startswith("1")}
    assert set(seen) == expect
    seen, _ = _scan_all(c, "MATCH", "user:*", "TYPE", "string", "COUNT", "100")
    assert set(seen) == {f"user:{i}".encode() for i in range(300)}
    seen, _ = _scan_all(c, "TYPE", "STRING", "COUNT", "1000")
    assert len(set(seen)) == 600
    seen, _ = _scan_all(c, "TYPE", "list")
    assert seen == []
    seen, _ = _scan_all(c, "MATCH", "nomatch:*", "COUNT", "1000")
    assert seen == []
    assert c.command("SCAN", "abc") == th.RespError(b"ERR invalid cursor")
    assert c.command("SCAN", "0", "COUNT", "0") == th.RespError(b"ERR syntax error")


def test_scan_type_filters_other_types(server):
    # Needs a non-string type (a list) to prove TYPE really filters. Lists arrive with the
    # data-model issue (#3): until the server has RPUSH, this runs on stock Redis only.
    c = server.raw()
    if c.command("COMMAND", "INFO", "rpush") == [None]:
        pytest.skip("server has no lists yet (issue #3)")
    for i in range(50):
        assert c.command("SET", f"str:{i}", i) == b"OK"
    assert c.command("RPUSH", "lst", "a") == 1
    seen, _ = _scan_all(c, "TYPE", "list")
    assert set(seen) == {b"lst"}
    seen, _ = _scan_all(c, "TYPE", "string")
    assert set(seen) == {f"str:{i}".encode() for i in range(50)}


# --------------------------------------------------------------------------
# pipelining / redis-benchmark
# --------------------------------------------------------------------------

def test_pipeline_10000_incr_in_one_write(server):
    c = server.raw(timeout=30)
    c.send_raw(th.encode_command("INCR", "ctr") * 10_000)
    replies = c.read_replies(10_000, timeout=30)
    assert replies == [b":%d\r\n" % i for i in range(1, 10_001)]
    with pytest.raises(socket.timeout):
        c.read_reply(timeout=0.2)
    assert c.command("GET", "ctr") == b"10000"


def test_redis_benchmark_smoke(server):
    if not os.access(REDIS_BENCHMARK, os.X_OK):
        pytest.skip("redis-benchmark not installed")
    p = subprocess.run([REDIS_BENCHMARK, "-h", HOST, "-p", str(server.port), "-n", "2000",
                        "-c", "10", "-t", "set,get,incr,mset", "-q"],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p
    out = p.stdout.decode().replace("\r", "\n")
    for name in ("SET", "GET", "INCR", r"MSET \(10 keys\)"):
        assert re.search(r"^%s: [\d.]+ requests per second" % name, out, re.M), out
    assert server.client().get("counter:__rand_int__") is not None


# --------------------------------------------------------------------------
# big values / proto-max-bulk-len
# --------------------------------------------------------------------------

def test_big_value_roundtrip(server):
    r = server.client(socket_timeout=30)
    value = os.urandom(10 * 1024 * 1024)
    assert r.set("big", value) is True
    assert r.strlen("big") == len(value)
    assert r.get("big") == value
    assert r.getrange("big", 5_000_000, 5_000_009) == value[5_000_000:5_000_010]


def test_proto_max_bulk_len(server):
    admin = server.raw()
    assert admin.command("CONFIG", "SET", "proto-max-bulk-len", "1mb") == b"OK"
    assert admin.command("CONFIG", "GET", "proto-max-bulk-len") == [b"proto-max-bulk-len",
                                                                   b"1048576"]
    bystander = server.raw()
    bystander.command("PING")
    c = server.raw()
    # The header alone is rejected: the server answers before any payload byte.
    c.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % (2 * 1024 * 1024))
    try:
        got = c.read_until_close(timeout=5)
    except ConnectionResetError:
        got = c.buf
    assert got == b"-ERR Protocol error: invalid bulk length\r\n"
    # Only that connection was closed; a 1 MB bulk is still fine.
    assert bystander.command("EXISTS", "k") == 0
    assert bystander.command("SET", "k1m", b"q" * (1024 * 1024)) == b"OK"
    assert bystander.command("STRLEN", "k1m") == 1024 * 1024
    assert_alive(server)
