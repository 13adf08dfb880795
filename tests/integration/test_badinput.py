"""Wire tests of malformed input, plus redis-cli and redis-py smoke tests.

Every test runs against stock Redis 7.0.15 (`stock_redis`) AND tandem (`tandem`,
skipped if TANDEM_SERVER is unset): the stock run proves the expectations, which
are the exact bytes Redis sends (including right before it closes a connection).
Dry-run everything against stock Redis with TANDEM_SERVER=/usr/bin/redis-server.
"""

import os
import socket
import subprocess
import threading
import time

import pytest

import tandem_harness as th

INVALID_MBULK = b"-ERR Protocol error: invalid multibulk length\r\n"
INVALID_BULK = b"-ERR Protocol error: invalid bulk length\r\n"
TOO_BIG_INLINE = b"-ERR Protocol error: too big inline request\r\n"
UNBALANCED = b"-ERR Protocol error: unbalanced quotes in request\r\n"
REDIS_CLI = os.environ.get("REDIS_CLI", "/usr/bin/redis-cli")


@pytest.fixture(params=["stock_redis", "tandem"])
def server(request):
    return request.getfixturevalue(request.param)


def assert_alive(srv, timeout=2.0):
    """Another, fresh connection is served promptly."""
    with srv.raw(timeout=timeout) as c:
        c.send_command("PING")
        assert c.read_reply() == b"+PONG\r\n"


def expect_error_then_close(srv, payload, expected, timeout=5.0):
    """Send payload; the server must send exactly `expected` and close."""
    with srv.raw(timeout=timeout) as c:
        c.send_raw(payload)
        got = c.read_until_close(timeout=timeout)
        assert got == expected
    assert_alive(srv)


def expect_open_no_reply(c, wait=0.3):
    with pytest.raises(socket.timeout):
        c.read_reply(timeout=wait)


# --------------------------------------------------------------------------
# multibulk header
# --------------------------------------------------------------------------

@pytest.mark.parametrize("count", [b"-1", b"0", b"-5"])
def test_nonpositive_multibulk_length_is_ignored(server, count):
    # Redis silently skips "*<=0" headers; the connection stays usable.
    with server.raw() as c:
        c.send_raw(b"*" + count + b"\r\n*1\r\n$4\r\nPING\r\n")
        assert c.read_reply() == b"+PONG\r\n"
        c.send_command("ECHO", "still-open")
        assert c.read_reply() == b"$10\r\nstill-open\r\n"


@pytest.mark.parametrize("header", [b"*abc\r\n", b"*1x\r\n", b"* 1\r\n", b"*\r\n",
                                    b"*2147483648\r\n", b"*99999999999999999999\r\n"])
def test_invalid_multibulk_length(server, header):
    expect_error_then_close(server, header, INVALID_MBULK)


def test_multibulk_count_limit(server):
    # Redis 7.0 accepts counts up to INT_MAX (2147483647): 1024*1024*1024+1 is
    # *accepted* (the server waits for the arguments, without preallocating them),
    # INT_MAX+1 is a protocol error (test_invalid_multibulk_length).
    for count in (b"1073741825", b"2147483647"):
        with server.raw() as c:
            c.send_raw(b"*" + count + b"\r\n")
            expect_open_no_reply(c)
            c.send_raw(b"$4\r\nPING\r\n")
            expect_open_no_reply(c)
        assert_alive(server)


def test_expected_dollar(server):
    expect_error_then_close(server, b"*1\r\nxyz\r\n",
                            b"-ERR Protocol error: expected '$', got 'x'\r\n")


# --------------------------------------------------------------------------
# bulk header
# --------------------------------------------------------------------------

@pytest.mark.parametrize("length", [b"abc", b"-1", b"-100", b"", b"1x", b"536870913",
                                    b"99999999999999999999"])
def test_invalid_bulk_length(server, length):
    expect_error_then_close(server, b"*1\r\n$" + length + b"\r\n", INVALID_BULK)


def test_bulk_length_at_proto_max_is_accepted(server):
    # 536870912 == proto-max-bulk-len: accepted, server waits for the data.
    with server.raw() as c:
        c.send_raw(b"*2\r\n$4\r\nECHO\r\n$536870912\r\n")
        expect_open_no_reply(c)
    assert_alive(server)


