"""maxmemory under every maxmemory-policy: after writing twice the limit, used_memory stays at the
limit (within one value) and keys were evicted; noeviction refuses writes with -OOM. Proven
against stock Redis 7.0.15 and tandem in the same run."""
import pytest

import tandem_harness as th

POLICIES = ["allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu",
            "volatile-random", "volatile-ttl"]
VALUE = "v" * 10000


@pytest.fixture(params=["stock", "tandem"])
def server(request, tmp_path):
    if request.param == "stock":
        binary = request.getfixturevalue("redis_binary")
    else:
        binary = request.getfixturevalue("tandem_binary")
    srv = th.launch(binary, str(tmp_path / request.param))
    yield srv
    srv.stop()


def info_fields(c, section):
    text = c.command("INFO", section).decode()
    return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)


@pytest.mark.parametrize("policy", POLICIES)
def test_policy_keeps_memory_under_the_limit(server, policy):
    c = server.raw()
    assert c.command("CONFIG", "SET", "maxmemory-policy", policy) == b"OK"
    base = int(info_fields(c, "memory")["used_memory"])
    limit = base + 1024 * 1024
    assert c.command("CONFIG", "SET", "maxmemory", str(limit)) == b"OK"
    volatile = policy.startswith("volatile")
    # 2 MB of writes into a 1 MB budget; bounded at 200 commands.
    for i in range(200):
        if volatile:
            reply = c.command("SET", f"k{i}", VALUE, "EX", str(1000 + i))
        else:
            reply = c.command("SET", f"k{i}", VALUE)
        assert reply == b"OK", reply
        if i % 3 == 0:
            c.command("GET", "k0")  # some reads, so LRU/LFU have something to prefer
    mem = info_fields(c, "memory")
    stats = info_fields(c, "stats")
    assert int(mem["used_memory"]) <= limit + 64 * 1024
    assert int(stats["evicted_keys"]) > 0
    assert c.command("DBSIZE") < 200


def test_noeviction_refuses_writes_with_oom(server):
    c = server.raw()
    c.command("CONFIG", "SET", "maxmemory-policy", "noeviction")
    base = int(info_fields(c, "memory")["used_memory"])
    c.command("CONFIG", "SET", "maxmemory", str(base + 512 * 1024))
    got_oom = False
    for i in range(200):
        reply = c.command("SET", f"k{i}", VALUE)
        if isinstance(reply, th.RespError):
            assert reply.message == b"OOM command not allowed when used memory > 'maxmemory'."
            got_oom = True
            break
    assert got_oom
    # Reads and deletes still work.
    assert c.command("GET", "k0") == VALUE.encode()
    assert c.command("DEL", "k0") == 1
    assert info_fields(c, "stats")["evicted_keys"] == "0"


def test_volatile_policy_without_volatile_keys_is_oom(server):
    c = server.raw()
    c.command("CONFIG", "SET", "maxmemory-policy", "volatile-lru")
    base = int(info_fields(c, "memory")["used_memory"])
    c.command("CONFIG", "SET", "maxmemory", str(base + 512 * 1024))
    got_oom = False
    for i in range(200):
        reply = c.command("SET", f"k{i}", VALUE)
        if isinstance(reply, th.RespError):
            assert reply.message.startswith(b"OOM ")
            got_oom = True
            break
    assert got_oom
