"""Process-level behaviour: daemonize + pidfile + logfile, systemd notification,
signals and SHUTDOWN, config include / quoting / units, config from stdin, and a
port that is already in use.

Every test runs against stock Redis 7.0.15 ("stock") AND tandem ("tandem", skipped if
TANDEM_SERVER is unset). Servers bind only to 127.0.0.1; every wait is bounded; only
PIDs these tests started are signalled (a daemon's PID is checked against the pid file
and INFO process_id before it is signalled).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

import tandem_harness as th

HOST = th.HOST
LOG_LINE = re.compile(r"^\d+:[CMSX] \d\d \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3} [.\-*#] ")
MASTER_LOG_LINE = r"^%d:M \d\d \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3} [.\-*#] "
# Redis logs from its signal handler with this async-signal-safe format.
SIGNAL_LOG_LINE = re.compile(r"^\d+:signal-handler \(\d+\) ")


def _wait_executable(path, timeout=60.0):
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
def short_dir(tmp_path):
    """A directory short enough for unix socket paths (sun_path is 108 bytes)."""
    if len(str(tmp_path)) < 70:
        yield tmp_path
        return
    d = tempfile.mkdtemp(prefix="tdp")
    try:
        yield type(tmp_path)(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def pid_gone(pid):
    """True if pid does not exist any more or is a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True


def is_our_server(pid, binary):
    """pid runs `binary` (checked before signalling a daemon we did not fork directly)."""
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return False
    return os.path.realpath(exe) == os.path.realpath(binary)


def info_field(port, name):
    with th.RawConn(HOST, port, timeout=5) as c:
        text = c.command("INFO").decode()
    m = re.search(r"^%s:(.*)\r$" % re.escape(name), text, re.M)
    return m.group(1) if m else None


def check_log_format(text, pid):
    lines = [l for l in text.split("\n") if l.strip()]
    assert lines, "empty log"
    for l in lines:
        assert LOG_LINE.match(l) or SIGNAL_LOG_LINE.match(l), f"bad log line: {l!r}"
    ready = [l for l in lines if "Ready to accept connections" in l]
    assert ready, text[-3000:]
    assert re.match(MASTER_LOG_LINE % pid, ready[0]), ready[0]
    assert ready[0].endswith("Ready to accept connections"), ready[0]


# --------------------------------------------------------------------------
# daemonize
# --------------------------------------------------------------------------

def test_daemonize_pidfile_logfile(binary, tmp_path):
    port = th.free_port()
    pidfile, logfile = tmp_path / "srv.pid", tmp_path / "srv.log"
    argv = [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
            "--dir", str(tmp_path), "--daemonize", "yes", "--pidfile", str(pidfile),
            "--logfile", str(logfile)]
    launcher = subprocess.run(argv, cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=10)
    assert launcher.returncode == 0, launcher
    assert launcher.stdout == b"", launcher.stdout  # everything goes to the log file
    pid = None
    try:
        th.wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), timeout=10,
                    message="pid file")
        text = pidfile.read_text()
        assert re.fullmatch(r"\d+\n", text), repr(text)
        pid = int(text)
        th.wait_for(lambda: th.ping_raw(port), timeout=10, message="daemon to answer PING")
        assert info_field(port, "process_id") == str(pid)
        assert is_our_server(pid, binary)
        # The daemon is detached from the launcher's session.
        assert os.getsid(pid) == pid
        os.kill(pid, signal.SIGTERM)
        th.wait_for(lambda: pid_gone(pid), timeout=10, message="daemon to exit after SIGTERM")
        th.wait_for(lambda: not pidfile.exists(), timeout=5, message="pid file removal")
        assert not th.ping_raw(port)
        log = logfile.read_text()
        check_log_format(log, pid)
        assert "Removing the pid file." in log
        assert re.search(r"Received SIGTERM scheduling shutdown", log), log[-2000:]
        assert log.rstrip("\n").endswith("ready to exit, bye bye...")
    finally:
        if pid and not pid_gone(pid) and is_our_server(pid, binary):
            os.kill(pid, signal.SIGKILL)


# --------------------------------------------------------------------------
# systemd notification
# --------------------------------------------------------------------------

def _recv_all(sock, deadline, stop=None):
    msgs = []
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, min(0.2, deadline - time.monotonic())))
        try:
            msgs.append(sock.recv(4096))
        except socket.timeout:
            pass
        if stop and stop(msgs):
            break
    return msgs