def test_error_after_valid_command_in_same_write(server):
    # The valid command's reply comes first, then the error, then the close.
    expect_error_then_close(server, b"*1\r\n$4\r\nPING\r\n*1\r\n$-5\r\n",
                            b"+PONG\r\n" + INVALID_BULK)


# --------------------------------------------------------------------------
# inline protocol
# --------------------------------------------------------------------------

def test_inline_basics(server):
    with server.raw() as c:
        c.send_raw(b"\r\n\r\nPING\r\n")       # empty lines are skipped
        assert c.read_reply() == b"+PONG\r\n"
        c.send_raw(b"PING\n")                 # LF alone terminates an inline command
        assert c.read_reply() == b"+PONG\r\n"
        c.send_raw(b'SET k "a b\\x41"\r\nGET k\r\n')
        assert c.read_replies(2) == [b"+OK\r\n", b"$4\r\na bA\r\n"]


def test_inline_too_big_without_newline(server):
    expect_error_then_close(server, b"a" * (64 * 1024 + 100), TOO_BIG_INLINE)


def test_inline_1mib_line(server):
    # Even with a terminating newline: the server gives up after 64 KiB.
    with server.raw(timeout=10) as c:
        try:
            c.send_raw(b"ECHO " + b"a" * (1 << 20) + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # server closed while we were still writing: fine
        got = c.read_until_close(timeout=10)
        assert got == TOO_BIG_INLINE
    assert_alive(server)


@pytest.mark.parametrize("line", [b'SET "a b\r\n', b"SET 'a b\r\n", b'SET "a"b c\r\n',
                                  b"ECHO 'x'y\r\n"])
def test_inline_unbalanced_quotes(server, line):
    expect_error_then_close(server, line, UNBALANCED)


# --------------------------------------------------------------------------
# pipelining, disconnects, slow readers
# --------------------------------------------------------------------------

def test_10000_pipelined_commands_in_one_write(server):
    n = 10000
    payload = th.encode_command("INCR", "counter") * n
    with server.raw(timeout=20) as c:
        errors = []

        def writer():
            try:
                c.send_raw(payload)  # one sendall of the whole pipeline
            except OSError as e:  # pragma: no cover - reported below
                errors.append(e)

        t = threading.Thread(target=writer, daemon=True)
        t.start()
        replies = c.read_replies(n, timeout=20)
        t.join(timeout=5)
        assert not errors
        assert replies == [b":%d\r\n" % i for i in range(1, n + 1)]
        c.send_command("GET", "counter")
        assert c.read_reply() == b"$5\r\n10000\r\n"


def test_unterminated_frame_then_close(server):
    with server.raw() as c:
        c.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nab")
        expect_open_no_reply(c, wait=0.2)
    # the half command was never executed
    with server.raw() as c:
        assert c.command("EXISTS", "k") == 0


def test_disconnect_mid_command_others_still_served(server):
    other = server.raw()
    other.send_command("SET", "before", "1")
    assert other.read_reply() == b"+OK\r\n"
    for i in range(20):
        with server.raw() as c:
            c.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\n" + b"x" * (i * 3))
    other.send_command("GET", "before")
    assert other.read_reply() == b"$1\r\n1\r\n"
    other.send_command("EXISTS", "k")
    assert other.read_reply() == b":0\r\n"
    other.close()
    assert_alive(server)


def test_client_that_never_reads(server):
    big = b"v" * (1 << 20)
    with server.raw() as setup:
        setup.send_command("SET", "big", big)
        assert setup.read_reply() == b"+OK\r\n"
    hog = server.raw()
    try:
        # ~30 MiB of replies plus 100k PINGs, never read.
        hog.send_raw(th.encode_command("GET", "big") * 30)
        hog.sock.setblocking(False)
        sent, pings = 0, th.encode_command("PING") * 1000
        deadline = time.monotonic() + 3
        while sent < 100 and time.monotonic() < deadline:
            try:
                hog.sock.send(pings)
                sent += 1
            except BlockingIOError:
                time.sleep(0.01)
        # others are still served, promptly
        for _ in range(5):
            t0 = time.monotonic()
            with server.raw(timeout=2) as c:
                c.send_command("SET", "x", "1")
                c.send_command("GET", "x")
                assert c.read_replies(2) == [b"+OK\r\n", b"$1\r\n1\r\n"]
            assert time.monotonic() - t0 < 2
    finally:
        hog.close()
    assert_alive(server)


def test_protocol_error_closes_only_that_connection(server):
    a, b = server.raw(), server.raw()
    b.send_command("SET", "kept", "yes")
    assert b.read_reply() == b"+OK\r\n"
    a.send_raw(b"*1\r\n$abc\r\n")
    assert a.read_until_close(timeout=5) == INVALID_BULK
    b.send_command("GET", "kept")
    assert b.read_reply() == b"$3\r\nyes\r\n"
    a.close()
    b.close()


# --------------------------------------------------------------------------
# redis-cli
# --------------------------------------------------------------------------

def cli(srv, *args, timeout=10):
    return subprocess.run([REDIS_CLI, "-h", "127.0.0.1", "-p", str(srv.port), *args],
                          capture_output=True, timeout=timeout)


def test_redis_cli_ping(server):
    r = cli(server, "ping")
    assert r.returncode == 0
    assert r.stdout == b"PONG\n"


def test_redis_cli_set_get(server):
    assert cli(server, "set", "greeting", "hello world").stdout == b"OK\n"
    # stdout is not a tty, so redis-cli prints raw replies by default
    assert cli(server, "get", "greeting").stdout == b"hello world\n"
    assert cli(server, "--no-raw", "get", "greeting").stdout == b'"hello world"\n'
    assert cli(server, "get", "nosuch").stdout == b"\n"
    assert cli(server, "incr", "n").stdout == b"1\n"


def test_redis_cli_raw(server):
    assert cli(server, "set", "multi", "line1\nline2").stdout == b"OK\n"
    assert cli(server, "--raw", "get", "multi").stdout == b"line1\nline2\n"
    assert cli(server, "--no-raw", "get", "multi").stdout == b'"line1\\nline2"\n'


def test_redis_cli_info_server(server):
    r = cli(server, "info", "server")
    assert r.returncode == 0
    assert b"redis_version:" in r.stdout
    assert b"# Server" in r.stdout


def test_redis_cli_error_reply(server):
    r = cli(server, "get")
    assert b"ERR wrong number of arguments for 'get' command" in r.stdout


# --------------------------------------------------------------------------
# redis-py
# --------------------------------------------------------------------------

def test_redis_py_basics(server):
    r = server.client()
    assert r.ping() is True
    assert r.set("a", "1") is True
    assert r.get("a") == b"1"
    assert r.incr("a") == 2
    assert r.incrbyfloat("f", 1.5) == 1.5
    assert r.set("t", "v", ex=100000) is True
    assert r.ttl("t") == 100000
    assert r.mset({"m1": "x", "m2": "y"}) is True
    assert r.mget(["m1", "m2", "nosuch"]) == [b"x", b"y", None]
    assert r.exists("a", "m1", "nosuch") == 2
    assert r.delete("a", "m1") == 2
    assert r.append("s", b"\x00\xff") == 2
    assert r.getrange("s", 0, -1) == b"\x00\xff"
    assert r.dbsize() == 4
    import redis
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        r.execute_command("GET")


def test_redis_py_pipeline(server):
    r = server.client()
    p = r.pipeline(transaction=False)
    for i in range(500):
        p.set(f"k{i}", i)
    for i in range(500):
        p.get(f"k{i}")
    out = p.execute()
    assert out[:500] == [True] * 500
    assert out[500:] == [str(i).encode() for i in range(500)]


def test_redis_py_info_and_config(server):
    r = server.client()
    info = r.info()
    assert isinstance(info, dict)
    assert "redis_version" in info
    assert info["tcp_port"] == server.port
    srv_info = r.info("server")
    assert "redis_version" in srv_info
    # redis-py 4.3.4 decodes CONFIG GET pairs to str even with decode_responses=False
    assert r.config_get("maxmemory") == {"maxmemory": "0"}
    assert r.config_get("appendonly") == {"appendonly": "no"}
    assert r.config_get("save") == {"save": ""}
    assert r.config_get("nosuchoption") == {}
