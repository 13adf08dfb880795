"""Persistence: RDB and AOF files interchangeable with stock Redis 7.0.15 in both directions,
crash safety per appendfsync policy, truncated and corrupt AOF tails, BGREWRITEAOF under load,
SAVE / BGSAVE / SHUTDOWN. Data sets are compared with DEBUG DIGEST (computed as Redis does)."""
import os
import random
import shutil
import signal
import subprocess
import threading
import time

import pytest
import redis

import tandem_harness as th
from conftest import require_redis_binary, require_tandem_binary

DEBUG = ["--enable-debug-command", "yes"]


def binary(kind):
    return require_tandem_binary() if kind == "tandem" else require_redis_binary()


def start_in(kind, directory, extra=(), port=None):
    os.makedirs(directory, exist_ok=True)
    port = port or th.free_port()
    args = th.standard_args(port, directory) + DEBUG + list(extra)
    proc = th.start_server(binary(kind), args, cwd=directory,
                           logfile=os.path.join(directory, "server.log"))
    return th.Server(proc, port, directory, binary(kind))


def cli(server, db=0):
    return redis.Redis(host=th.HOST, port=server.port, db=db, socket_timeout=20)


def fill_every_type(server):
    """Every type in small and large encodings, expiries, several dbs."""
    for db in (0, 1, 7, 15):
        c = cli(server, db)
        c.set(f"str{db}", "hello")
        c.set(f"int{db}", 12345)
        c.set(f"big{db}", "x" * 10000)
        c.set(f"ttl{db}", "v", ex=10000)
        c.rpush(f"list{db}", *[str(i) for i in range(10)])
        c.rpush(f"biglist{db}", *[("e" * 100) + str(i) for i in range(1000)])
        c.hset(f"hash{db}", mapping={f"f{i}": i for i in range(10)})
        c.hset(f"bighash{db}", mapping={f"f{i}": "v" * 100 for i in range(300)})
        c.sadd(f"intset{db}", *range(20))
        c.sadd(f"set{db}", *[f"m{i}" for i in range(200)])
        c.zadd(f"zset{db}", {f"m{i}": i / 7 for i in range(10)})
        c.zadd(f"bigzset{db}", {f"m{i}": i * 1.5 for i in range(300)})
        c.pexpire(f"list{db}", 9000000)


def digest(server):
    return cli(server).execute_command("DEBUG", "DIGEST")


@pytest.mark.parametrize("writer,reader", [("stock", "tandem"), ("tandem", "stock")])
def test_rdb_files_interchange(tmp_path, writer, reader):
    wdir = str(tmp_path / "w")
    w = start_in(writer, wdir)
    try:
        fill_every_type(w)
        expected = digest(w)
        assert cli(w).save()
    finally:
        w.stop()
    rdir = str(tmp_path / "r")
    os.makedirs(rdir)
    shutil.copy(os.path.join(wdir, "dump.rdb"), os.path.join(rdir, "dump.rdb"))
    r = start_in(reader, rdir)
    try:
        assert digest(r) == expected
        assert cli(r, 15).get("big15") == b"x" * 10000
        assert cli(r).ttl("ttl0") > 9000
    finally:
        r.stop()


@pytest.mark.parametrize("writer,reader", [("stock", "tandem"), ("tandem", "stock")])
def test_aof_directories_interchange(tmp_path, writer, reader):
    wdir = str(tmp_path / "w")
    w = start_in(writer, wdir, ["--appendonly", "yes", "--appendfsync", "always"])
    try:
        fill_every_type(w)
        cli(w).bgrewriteaof()
        th.wait_for(lambda: cli(w).info("persistence")["aof_rewrite_in_progress"] == 0 and
                    cli(w).info("persistence")["aof_rewrites"] >= 1, timeout=20)
        c = cli(w)
        c.set("after-rewrite", "1")
        c.incrbyfloat("fl", "2.5")
        c.spop("set0", 5)
        p = c.pipeline(transaction=True)
        p.set("tx", "1").rpush("txl", "a")
        p.execute()
        expected = digest(w)
    finally:
        w.stop()
    rdir = str(tmp_path / "r")
    shutil.copytree(os.path.join(wdir, "appendonlydir"), os.path.join(rdir, "appendonlydir"))
    r = start_in(reader, rdir, ["--appendonly", "yes"])
    try:
        assert digest(r) == expected
    finally:
        r.stop()


