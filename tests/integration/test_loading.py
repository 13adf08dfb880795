"""Start-up loading as Redis 7.0 does it: the port is open while the RDB or AOF loads, clients
that connect meanwhile are answered between chunks of the load, every command without the
loading flag gets -LOADING, INFO reports the progress, and SHUTDOWN while loading saves nothing.

The load is slowed with Redis's hidden test knobs (key-load-delay, a pause per key, and
loading-process-events-interval-bytes) so the window is seconds wide on any machine. The replies
are compared byte for byte with stock redis-server 7.0.15 loading the same file."""

import os
import shutil
import subprocess
import time

import pytest

import tandem_harness as th
from conftest import require_redis_binary, require_tandem_binary

KEYS = 20000
SLOW = ["--key-load-delay", "100", "--loading-process-events-interval-bytes", "1024"]
LOADING = b"-LOADING Redis is loading the dataset in memory\r\n"


def binary(kind):
    return require_tandem_binary() if kind == "tandem" else require_redis_binary()


def spawn(kind, directory, extra):
    """Starts a server without waiting for it to answer PING (it is loading)."""
    port = th.free_port()
    args = th.standard_args(port, directory) + ["--enable-debug-command", "yes"] + list(extra)
    log = os.path.join(directory, "server.log")
    with open(log, "ab") as out:
        popen = subprocess.Popen([binary(kind)] + args, cwd=directory, stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return th.Proc(popen, port, log, [binary(kind)] + args)


def connect_while_loading(proc):
    deadline = time.monotonic() + 10
    while True:
        try:
            return th.RawConn(port=proc.port, timeout=20)
        except OSError:
            if time.monotonic() > deadline or not proc.alive():
                raise
            time.sleep(0.01)


def make_rdb(kind, directory):
    srv = th.launch(binary(kind), directory, ["--enable-debug-command", "yes"])
    try:
        c = th.RawConn(port=srv.port)
        assert c.command("DEBUG", "POPULATE", KEYS, "key", 100) == b"OK"
        assert c.command("SAVE") == b"OK"
    finally:
        srv.stop()


def make_aof(kind, directory):
    srv = th.launch(binary(kind), directory, ["--appendonly", "yes", "--appendfsync", "no"])
    try:
        c = th.RawConn(port=srv.port)
        batch = b"".join(th.encode_command("SET", f"key:{i}", "v" * 100) for i in range(KEYS))
        c.send_raw(batch)
        assert c.read_replies(KEYS)[-1] == b"+OK\r\n"
    finally:
        srv.stop()


# What a client sends while the dataset loads. Each entry is one exchange; the replies are read
# in order. SELECT, CONFIG GET, MULTI, SUBSCRIBE carry the loading flag; the rest do not.
EXCHANGES = [
    ("PING",),
    ("GET", "key:1"),
    ("SET", "k", "v"),
    ("DBSIZE",),
    ("SELECT", "1"),
    ("CONFIG", "GET", "maxmemory"),
    ("ECHO", "x"),
    ("MULTI",),
    ("GET", "key:1"),
    ("EXEC",),
    ("CLIENT", "SETNAME", "loader-watcher"),
    ("NOSUCHCOMMAND",),
    ("SUBSCRIBE", "ch"),
]


def replies_while_loading(kind, directory, extra):
    proc = spawn(kind, directory, SLOW + list(extra))
    try:
        c = connect_while_loading(proc)
        got = []
        for ex in EXCHANGES:
            c.send_command(*ex)
            got.append(c.read_reply())
        info = th.RawConn(port=proc.port, timeout=20).command("INFO", "persistence")
        info = info.decode() if isinstance(info, bytes) else info
        fields = dict(line.split(":", 1) for line in info.split("\r\n") if ":" in line)
        th.wait_for(lambda: th.ping_raw(proc.port), timeout=60, message="load to finish")
        after = th.RawConn(port=proc.port)
        assert after.command("DBSIZE") == KEYS
        return got, fields
    finally:
        proc.stop()


@pytest.mark.parametrize("source", ["rdb", "aof"])
def test_clients_get_loading_while_the_dataset_loads(tmp_path, source):
    th.skip_mixed_under_asan("tandem", "stock")
    results = {}
    for kind in ("tandem", "stock"):
        d = str(tmp_path / kind)
        os.makedirs(d)
        extra = []
        if source == "rdb":
            make_rdb("tandem", d)
        else:
            make_aof("tandem", d)
            extra = ["--appendonly", "yes"]
        results[kind] = replies_while_loading(kind, d, extra)
    got, fields = results["tandem"]
    stock_got, stock_fields = results["stock"]
    assert got == stock_got
    assert got[0] == LOADING and got[1] == LOADING and got[2] == LOADING
    assert got[4] == b"+OK\r\n"  # SELECT has the loading flag
    assert got[9].startswith(b"-EXECABORT")
    assert fields["loading"] == "1" and stock_fields["loading"] == "1"
    # Same fields, in the same order, as stock while loading.
    assert list(fields) == list(stock_fields)
    total = int(fields["loading_total_bytes"])
    assert total == int(stock_fields["loading_total_bytes"])
    assert 0 < int(fields["loading_loaded_bytes"]) < total
    assert 0.0 < float(fields["loading_loaded_perc"]) < 100.0


def test_shutdown_while_loading_saves_nothing(tmp_path):
    d = str(tmp_path)
    make_rdb("tandem", d)
    rdb = os.path.join(d, "dump.rdb")
    with open(rdb, "rb") as f:
        before = f.read()
    # With save points configured a normal SHUTDOWN saves; while loading it must not (the
    # partial dataset would replace the whole file).
    proc = spawn("tandem", d, SLOW + ["--save", "3600 1"])
    try:
        c = connect_while_loading(proc)
        c.send_command("PING")
        assert c.read_reply() == LOADING
        c.send_command("SHUTDOWN", "SAVE")
        assert c.is_closed_by_peer(timeout=10)
        assert proc.popen.wait(timeout=10) == 0
    finally:
        proc.stop()
    with open(rdb, "rb") as f:
        assert f.read() == before
    log = open(os.path.join(d, "server.log")).read()
    assert "The dataset is still loading: nothing is saved" in log
    # The whole file still loads.
    srv = th.launch(require_tandem_binary(), d, [])
    try:
        assert th.RawConn(port=srv.port).command("DBSIZE") == KEYS
    finally:
        srv.stop()