def _start_with_notify_socket(binary, args, short_dir, monkeypatch):
    """Starts `binary` with NOTIFY_SOCKET naming a fresh datagram socket; returns (sock, proc)."""
    path = str(short_dir / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    try:
        proc = th.start_server(binary, args, cwd=str(short_dir), logfile=str(short_dir / "log"))
    except BaseException:
        sock.close()
        raise
    finally:
        monkeypatch.delenv("NOTIFY_SOCKET")
    return sock, proc


def test_supervised_systemd_notify(binary, short_dir, monkeypatch):
    port = th.free_port()
    sock, proc = _start_with_notify_socket(
        binary, ["--port", port, "--bind", HOST, "--save", "", "--appendonly", "no",
                 "--dir", str(short_dir), "--supervised", "systemd"], short_dir, monkeypatch)
    try:
        with th.RawConn(HOST, port) as c:
            assert c.command("CONFIG", "GET", "supervised") == [b"supervised", b"systemd"]
        _check_notify_protocol(sock, proc)
    finally:
        proc.stop()
        sock.close()


def _check_notify_protocol(sock, proc):
    """READY=1 and the ready STATUS, newline-terminated KEY=value messages; after SIGTERM the
    process exits 0 and sends nothing but STOPPING=1."""
    msgs = _recv_all(sock, time.monotonic() + 5, stop=lambda m: any(b"READY=1" in x for x in m))
    lines = [l for m in msgs for l in m.split(b"\n") if l]
    assert b"READY=1" in lines, msgs
    assert b"STATUS=Ready to accept connections" in lines, msgs
    assert all(re.fullmatch(rb"[A-Z_]+=.*", l) for l in lines), msgs
    for m in msgs:
        assert m.endswith(b"\n"), m
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.popen.wait(timeout=10) == 0
    after = _recv_all(sock, time.monotonic() + 0.5)
    for m in after:
        assert m == b"STOPPING=1\n", after


@pytest.fixture(params=["stock", "tandem"])
def sentinel_binary(request):
    if request.param == "stock":
        path = "/usr/bin/redis-sentinel"
        if not os.access(path, os.X_OK):
            pytest.skip(f"{path} is not installed")
        return path
    path = os.environ.get("TANDEM_SENTINEL", "").strip()
    if not path:  # tandem-sentinel is optional in the build (TANDEM_WITH_SENTINEL)
        pytest.skip("TANDEM_SENTINEL is not set (tandem-sentinel not built)")
    _wait_executable(path)
    return path


def test_sentinel_supervised_systemd_notify(sentinel_binary, short_dir, monkeypatch):
    """The units of `tandem-deploy render` are Type=notify for the Sentinel too."""
    port = th.free_port()
    conf = short_dir / "sentinel.conf"  # Sentinel needs a writable config file
    conf.write_text(f"port {port}\nbind {HOST}\nsupervised systemd\n"
                    f"sentinel monitor m {HOST} {th.unused_port()} 2\n")
    sock, proc = _start_with_notify_socket(sentinel_binary, [conf, "--port", port, "--bind", HOST],
                                           short_dir, monkeypatch)
    try:
        with th.RawConn(HOST, port) as c:
            assert c.command("SENTINEL", "CONFIG", "GET", "resolve-hostnames") \
                == [b"resolve-hostnames", b"no"]
        _check_notify_protocol(sock, proc)
    finally:
        proc.stop()
        sock.close()


# --------------------------------------------------------------------------
# signals and SHUTDOWN
# --------------------------------------------------------------------------

def _start(binary, directory, *extra):
    port = th.free_port()
    os.makedirs(directory, exist_ok=True)
    args = th.standard_args(port, directory) + [str(a) for a in extra]
    return th.start_server(binary, args, cwd=str(directory),
                           logfile=os.path.join(str(directory), "server.log")), port


def test_sigint_graceful_shutdown(binary, tmp_path):
    proc, port = _start(binary, tmp_path / "s")
    with th.RawConn(HOST, port) as c:
        assert c.command("SET", "k", "v") == b"OK"
        os.kill(proc.pid, signal.SIGINT)
        assert c.read_until_close(timeout=10) == b""
    assert proc.popen.wait(timeout=10) == 0
    log = proc.log_text()
    assert "Received SIGINT scheduling shutdown" in log, log[-2000:]
    assert log.rstrip("\n").endswith("ready to exit, bye bye..."), log[-2000:]


def test_sigterm_exit_code(binary, tmp_path):
    proc, port = _start(binary, tmp_path / "s")
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.popen.wait(timeout=10) == 0
    assert "Received SIGTERM scheduling shutdown" in proc.log_text()
    assert not th.ping_raw(port)


def test_shutdown_nosave_and_abort(binary, tmp_path):
    proc, port = _start(binary, tmp_path / "s")
    try:
        with th.RawConn(HOST, port) as c:
            c.send_command("SHUTDOWN", "ABORT")
            assert c.read_reply() == b"-ERR No shutdown in progress.\r\n"
            c.send_command("SHUTDOWN", "BOGUS")
            assert c.read_reply() == b"-ERR syntax error\r\n"
            c.send_command("SHUTDOWN", "NOSAVE")
            # No reply: the server goes away and the client sees EOF.
            assert c.read_until_close(timeout=10) == b""
        assert proc.popen.wait(timeout=10) == 0
        assert not th.ping_raw(port)
        assert not os.path.exists(tmp_path / "s" / "dump.rdb")
        assert proc.log_text().rstrip("\n").endswith("ready to exit, bye bye...")
    finally:
        proc.stop()


# --------------------------------------------------------------------------
# config files
# --------------------------------------------------------------------------

def test_config_include_quoting_units(binary, tmp_path):
    d = tmp_path / "cfg"
    d.mkdir()
    port = th.free_port()
    (d / "other.conf").write_text(
        "# included file\n"
        "hz 12\n"
        "maxmemory-policy \"allkeys-lru\"\n"
        "proto-max-bulk-len 2MB\n")
    (d / "main.conf").write_text(
        "# main file\n"
        f"port {port}\n"
        "bind 127.0.0.1\n"
        "hz 11\n"
        "include other.conf\n"
        "maxmemory 1gb\n"
        "client-query-buffer-limit 2m\n"
        "dbfilename \"d\\x41b.rdb\"\n"
        "masterauth 'sec ret'\n"
        "save \"\"\n"
        "   appendonly   no   \n"
        f"dir '{d}'\n"
        "slowlog-max-len 16\n"
        "timeout 7\n")
    proc = th.start_server(binary, ["main.conf"], cwd=str(d), logfile=str(d / "log"), port=port)
    try:
        with th.RawConn(HOST, port) as c:
            def get(name):
                r = c.command("CONFIG", "GET", name)
                assert len(r) == 2 and r[0] == name.encode(), r
                return r[1]
            assert get("hz") == b"12"  # the include comes after "hz 11"
            assert get("maxmemory-policy") == b"allkeys-lru"
            assert get("proto-max-bulk-len") == b"2097152"
            assert get("maxmemory") == b"1073741824"
            assert get("client-query-buffer-limit") == b"2000000"
            assert get("dbfilename") == b"dAb.rdb"
            assert get("masterauth") == b"sec ret"
            assert get("appendonly") == b"no"
            assert get("dir") == str(d).encode()
            assert get("slowlog-max-len") == b"16"
            assert get("timeout") == b"7"
            assert get("save") == b""
            text = c.command("INFO", "server").decode()
            m = re.search(r"^config_file:(.*)\r$", text, re.M)
            assert m and m.group(1) == str(d / "main.conf"), m and m.group(1)
    finally:
        assert proc.stop() == 0


def test_config_include_missing_file_fails(binary, tmp_path):
    d = tmp_path / "cfg"
    d.mkdir()
    port = th.free_port()
    (d / "main.conf").write_text(f"port {port}\nbind 127.0.0.1\ninclude nope.conf\n")
    p = subprocess.run([binary, "main.conf"], cwd=str(d), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=10)
    assert p.returncode == 1, p
    out = (p.stdout + p.stderr).decode()
    assert re.search(r"Fatal error, can't open config file 'nope\.conf': No such file or "
                     r"directory$", out, re.M), out
    assert "Ready to accept connections" not in out


def test_config_from_stdin(binary, tmp_path):
    port = th.free_port()
    log = tmp_path / "stdin.log"
    with open(log, "wb") as out:
        popen = subprocess.Popen([binary, "-", "--hz", "17"], cwd=str(tmp_path),
                                 stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    proc = th.Proc(popen, port, str(log), [binary, "-"])
    try:
        popen.stdin.write(f"port {port}\nbind 127.0.0.1\nsave \"\"\nappendonly no\n"
                          f"dir {tmp_path}\n".encode())
        popen.stdin.close()
        th.wait_for(lambda: popen.poll() is not None or th.ping_raw(port), timeout=10,
                    message="server configured from stdin to answer PING")
        assert popen.poll() is None, proc.log_text()
        with th.RawConn(HOST, port) as c:
            assert c.command("CONFIG", "GET", "port") == [b"port", str(port).encode()]
            assert c.command("CONFIG", "GET", "hz") == [b"hz", b"17"]
            assert c.command("CONFIG", "GET", "bind") == [b"bind", b"127.0.0.1"]
            c.send_command("SHUTDOWN", "NOSAVE")
            assert c.read_until_close(timeout=10) == b""
        assert popen.wait(timeout=10) == 0
    finally:
        proc.stop()


def test_port_already_in_use(binary, tmp_path):
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        holder.bind((HOST, 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        p = subprocess.run([binary, "--port", str(port), "--bind", HOST, "--save", "",
                            "--appendonly", "no", "--dir", str(tmp_path)],
                           cwd=str(tmp_path), stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=10)
    finally:
        holder.close()
    assert p.returncode != 0, p
    out = (p.stdout + p.stderr).decode()
    line = next((l for l in out.splitlines() if f"{HOST}:{port}" in l), None)
    assert line is not None, out
    assert LOG_LINE.match(line), line
    assert re.search(r"Could not create server TCP listening socket %s:%d: bind: Address "
                     r"already in use$" % (re.escape(HOST), port), line), line
    assert re.search(r"# Failed listening on port %d \(TCP\), aborting\.$" % port, out, re.M), out
    assert "Ready to accept connections" not in out