def test_tandem_loads_a_pre_7_single_file_aof(tmp_path):
    d = tmp_path / "legacy"
    d.mkdir()
    cmds = [["SET", "a", "1"], ["RPUSH", "l", "x", "y"], ["SELECT", "3"], ["SET", "b", "2"]]
    with open(d / "appendonly.aof", "wb") as f:
        for c in cmds:
            f.write(th.encode_command(*c))
    s = start_in("tandem", str(d), ["--appendonly", "yes"])
    try:
        assert cli(s).get("a") == b"1"
        assert cli(s, 3).get("b") == b"2"
        assert os.path.exists(d / "appendonlydir" / "appendonly.aof.manifest")
        cli(s).set("c", "3")
    finally:
        s.stop()
    s = start_in("tandem", str(d), ["--appendonly", "yes"])
    try:
        assert cli(s).mget("a", "c") == [b"1", b"3"]
    finally:
        s.stop()


def crash_round(tmp_path, policy, rnd):
    d = str(tmp_path / f"{policy}-{rnd}")
    port = th.free_port()
    s = start_in("tandem", d, ["--appendonly", "yes", "--appendfsync", policy], port=port)
    acked = []
    stop = threading.Event()

    def writer():
        c = redis.Redis(host=th.HOST, port=port, socket_timeout=5)
        i = 0
        try:
            while not stop.is_set() and i < 100000:
                p = c.pipeline(transaction=False)
                batch = [f"k{i + j}" for j in range(20)]
                for k in batch:
                    p.set(k, k)
                p.execute()
                now = time.monotonic()
                acked.extend((k, now) for k in batch)
                i += 20
        except (redis.ConnectionError, redis.TimeoutError, ConnectionResetError):
            pass

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(random.uniform(0.05, 0.4))
    killed_at = time.monotonic()
    os.kill(s.proc.popen.pid, signal.SIGKILL)
    s.proc.popen.wait(5)
    stop.set()
    t.join(10)
    s2 = start_in("tandem", d, ["--appendonly", "yes", "--appendfsync", policy], port=port)
    try:
        c = cli(s2)
        missing = [k for k, when in acked
                   if (policy == "always" or killed_at - when > 2.0) and c.get(k) is None]
        assert not missing, f"{policy}: {len(missing)} acknowledged writes lost, e.g. {missing[:3]}"
        return len(acked)
    finally:
        s2.stop()


@pytest.mark.parametrize("policy", ["always", "everysec"])
def test_kill9_loses_no_acknowledged_write(tmp_path, policy):
    random.seed(1234 if policy == "always" else 4321)
    total = 0
    # 20 rounds per policy in the normal build; the sanitizer pass (ASAN_OPTIONS set by
    # tests/run-all.sh) repeats 5 of them to stay inside the CI time budget.
    rounds = 5 if os.environ.get("ASAN_OPTIONS") else 20
    for rnd in range(rounds):
        total += crash_round(tmp_path, policy, rnd)
    assert total > 0


def write_aof(d, commands):
    """An AOF directory with one incremental file holding `commands`; returns its path."""
    aofdir = d / "appendonlydir"
    aofdir.mkdir(parents=True)
    (aofdir / "appendonly.aof.manifest").write_text("file appendonly.aof.1.incr.aof seq 1 type i\n")
    data = b"".join(th.encode_command(*c) for c in commands)
    path = aofdir / "appendonly.aof.1.incr.aof"
    path.write_bytes(data)
    return path, data


def try_start(directory, extra):
    port = th.free_port()
    args = th.standard_args(port, str(directory)) + list(extra)
    log = os.path.join(str(directory), "server.log")
    try:
        proc = th.start_server(require_tandem_binary(), args, cwd=str(directory), logfile=log)
    except RuntimeError:
        return None, open(log, errors="replace").read()
    return th.Server(proc, port, str(directory), require_tandem_binary()), ""


def test_truncated_tail_every_offset(tmp_path):
    head = [["SET", "a", "1"], ["SET", "b", "2"]]
    last = ["SET", "c", "3"]
    whole = b"".join(th.encode_command(*c) for c in head)
    last_bytes = th.encode_command(*last)
    for cut in range(1, len(last_bytes)):
        for truncated_ok in ("yes", "no"):
            d = tmp_path / f"cut{cut}-{truncated_ok}"
            path, _ = write_aof(d, head)
            path.write_bytes(whole + last_bytes[:cut])
            s, log = try_start(d, ["--appendonly", "yes", "--aof-load-truncated", truncated_ok])
            if truncated_ok == "yes":
                assert s is not None, f"cut {cut}: refused with aof-load-truncated yes:\n{log}"
                try:
                    assert cli(s).mget("a", "b", "c") == [b"1", b"2", None]
                finally:
                    s.stop()
                assert path.read_bytes() == whole  # the partial command was cut off
            else:
                assert s is None, f"cut {cut}: started with aof-load-truncated no"
                assert "Unexpected end of file" in log and "aof-load-truncated" in log


