"""The client transport in both of tandem-server's modes: io_uring (the default where the
kernel allows it, resp/net/ring.h) and epoll (libuv alone, TANDEM_IO_URING=0).

Each case runs in both modes and asserts real replies: pipelines, values far larger than a
socket buffer and than the ring's 16 KB receive buffers, a client that stops reading, more
clients sending at once than the ring has receive buffers, CLIENT PAUSE with bytes arriving
meanwhile, QUIT, kills with replies pending, descriptor reuse, half-closed sockets and the Unix
socket. Under ASan, every server these tests stop is checked for sanitizer reports.
"""

import os
import platform
import socket
import threading
import time

import pytest

import tandem_harness as th
from conftest import require_tandem_binary

MODES = ["io_uring", "epoll"]


def io_uring_expected() -> bool:
    """Whether this machine should give tandem the ring: Linux 6.1 or later (DEFER_TASKRUN),
    io_uring not disabled by sysctl."""
    try:
        major, minor = (int(x) for x in platform.release().split(".")[:2])
    except ValueError:
        return False
    try:
        with open("/proc/sys/kernel/io_uring_disabled") as f:
            if f.read().strip() != "0":
                return False
    except FileNotFoundError:
        pass
    return (major, minor) >= (6, 1)


@pytest.fixture(params=MODES)
def server(request, tmp_path, monkeypatch):
    binary = require_tandem_binary()
    if request.param == "epoll":
        monkeypatch.setenv("TANDEM_IO_URING", "0")
    else:
        monkeypatch.delenv("TANDEM_IO_URING", raising=False)
    srv = th.launch(binary, str(tmp_path / request.param),
                    extra_args=["--unixsocket", str(tmp_path / f"{request.param}.sock")])
    srv.mode = request.param
    srv.sock_path = str(tmp_path / f"{request.param}.sock")
    try:
        info = srv.client().info("server")
        if request.param == "io_uring" and not io_uring_expected():
            pytest.skip("this kernel does not offer io_uring to tandem")
        assert info["multiplexing_api"] == request.param, srv.proc.log_text()
        yield srv
    finally:
        srv.stop()


def test_mode_is_logged(server):
    text = server.proc.log_text()
    if server.mode == "io_uring":
        assert "Client sockets use io_uring." in text
    else:
        assert "Client sockets use epoll (io_uring unavailable: TANDEM_IO_URING=0)." in text


def test_pipeline_of_ten_thousand_commands_in_one_write(server):
    c = server.raw()
    n = 10000
    c.send_raw(b"".join(th.encode_command("INCR", "counter") for _ in range(n)))
    replies = c.read_replies(n, timeout=30)
    assert replies == [b":%d\r\n" % i for i in range(1, n + 1)]
    assert c.command("GET", "counter") == b"10000"


def test_values_larger_than_socket_and_receive_buffers(server):
    c = server.client()
    for size in (16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 1 << 20, 24 << 20):
        value = os.urandom(size)
        assert c.set(f"v{size}", value)
        assert c.get(f"v{size}") == value
        assert c.strlen(f"v{size}") == size


def test_client_that_stops_reading_gets_every_byte_later(server):
    """Replies pile up beyond the socket buffer (the ring's send is partial, libuv writes the
    rest when the socket drains), then the client reads them all, in order."""
    c = server.client()
    value = os.urandom(1 << 20)
    c.set("big", value)
    raw = server.raw(timeout=30)
    raw.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    n = 40
    raw.send_raw(b"".join(th.encode_command("GET", "big") for _ in range(n)) +
                 th.encode_command("PING"))
    # Meanwhile the server keeps serving others.
    time.sleep(0.5)
    assert c.ping()
    assert c.incr("others") == 1
    frame = b"$%d\r\n" % len(value) + value + b"\r\n"
    replies = raw.read_replies(n + 1, timeout=60)
    assert all(r == frame for r in replies[:n])
    assert replies[n] == b"+PONG\r\n"


