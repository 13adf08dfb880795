"""DEBUG DIGEST / DIGEST-VALUE: the same commands sent to tandem and to stock Redis 7.0.15 leave
datasets with identical digests (Redis's SHA-1 mixing scheme), so later replication tests can
compare a replica with its master by digest."""
import os

import tandem_harness as th
from conftest import require_redis_binary, require_tandem_binary

COMMANDS = [
    ["MSET", "a", "1", "b", "hello", "c", "12345678901234567890", "d", ""],
    ["SET", "big", "x" * 5000],
    ["EXPIRE", "b", "1000"],
    ["APPEND", "a", "tail"],
    ["SELECT", "3"],
    ["SET", "x", "y"],
    ["INCRBYFLOAT", "f", "1.5"],
    ["SELECT", "15"],
    ["SETRANGE", "r", "10", "z"],
]


def run(binary, directory):
    server = th.launch(binary, directory, ["--enable-debug-command", "yes"])
    try:
        c = server.raw()
        empty = c.command("DEBUG", "DIGEST")
        for cmd in COMMANDS:
            c.command(*cmd)
        c.command("SELECT", "0")
        full = c.command("DEBUG", "DIGEST")
        values = c.command("DEBUG", "DIGEST-VALUE", "a", "b", "big", "nokey")
        return empty, full, values
    finally:
        server.proc.stop()


def test_digests_match_stock_redis(tmp_path):
    ours = run(require_tandem_binary(), os.path.join(tmp_path, "tandem"))
    theirs = run(require_redis_binary(), os.path.join(tmp_path, "redis"))
    assert ours[0] == b"0" * 40  # empty dataset
    assert ours[1] != b"0" * 40
    assert ours == theirs
