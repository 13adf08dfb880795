"""Blocking list commands across clients, proven against stock Redis 7.0.15 and tandem: wake-up
by a push from another client, first-come-first-served order, fractional timeouts, CLIENT
UNBLOCK, non-blocking behaviour inside MULTI, BLMOVE chains."""
import time

import pytest

import tandem_harness as th


@pytest.fixture(params=["stock", "tandem"])
def server(request, tmp_path):
    if request.param == "stock":
        binary = request.getfixturevalue("redis_binary")
    else:
        binary = request.getfixturevalue("tandem_binary")
    srv = th.launch(binary, str(tmp_path / request.param))
    yield srv
    srv.stop()


def blocked_clients(conn):
    text = conn.command("INFO", "clients").decode()
    return int(text.split("blocked_clients:")[1].split("\r\n")[0])


def wait_blocked(conn, n):
    th.wait_for(lambda: blocked_clients(conn) == n, timeout=5, message=f"{n} blocked clients")


def test_blpop_is_woken_by_a_push(server):
    waiter = server.raw()
    admin = server.raw()
    waiter.send_command("BLPOP", "empty", "q", "0")
    wait_blocked(admin, 1)
    assert admin.command("RPUSH", "q", "job1", "job2") == 2
    assert th.parse(waiter.read_reply(timeout=5)) == [b"q", b"job1"]
    assert admin.command("LRANGE", "q", "0", "-1") == [b"job2"]
    assert blocked_clients(admin) == 0


def test_blocked_clients_are_served_first_come_first_served(server):
    admin = server.raw()
    waiters = [server.raw() for _ in range(3)]
    for i, w in enumerate(waiters):
        w.send_command("BRPOP", "fifo", "0")
        wait_blocked(admin, i + 1)
    admin.command("LPUSH", "fifo", "a", "b", "c")  # list is c b a; BRPOP takes a, b, c
    got = [th.parse(w.read_reply(timeout=5)) for w in waiters]
    assert got == [[b"fifo", b"a"], [b"fifo", b"b"], [b"fifo", b"c"]]


def test_fractional_timeout_answers_null(server):
    c = server.raw()
    start = time.monotonic()
    c.send_command("BLPOP", "nothing", "0.2")
    assert c.read_reply(timeout=5) == b"*-1\r\n"
    elapsed = time.monotonic() - start
    assert 0.15 <= elapsed < 3.0
    c.send_command("BLMOVE", "nothing", "dst", "LEFT", "RIGHT", "0.1")
    assert c.read_reply(timeout=5) == b"*-1\r\n"  # 7.0: null array for every list type
    # Inside MULTI it does not block and answers a null bulk instead.
    c.command("MULTI")
    c.command("BLMOVE", "nothing", "dst", "LEFT", "RIGHT", "0")
    assert c.command("EXEC") == [None]


def test_client_unblock_timeout_and_error(server):
    admin = server.raw()
    w = server.raw()
    wid = w.command("CLIENT", "ID")
    w.send_command("BLPOP", "k", "0")
    wait_blocked(admin, 1)
    assert admin.command("CLIENT", "UNBLOCK", wid) == 1
    assert w.read_reply(timeout=5) == b"*-1\r\n"
    w.send_command("BLPOP", "k", "0")
    wait_blocked(admin, 1)
    assert admin.command("CLIENT", "UNBLOCK", wid, "ERROR") == 1
    assert w.read_reply(timeout=5) == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    assert admin.command("CLIENT", "UNBLOCK", wid) == 0


def test_blocking_command_inside_multi_does_not_block(server):
    c = server.raw()
    assert c.command("MULTI") == b"OK"
    assert c.command("BLPOP", "nothing", "0") == b"QUEUED"
    assert c.command("EXEC") == [None]


def test_commands_after_a_blocking_one_wait_for_it(server):
    w = server.raw()
    admin = server.raw()
    w.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nx\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n")
    wait_blocked(admin, 1)
    admin.command("RPUSH", "x", "v")
    assert th.parse(w.read_reply(timeout=5)) == [b"x", b"v"]
    assert w.read_reply(timeout=5) == b"+PONG\r\n"


def test_blmove_chain_wakes_the_next_waiter(server):
    admin = server.raw()
    first = server.raw()
    second = server.raw()
    first.send_command("BLMOVE", "a", "b", "LEFT", "LEFT", "0")
    wait_blocked(admin, 1)
    second.send_command("BLPOP", "b", "0")
    wait_blocked(admin, 2)
    admin.command("RPUSH", "a", "token")
    assert first.read_reply(timeout=5) == b"$5\r\ntoken\r\n"
    assert th.parse(second.read_reply(timeout=5)) == [b"b", b"token"]
    assert admin.command("EXISTS", "a", "b") == 0


def test_blmpop_pops_several(server):
    admin = server.raw()
    w = server.raw()
    w.send_command("BLMPOP", "0", "2", "l1", "l2", "RIGHT", "COUNT", "2")
    wait_blocked(admin, 1)
    admin.command("RPUSH", "l2", "a", "b", "c")
    assert th.parse(w.read_reply(timeout=5)) == [b"l2", [b"c", b"b"]]


def test_disconnected_waiter_is_forgotten(server):
    admin = server.raw()
    w = server.raw()
    w.send_command("BLPOP", "gone", "0")
    wait_blocked(admin, 1)
    w.close()
    wait_blocked(admin, 0)
    admin.command("RPUSH", "gone", "v")
    assert admin.command("LLEN", "gone") == 1


def test_bzpopmin_and_bzmpop_are_woken_by_zadd(server):
    admin = server.raw()
    a = server.raw()
    b = server.raw()
    a.send_command("BZPOPMIN", "z1", "z2", "0")
    wait_blocked(admin, 1)
    b.send_command("BZMPOP", "0", "1", "z2", "MAX", "COUNT", "2")
    wait_blocked(admin, 2)
    admin.command("ZADD", "z2", "1", "one", "2", "two", "3", "three")
    assert th.parse(a.read_reply(timeout=5)) == [b"z2", b"one", b"1"]
    assert th.parse(b.read_reply(timeout=5)) == [b"z2", [[b"three", b"3"], [b"two", b"2"]]]
    assert admin.command("EXISTS", "z2") == 0


def test_bzpopmax_timeout_and_wrongtype(server):
    c = server.raw()
    c.send_command("BZPOPMAX", "none", "0.1")
    assert c.read_reply(timeout=5) == b"*-1\r\n"
    c.command("SET", "str", "x")
    err = c.command("BZPOPMAX", "str", "0")
    assert isinstance(err, th.RespError) and err.message.startswith(b"WRONGTYPE")


def test_push_inside_multi_wakes_the_waiter_after_exec(server):
    admin = server.raw()
    w = server.raw()
    w.send_command("BLPOP", "jobs", "0")
    wait_blocked(admin, 1)
    assert admin.command("MULTI") == b"OK"
    assert admin.command("RPUSH", "jobs", "a") == b"QUEUED"
    assert admin.command("RPUSH", "jobs", "b") == b"QUEUED"
    assert admin.command("EXEC") == [1, 2]
    assert th.parse(w.read_reply(timeout=5)) == [b"jobs", b"a"]
    assert admin.command("LRANGE", "jobs", "0", "-1") == [b"b"]
