"""Differential test (tests/diff/difftest.py) as a pytest test: tandem vs stock Redis,
RESP2 and RESP3, byte-for-byte, over every tests/diff/commands*.txt corpus."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DIFF_DIR = os.path.join(HERE, "..", "diff")
sys.path.insert(0, DIFF_DIR)

import difftest  # noqa: E402
from tandem_harness import encode_command as _cmd  # noqa: E402


def corpora():
    # commands.txt, then one corpus per family (commands_lists.txt, commands_types.txt with the
    # cross-type WRONGTYPE cases, ...).
    files = [os.path.join(DIFF_DIR, "commands.txt")]
    for name in sorted(os.listdir(DIFF_DIR)):
        if name.startswith("commands_") and name.endswith(".txt"):
            files.append(os.path.join(DIFF_DIR, name))
    return files


def test_corpus_is_large_enough():
    sections = difftest.load_corpus(os.path.join(DIFF_DIR, "commands.txt"))
    assert sum(len(s.cases) for s in sections) >= 450


def test_differential_tandem_vs_redis(tandem, stock_redis):
    sections = []
    for f in corpora():
        sections += difftest.load_corpus(f)
    passed, failures = difftest.run(sections, tandem.port, stock_redis.port,
                                    a_name="tandem", b_name="redis")
    report = "\n".join(difftest.format_failure(f, "tandem", "redis") for f in failures)
    assert not failures, f"{len(failures)} mismatches ({passed} passed):\n{report}"


def _pipeline_bytes():
    """One pipeline that drives the server's look-ahead (key and member prefetch) through what it
    must survive: a hot hash, set and sorted set growing past their small encodings, ZADD with
    flags (the member guess is wrong), commands with more than 16 keys and more than 32
    arguments (the scan stops), an inline command and a SELECT in the middle, wrong types."""
    p = [_cmd("FLUSHALL")]
    for i in range(300):
        p.append(_cmd("HSET", "hot:h", f"f{i}", f"v{i}", f"g{i}", i))
        p.append(_cmd("SADD", "hot:s", f"m{i}", f"n{i}"))
        p.append(_cmd("ZADD", "hot:z", i, f"m{i}"))
        if i % 7 == 0:
            p.append(_cmd("HGET", "hot:h", f"f{i // 2}"))
            p.append(_cmd("HMGET", "hot:h", f"f{i}", "nope", f"g{i}"))
            p.append(_cmd("HEXISTS", "hot:h", f"g{i}"))
            p.append(_cmd("SISMEMBER", "hot:s", f"n{i}"))
            p.append(_cmd("SMISMEMBER", "hot:s", f"m{i}", "x"))
            p.append(_cmd("ZSCORE", "hot:z", f"m{i // 3}"))
            p.append(_cmd("ZRANK", "hot:z", f"m{i // 3}"))
            p.append(_cmd("ZADD", "hot:z", "XX", "CH", i + 0.5, f"m{i // 2}"))
            p.append(_cmd("ZADD", "hot:z", "INCR", 2, f"m{i}"))
            p.append(_cmd("ZINCRBY", "hot:z", 1.5, f"m{i}"))
        if i % 50 == 0:
            p.append(_cmd("HDEL", "hot:h", f"f{i}", f"g{i + 1}"))
            p.append(_cmd("SREM", "hot:s", f"m{i}"))
            p.append(_cmd("ZREM", "hot:z", f"m{i}", "none"))
            p.append(b"PING\r\n")
            p.append(_cmd("GET", "hot:h"))  # WRONGTYPE
            p.append(_cmd("SELECT", 1 + (i // 50) % 2))
            p.append(_cmd("SET", f"db:{i}", i))
            p.append(_cmd("SELECT", 0))
    keys = [f"k{i}" for i in range(40)]
    p.append(_cmd("MSET", *[x for k in keys[:20] for x in (k, k.upper())]))  # 20 keys, 41 args
    p.append(_cmd("MSET", *[x for k in keys for x in (k, k * 2)]))  # 81 args
    p.append(_cmd("MGET", *keys))
    for k in keys:
        p.append(_cmd("GET", k))
        p.append(_cmd("INCR", "counter:" + k))
    p.append(_cmd("HLEN", "hot:h"))
    p.append(_cmd("SCARD", "hot:s"))
    p.append(_cmd("ZCARD", "hot:z"))
    p.append(_cmd("ZRANGE", "hot:z", 0, -1, "WITHSCORES"))
    p.append(_cmd("OBJECT", "ENCODING", "hot:h"))
    p.append(_cmd("OBJECT", "ENCODING", "hot:s"))
    p.append(_cmd("ECHO", "end-of-pipeline"))
    return b"".join(p)


def _send_pipeline(port, data, marker=b"$15\r\nend-of-pipeline\r\n"):
    import socket
    import time
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)  # one write: the server sees large batches
        got = bytearray()
        deadline = time.monotonic() + 30
        while not got.endswith(marker):
            assert time.monotonic() < deadline, "pipeline replies did not end"
            chunk = s.recv(1 << 16)
            assert chunk, "connection closed early"
            got += chunk
        return bytes(got)


def test_pipelined_batches_byte_for_byte(tandem, stock_redis):
    data = _pipeline_bytes()
    ours = _send_pipeline(tandem.port, data)
    theirs = _send_pipeline(stock_redis.port, data)
    assert ours.count(b"\r\n") > 3000
    if ours != theirs:
        at = next(i for i in range(min(len(ours), len(theirs))) if ours[i] != theirs[i])
        raise AssertionError(f"replies differ at byte {at}: tandem {ours[at - 80:at + 80]!r} "
                             f"redis {theirs[at - 80:at + 80]!r}")