def test_corrupt_byte_in_the_middle_refuses_to_start(tmp_path):
    cmds = [["SET", "a", "1"], ["SET", "b", "2"], ["SET", "c", "3"]]
    path, data = write_aof(tmp_path / "bad", cmds)
    bad = bytearray(data)
    pos = len(th.encode_command(*cmds[0]))  # first byte of the second command
    bad[pos] = ord("x")  # ("#" would start an annotation line, which loaders skip)
    path.write_bytes(bytes(bad))
    s, log = try_start(tmp_path / "bad", ["--appendonly", "yes", "--aof-load-truncated", "yes"])
    assert s is None
    assert "Bad file format" in log and "appendonly.aof.1.incr.aof" in log
    assert f"offset {pos}" in log and "tandem-check-aof" in log
    # The check tool names the same offset, and --fix makes the directory loadable (the data
    # before the bad byte survives).
    tool = os.path.join(os.path.dirname(os.path.dirname(require_tandem_binary())), "storage",
                        "tandem-check-aof")
    manifest = str(tmp_path / "bad" / "appendonlydir" / "appendonly.aof.manifest")
    out = subprocess.run([tool, manifest], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and f"at offset {pos}" in out.stdout, out.stdout
    out = subprocess.run([tool, "--fix", manifest], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout
    s, log = try_start(tmp_path / "bad", ["--appendonly", "yes"])
    assert s is not None, log
    try:
        assert cli(s).mget("a", "b") == [b"1", None]
    finally:
        s.stop()


def test_bgrewriteaof_under_write_load(tmp_path):
    d = str(tmp_path / "rw")
    port = th.free_port()
    s = start_in("tandem", d, ["--appendonly", "yes"], port=port)
    stop = threading.Event()

    def load():
        c = redis.Redis(host=th.HOST, port=port)
        i = 0
        while not stop.is_set() and i < 200000:
            c.set(f"w{i % 5000}", i)
            c.rpush("log", i)
            i += 1

    try:
        cli(s).mset({f"pre{i}": i for i in range(5000)})
        t = threading.Thread(target=load)
        t.start()
        for _ in range(3):
            cli(s).bgrewriteaof()
            th.wait_for(lambda: cli(s).info("persistence")["aof_rewrite_in_progress"] == 0,
                        timeout=20)
            time.sleep(0.1)
        stop.set()
        t.join(10)
        assert cli(s).info("persistence")["aof_rewrites"] >= 3
        expected = digest(s)
    finally:
        s.stop()
    s = start_in("tandem", d, ["--appendonly", "yes"], port=port)
    try:
        assert digest(s) == expected
        files = sorted(os.listdir(os.path.join(d, "appendonlydir")))
        assert len([f for f in files if ".base." in f]) == 1, files
    finally:
        s.stop()


def test_save_bgsave_lastsave_and_shutdown_save(tmp_path):
    d = str(tmp_path / "save")
    port = th.free_port()
    s = start_in("tandem", d, ["--save", "3600", "1"], port=port)
    try:
        c = cli(s)
        c.set("a", "1")
        before = c.lastsave()
        assert c.bgsave()
        th.wait_for(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0, timeout=10)
        assert c.info("persistence")["rdb_last_bgsave_status"] == "ok"
        assert c.lastsave() >= before
        c.set("b", "2")
        assert c.info("persistence")["rdb_changes_since_last_save"] == 1
    finally:
        s.stop()  # SIGTERM: with save points the final snapshot is written
    s = start_in("tandem", d, [], port=port)
    try:
        assert cli(s).mget("a", "b") == [b"1", b"2"]
    finally:
        s.stop()


def test_dump_restore_payloads_interchange(tmp_path):
    ours = start_in("tandem", str(tmp_path / "t"))
    theirs = start_in("stock", str(tmp_path / "s"))
    try:
        for src, dst in ((theirs, ours), (ours, theirs)):
            fill_every_type(src)
            a, b = cli(src), cli(dst)
            b.flushall()
            for k in a.keys():
                payload = a.dump(k)
                b.restore(k, max(a.pttl(k), 0), payload)  # the digest counts a TTL's presence
            assert b.execute_command("DEBUG", "DIGEST-VALUE", *a.keys()) == \
                a.execute_command("DEBUG", "DIGEST-VALUE", *a.keys())
        c = cli(ours)
        c.set("k", "v")
        payload = c.dump("k")
        with pytest.raises(redis.ResponseError, match="BUSYKEY Target key name already exists."):
            c.restore("k", 0, payload)
        c.restore("k", 5000, payload, replace=True)
        assert 0 < c.pttl("k") <= 5000
        with pytest.raises(redis.ResponseError, match="DUMP payload version or checksum are wrong"):
            c.restore("k2", 0, payload[:-1] + b"x")
        with pytest.raises(redis.ResponseError, match="Invalid TTL value, must be >= 0"):
            c.restore("k2", -1, payload)
        assert c.dump("nokey") is None
    finally:
        ours.stop()
        theirs.stop()


FAULTS = [("write", "ENOSPC"), ("write", "EIO"), ("fsync", "EIO"), ("fsync", "ENOSPC")]


@pytest.mark.parametrize("policy", ["always", "everysec", "no"])
@pytest.mark.parametrize("op,err", FAULTS)
def test_disk_fault_refuses_writes_keeps_reads_and_recovers(tmp_path, policy, op, err):
    """A write or fsync error: -MISCONF for writes, reads keep working, the error clears itself
    when the disk recovers, and nothing acknowledged is lost. With appendfsync always the server
    exits instead, as Redis does: the reply would acknowledge data that is not on disk."""
    d = str(tmp_path / "disk")
    port = th.free_port()
    args = ["--appendonly", "yes", "--appendfsync", policy]
    s = start_in("tandem", d, args, port=port)
    acked = []
    try:
        c = cli(s)
        c.set("a", "1")
        acked.append("a")
        c.execute_command("DEBUG", "TANDEM-DISK-FAULT", op, err)
        if policy == "always":
            with pytest.raises((redis.ConnectionError, redis.ResponseError)):
                c.set("b", "2")
            s.proc.popen.wait(10)
            assert s.proc.popen.returncode not in (None, 0)
            assert "Exiting" in s.proc.log_text()
        elif op == "fsync" and policy == "no":
            c.set("b", "2")  # appendfsync no never fsyncs: nothing to fail
            acked.append("b")
        else:
            if op == "write":
                c.set("b", "2")  # executed; its bytes wait in the buffer for the disk
                acked.append("b")
            else:
                c.set("b", "2")
                acked.append("b")
            th.wait_for(lambda: c.info("persistence")["aof_last_write_status"] == "err",
                        timeout=5, message="the fault was not noticed")
            with pytest.raises(redis.ResponseError, match="MISCONF Errors writing to the AOF file"):
                c.set("c", "3")
            assert c.get("a") == b"1"  # reads keep working
            c.execute_command("DEBUG", "TANDEM-DISK-FAULT", op, "OK")
            th.wait_for(lambda: c.info("persistence")["aof_last_write_status"] == "ok",
                        timeout=5, message="the error did not clear after the disk recovered")
            c.set("d", "4")
            acked.append("d")
    finally:
        if s.proc.popen.poll() is None:
            os.kill(s.proc.popen.pid, signal.SIGKILL)  # no final flush: what is on disk counts
            s.proc.popen.wait(5)
    s = start_in("tandem", d, args, port=port)
    try:
        c = cli(s)
        assert [k for k in acked if c.get(k) is None] == []
        assert c.get("c") is None
    finally:
        s.stop()


def test_failed_bgsave_refuses_writes_until_a_save_succeeds(tmp_path):
    s = start_in("tandem", str(tmp_path / "bg"), ["--save", "3600", "1"])
    try:
        c = cli(s)
        c.set("a", "1")
        c.execute_command("DEBUG", "TANDEM-DISK-FAULT", "write", "ENOSPC")
        c.bgsave()
        th.wait_for(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0, timeout=10)
        assert c.info("persistence")["rdb_last_bgsave_status"] == "err"
        with pytest.raises(redis.ResponseError, match="MISCONF Redis is configured to save RDB"):
            c.set("b", "2")
        assert c.get("a") == b"1"
        c.execute_command("DEBUG", "TANDEM-DISK-FAULT", "write", "OK")
        c.bgsave()
        th.wait_for(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0 and
                    c.info("persistence")["rdb_last_bgsave_status"] == "ok", timeout=10)
        c.set("b", "2")
    finally:
        s.stop()


@pytest.mark.parametrize("child", ["bgrewriteaof", "bgsave"])
def test_shutdown_during_a_snapshot_child_frees_the_port_and_temp_files(tmp_path, child):
    """The forked child must not keep the listening socket, and a shutdown kills it and removes
    its temporary file, so the server restarts on the same port at once."""
    d = str(tmp_path / child)
    port = th.free_port()
    args = ["--appendonly", "yes"] if child == "bgrewriteaof" else []
    s = start_in("tandem", d, args, port=port)
    c = cli(s)
    c.execute_command("DEBUG", "POPULATE", "300000", "key", "200")
    c.execute_command(child.upper())
    s.stop()
    s = start_in("tandem", d, args, port=port)  # raises if the port is still taken
    try:
        assert cli(s).ping()
        leftovers = [f for root, _, files in os.walk(d) for f in files if f.startswith("temp-")]
        assert leftovers == []
    finally:
        s.stop()