def test_more_clients_sending_at_once_than_receive_buffers(server):
    """100 clients each send a 256 KB pipeline at the same moment: far more than the ring's
    64 receive buffers of 16 KB, so receives end with ENOBUFS and are armed again."""
    value = b"x" * 1000
    per_client = 256
    clients = [server.raw(timeout=60) for _ in range(100)]
    payloads = [b"".join(th.encode_command("RPUSH", f"list{i}", value) for _ in range(per_client))
                for i in range(len(clients))]
    errors = []
    start = threading.Barrier(len(clients))

    def run(i):
        try:
            start.wait(timeout=30)
            clients[i].send_raw(payloads[i])
            replies = clients[i].read_replies(per_client, timeout=60)
            if replies != [b":%d\r\n" % k for k in range(1, per_client + 1)]:
                errors.append(f"client {i}: wrong replies")
        except Exception as e:  # noqa: BLE001
            errors.append(f"client {i}: {e!r}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:5]
    c = server.client()
    assert all(c.llen(f"list{i}") == per_client for i in range(len(clients)))


def test_client_pause_holds_bytes_that_arrive_meanwhile(server):
    admin = server.client()
    writer = server.raw()
    assert admin.execute_command("CLIENT", "PAUSE", "1500", "WRITE")
    writer.send_raw(th.encode_command("SET", "k", "during-pause") +
                    th.encode_command("GET", "k"))
    time.sleep(0.3)
    assert admin.get("k") is None  # not run while paused
    replies = writer.read_replies(2, timeout=10)
    assert replies == [b"+OK\r\n", b"$12\r\nduring-pause\r\n"]
    assert admin.get("k") == b"during-pause"


def test_quit_answers_and_ignores_what_follows(server):
    c = server.raw()
    c.send_raw(th.encode_command("SET", "a", "1") + th.encode_command("QUIT") +
               th.encode_command("SET", "a", "2"))
    assert c.read_until_close(timeout=10) == b"+OK\r\n+OK\r\n"
    assert server.client().get("a") == b"1"


def test_killed_client_with_replies_pending_does_not_disturb_others(server):
    """CLIENT KILL closes another client at once, dropping its pending replies, as Redis's
    freeClient does: a client that stopped reading cannot keep itself alive."""
    admin = server.client()
    admin.set("big", b"y" * (1 << 20))
    victims = []
    for i in range(5):
        v = server.raw(timeout=30)
        v.send_command("CLIENT", "SETNAME", f"victim{i}")
        assert v.read_reply() == b"+OK\r\n"
        v.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        v.send_raw(b"".join(th.encode_command("GET", "big") for _ in range(6)))
        victims.append(v)
    th.wait_for(lambda: admin.execute_command("CLIENT", "LIST").count(b"cmd=get") == 5,
                timeout=10, message="victims' GETs served")
    # The victims and the fixture's own idle connection.
    assert admin.execute_command("CLIENT", "KILL", "USER", "default", "SKIPME", "yes") >= 5
    th.wait_for(lambda: b"victim" not in admin.execute_command("CLIENT", "LIST"), timeout=10,
                message="killed clients gone")
    # (The victims' sockets still hold what the kernel had accepted; with a 4 KB receive window
    # draining it takes TCP's zero-window probes, so the test does not read it.)
    assert admin.info("clients")["connected_clients"] <= 2
    assert admin.ping()
    assert admin.get("big") == b"y" * (1 << 20)


def test_descriptor_reuse_never_crosses_replies(server):
    """Connections opened and closed in quick succession reuse descriptor numbers; each one
    must see only its own replies, also when a connection closes with replies queued."""
    for round_ in range(200):
        a = socket.create_connection((th.HOST, server.port), timeout=10)
        a.sendall(th.encode_command("ECHO", f"closing-{round_}") * 3)
        a.close()  # closes with its replies possibly queued
        b = th.RawConn(th.HOST, server.port, timeout=10)
        try:
            assert b.command("ECHO", f"mine-{round_}") == f"mine-{round_}".encode()
        finally:
            b.close()
    assert server.client().ping()


def test_half_closed_client(server):
    s = socket.create_connection((th.HOST, server.port), timeout=10)
    s.sendall(th.encode_command("SET", "hc", "1"))
    s.shutdown(socket.SHUT_WR)
    # Redis closes the connection at EOF; the command before it has run.
    th.wait_for(lambda: server.client().get("hc") == b"1", timeout=10, message="SET ran")
    s.settimeout(10)
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    assert data in (b"", b"+OK\r\n")
    s.close()
    assert server.client().ping()


def test_unix_socket(server):
    import redis
    c = redis.Redis(unix_socket_path=server.sock_path, socket_timeout=10)
    try:
        value = os.urandom(3 << 20)
        assert c.set("u", value)
        assert c.get("u") == value
        p = c.pipeline(transaction=False)
        for i in range(1000):
            p.incr("uc")
        assert p.execute()[-1] == 1000
    finally:
        c.close()


def kill_stalled_reader(srv):
    """A client that stopped reading with replies pending is killed: returns CLIENT KILL's
    answer and whether the server then still lists it."""
    admin = srv.client()
    admin.set("big", b"z" * (1 << 20))
    v = srv.raw(timeout=30)
    v.send_command("CLIENT", "SETNAME", "stalled")
    assert v.read_reply() == b"+OK\r\n"
    v.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    v.send_raw(b"".join(th.encode_command("GET", "big") for _ in range(6)))
    th.wait_for(lambda: b"name=stalled" in admin.execute_command("CLIENT", "LIST")
                and b"cmd=get" in admin.execute_command("CLIENT", "LIST"),
                timeout=10, message="stalled client's GETs served")
    ident = [line for line in admin.execute_command("CLIENT", "LIST").split(b"\n")
             if b"name=stalled" in line][0].split(b" ")[0].split(b"=")[1]
    answer = admin.execute_command("CLIENT", "KILL", "ID", ident)
    time.sleep(0.3)
    return answer, b"name=stalled" in admin.execute_command("CLIENT", "LIST")


def test_client_kill_of_a_stalled_reader_matches_stock(tandem, stock_redis):
    """Stock Redis frees a killed client at once, pending replies and all; so does tandem."""
    assert kill_stalled_reader(tandem) == kill_stalled_reader(stock_redis) == (1, False)

