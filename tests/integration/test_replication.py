"""Replication on loopback: tandem master with tandem and stock replicas, tandem replicas of a
stock master, partial resync after a broken link, full resync past the backlog, PSYNC2 after a
promotion, WAIT and min-replicas-to-write. Data sets are compared with DEBUG DIGEST, which tandem
computes exactly as Redis does (test_digest.py)."""
import os
import signal
import threading
import time

import pytest
import redis

import tandem_harness as th
from conftest import require_redis_binary, require_tandem_binary

DEBUG = ["--enable-debug-command", "yes"]


def binary(kind):
    return require_tandem_binary() if kind == "tandem" else require_redis_binary()


# No 5 s wait before a diskless full sync (Redis 7.0's default delay) unless a test asks for one:
# later arguments win, as in Redis.
NO_SYNC_DELAY = ["--repl-diskless-sync-delay", "0"]


def start(kind, tmp_path, name, extra=()):
    return th.launch(binary(kind), str(tmp_path / name), DEBUG + NO_SYNC_DELAY + list(extra))


def cli(server, **kw):
    return redis.Redis(host=th.HOST, port=server.port, socket_timeout=10, **kw)


def info(server, section="replication"):
    return cli(server).info(section)


def make_replica(replica, master):
    cli(replica).replicaof(th.HOST, master.port)


def wait_link_up(replica, timeout=15):
    th.wait_for(lambda: info(replica).get("master_link_status") == "up", timeout=timeout,
                message=f"replica on {replica.port} never reached master_link_status:up")


def wait_in_sync(master, replicas, timeout=15):
    """Offsets equal, then digests equal (bounded)."""
    m = cli(master)

    def caught_up():
        off = m.info("replication")["master_repl_offset"]
        return all(info(r)["master_repl_offset"] == off for r in replicas)

    th.wait_for(caught_up, timeout=timeout, message="replicas did not reach the master offset")
    digest = m.execute_command("DEBUG", "DIGEST")
    for r in replicas:
        assert cli(r).execute_command("DEBUG", "DIGEST") == digest, f"replica {r.port} differs"
    return digest


def write_load(m):
    """Every command family, including the ones that must be rewritten for replicas."""
    m.set("s", "v")
    m.set("ttl", "v", ex=1000)
    m.setex("ttl2", 500, "v")
    m.set("px", "v", px=100000)
    m.expire("s", 3000)
    m.incr("n")
    m.incrbyfloat("f", "1.25")
    m.append("s2", "abc")
    m.rpush("l", *[str(i) for i in range(50)])
    m.lpop("l")
    m.lmove("l", "l2", "LEFT", "RIGHT")
    m.hset("h", mapping={f"f{i}": str(i) for i in range(20)})
    m.hincrbyfloat("h", "f1", "0.5")
    m.sadd("set", *[str(i) for i in range(30)])
    m.spop("set")
    m.spop("set", 3)
    m.sadd("set2", *[f"m{i}" for i in range(10)])
    m.spop("set2", 8)
    m.zadd("z", {f"m{i}": i for i in range(40)})
    m.zpopmin("z", 2)
    m.execute_command("ZMPOP", "1", "z", "MAX", "COUNT", "2")
    m.execute_command("LMPOP", "2", "nope", "l", "RIGHT", "COUNT", "3")
    m.setbit("bits", 100, 1)
    m.execute_command("SELECT", "0")
    p = m.pipeline(transaction=True)
    p.set("tx1", "a").incr("tx2").rpush("tx3", "x")
    p.execute()
    m.execute_command("COPY", "s", "s-copy", "DB", "5")
    m.set("gone", "v", px=1)
    time.sleep(0.01)
    m.get("gone")  # expired on access: the master propagates a DEL
    m.getex("s2", ex=100)
    m.blpop(["l"], timeout=0.1)
    m.bzpopmax(["z"], timeout=0.1)


@pytest.mark.parametrize("master_kind,replica_kinds", [
    ("tandem", ("tandem", "tandem")),
    ("tandem", ("stock", "tandem")),
    ("stock", ("tandem", "tandem")),
])
def test_master_with_two_replicas_every_family(tmp_path, master_kind, replica_kinds):
    if master_kind == "tandem":
        th.skip_mixed_under_asan(*replica_kinds)
    master = start(master_kind, tmp_path, "master", ["--repl-diskless-sync", "no"])
    replicas = [start(k, tmp_path, f"replica{i}") for i, k in enumerate(replica_kinds)]
    try:
        m = cli(master)
        m.mset({f"pre{i}": str(i) for i in range(100)})  # data before the full sync
        for r in replicas:
            make_replica(r, master)
        for r in replicas:
            wait_link_up(r)
        write_load(m)
        # Each db separately too, and a different db in the same stream.
        m2 = cli(master, db=3)
        m2.set("db3", "x")
        m2.rpush("db3l", "a", "b")
        wait_in_sync(master, replicas)
        # Replicas are read-only and say so as Redis does.
        with pytest.raises(redis.exceptions.ReadOnlyError):
            cli(replicas[0]).set("x", "y")
        assert info(master)["connected_slaves"] == 2
        role = m.execute_command("ROLE")
        assert role[0] == b"master" and len(role[2]) == 2
        rrole = cli(replicas[0]).execute_command("ROLE")
        assert rrole[0] == b"slave" and rrole[3] == b"connected"
    finally:
        for s in replicas + [master]:
            s.stop()


def test_blocked_pop_served_by_push_replicates(tmp_path):
    master = start("tandem", tmp_path, "master")
    replica = start("tandem", tmp_path, "replica")
    try:
        make_replica(replica, master)
        wait_link_up(replica)
        blocker = th.RawConn(port=master.port)
        blocker.send_command("BLPOP", "q1", "q2", "0")
        time.sleep(0.2)
        cli(master).rpush("q2", "a", "b")
        assert th.parse(blocker.read_reply()) == [b"q2", b"a"]
        blocker.close()
        wait_in_sync(master, [replica])
        assert cli(replica).lrange("q2", 0, -1) == [b"b"]
    finally:
        replica.stop()
        master.stop()


@pytest.mark.parametrize("replica_kind", ["tandem", "stock"])
def test_partial_resync_after_link_break(tmp_path, replica_kind):
    th.skip_mixed_under_asan(replica_kind)
    master = start("tandem", tmp_path, "master")
    replica = start(replica_kind, tmp_path, "replica")
    try:
        m = cli(master)
        make_replica(replica, master)
        wait_link_up(replica)
        m.set("k", "1")
        wait_in_sync(master, [replica])
        full_before = info(master, "stats")["sync_full"]
        cli(replica).client_kill_filter(_type="master")
        for i in range(200):
            m.set(f"during{i}", i)
        wait_link_up(replica)
        wait_in_sync(master, [replica])
        stats = info(master, "stats")
        assert stats["sync_full"] == full_before
        assert stats["sync_partial_ok"] >= 1
    finally:
        replica.stop()
        master.stop()


def test_restarted_replica_resumes_partially_or_fully(tmp_path):
    """Killed replica restarted within the backlog resumes with a partial sync from the
    replication info in its RDB; past the backlog it needs a full sync."""
    master = start("tandem", tmp_path, "master", ["--repl-backlog-size", "16384"])
    rdir = tmp_path / "replica"
    replica = start("tandem", tmp_path, "replica")
    port = replica.port
    try:
        m = cli(master)
        make_replica(replica, master)
        wait_link_up(replica)
        m.set("a", "1")
        wait_in_sync(master, [replica])
        os.kill(replica.proc.popen.pid, signal.SIGKILL)
        replica.proc.popen.wait(5)
        for i in range(20):
            m.set(f"small{i}", i)
        full = info(master, "stats")["sync_full"]
        args = th.standard_args(port, str(rdir)) + DEBUG + ["--replicaof", th.HOST, str(master.port)]
        p = th.start_server(require_tandem_binary(), args, cwd=str(rdir),
                            logfile=str(rdir / "server2.log"))
        replica = th.Server(p, port, str(rdir), require_tandem_binary())
        wait_link_up(replica)
        wait_in_sync(master, [replica])
        assert info(master, "stats")["sync_full"] == full, "expected a partial resync"
        # Now past the backlog: 16 KB of backlog, 200 KB of writes while the replica is down.
        os.kill(replica.proc.popen.pid, signal.SIGKILL)
        replica.proc.popen.wait(5)
        for i in range(200):
            m.set(f"big{i}", "x" * 1000)
        p = th.start_server(require_tandem_binary(), args, cwd=str(rdir),
                            logfile=str(rdir / "server3.log"))
        replica = th.Server(p, port, str(rdir), require_tandem_binary())
        wait_link_up(replica)
        wait_in_sync(master, [replica])
        assert info(master, "stats")["sync_full"] == full + 1
    finally:
        replica.stop()
        master.stop()


@pytest.mark.parametrize("kinds", [("tandem", "tandem", "tandem"), ("tandem", "stock", "tandem")])
def test_promotion_psync2_partial_for_other_replica_and_old_master(tmp_path, kinds):
    master = start(kinds[0], tmp_path, "master")
    r1 = start(kinds[1], tmp_path, "r1")
    r2 = start(kinds[2], tmp_path, "r2")
    try:
        m = cli(master)
        for r in (r1, r2):
            make_replica(r, master)
        for r in (r1, r2):
            wait_link_up(r)
        for i in range(100):
            m.set(f"k{i}", i)
        wait_in_sync(master, [r1, r2])
        # Promote r2; r1 and the old master follow it.
        cli(r2).replicaof("NO", "ONE")
        cli(r2).set("after-promotion", "yes")
        make_replica(r1, r2)
        make_replica(master, r2)
        wait_link_up(r1)
        wait_link_up(master)
        wait_in_sync(r2, [r1, master])
        stats = info(r2, "stats")
        assert stats["sync_full"] == 0
        assert stats["sync_partial_ok"] == 2
        assert cli(master).get("after-promotion") == b"yes"
        rep = info(r2)
        assert rep["master_replid2"] != "0" * 40 and rep["second_repl_offset"] > 0
    finally:
        for s in (r1, r2, master):
            s.stop()


def test_wait_and_min_replicas_to_write(tmp_path):
    master = start("tandem", tmp_path, "master")
    replica = start("tandem", tmp_path, "replica")
    try:
        m = cli(master)
        assert m.execute_command("WAIT", "0", "0") == 0
        make_replica(replica, master)
        wait_link_up(replica)
        m.set("x", "1")
        assert m.execute_command("WAIT", "1", "2000") == 1
        t0 = time.monotonic()
        assert m.execute_command("WAIT", "2", "300") == 1  # only one replica: times out
        assert time.monotonic() - t0 >= 0.25
        with pytest.raises(redis.ResponseError, match="WAIT cannot be used with replica"):
            cli(replica).execute_command("WAIT", "1", "0")
        m.config_set("min-replicas-to-write", "1")
        m.config_set("min-replicas-max-lag", "10")
        m.set("ok", "1")
        replica.stop()
        th.wait_for(lambda: info(master)["connected_slaves"] == 0, timeout=10)
        with pytest.raises(redis.ResponseError, match="NOREPLICAS Not enough good replicas"):
            m.set("refused", "1")
        assert m.get("ok") == b"1"  # reads keep working
    finally:
        replica.stop()
        master.stop()


def test_replica_of_stock_master_diskless_and_disk(tmp_path):
    for mode in ("yes", "no"):
        master = start("stock", tmp_path, f"stock-{mode}",
                       ["--repl-diskless-sync", mode, "--repl-diskless-sync-delay", "0"])
        replica = start("tandem", tmp_path, f"tandem-{mode}")
        try:
            m = cli(master)
            m.mset({f"k{i}": "v" * (i % 50) for i in range(2000)})
            m.zadd("z", {f"m{i}": i / 3 for i in range(300)})
            m.hset("h", mapping={f"f{i}": i for i in range(300)})
            make_replica(replica, master)
            wait_link_up(replica)
            for i in range(100):
                m.lpush("after", i)
            wait_in_sync(master, [replica])
        finally:
            replica.stop()
            master.stop()


@pytest.mark.parametrize("target_kind", ["tandem", "stock"])
def test_failover_command_loses_no_acknowledged_write(tmp_path, target_kind):
    master = start("tandem", tmp_path, "master")
    target = start(target_kind, tmp_path, "target")
    try:
        m = cli(master)
        make_replica(target, master)
        wait_link_up(target)
        with pytest.raises(redis.ResponseError, match="FAILOVER target HOST and PORT is not a replica"):
            m.execute_command("FAILOVER", "TO", th.HOST, "1")
        with pytest.raises(redis.ResponseError, match="No failover in progress"):
            m.execute_command("FAILOVER", "ABORT")
        acked = []
        stop = threading.Event()

        def writer():
            c = redis.Redis(host=th.HOST, port=master.port, socket_timeout=10)
            i = 0
            while not stop.is_set() and i < 100000:
                try:
                    c.set(f"w{i}", i)
                    acked.append(f"w{i}")
                except redis.exceptions.ReadOnlyError:
                    break
                except redis.ConnectionError:
                    break
                i += 1

        t = threading.Thread(target=writer)
        t.start()
        time.sleep(0.3)
        assert m.execute_command("FAILOVER", "TO", th.HOST, str(target.port), "TIMEOUT", "5000") == b"OK"
        th.wait_for(lambda: info(master)["role"] == "slave" and
                    info(master)["master_link_status"] == "up", timeout=15,
                    message="old master never became a replica of the target")
        stop.set()
        t.join(15)
        assert info(target)["role"] == "master"
        assert info(master)["master_failover_state"] == "no-failover"
        assert acked, "the writer never got a reply"
        tc = cli(target)
        missing = [k for k in acked if tc.get(k) is None]
        assert not missing, f"{len(missing)} acknowledged writes missing on the new master"
        wait_in_sync(target, [master])
        assert info(target, "stats")["sync_full"] == 0  # the old master continued partially
    finally:
        target.stop()
        master.stop()


def test_failover_times_out_without_catching_up_and_aborts(tmp_path):
    master = start("tandem", tmp_path, "master")
    replica = start("tandem", tmp_path, "replica")
    try:
        m = cli(master)
        make_replica(replica, master)
        wait_link_up(replica)
        os.kill(replica.proc.popen.pid, signal.SIGSTOP)
        try:
            m.set("x", "1")
            assert m.execute_command("FAILOVER", "TIMEOUT", "300") == b"OK"
            assert info(master)["master_failover_state"] == "waiting-for-sync"
            th.wait_for(lambda: info(master)["master_failover_state"] == "no-failover", timeout=5)
            assert info(master)["role"] == "master"
            m.set("y", "2")  # writes flow again after the abort
        finally:
            os.kill(replica.proc.popen.pid, signal.SIGCONT)
    finally:
        replica.stop()
        master.stop()


@pytest.mark.parametrize("replica_kinds", [("tandem", "stock")])
def test_diskless_sync_from_tandem_master(tmp_path, replica_kinds):
    master = start("tandem", tmp_path, "master",
                   ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "1"])
    replicas = [start(k, tmp_path, f"replica{i}") for i, k in enumerate(replica_kinds)]
    try:
        m = cli(master)
        m.execute_command("DEBUG", "POPULATE", "20000", "key", "100")
        m.zadd("z", {f"m{i}": i for i in range(500)})
        for r in replicas:
            make_replica(r, master)  # both within the delay: one transfer feeds both
        for r in replicas:
            wait_link_up(r, timeout=20)
        for i in range(100):
            m.rpush("after", i)
        wait_in_sync(master, replicas)
        assert info(master, "stats")["sync_full"] == 2
        assert "replicas sockets" in master.proc.log_text(200000)
        assert not os.path.exists(os.path.join(master.dir, "dump.rdb"))
    finally:
        for s in replicas + [master]:
            s.stop()


def test_commands_run_on_a_replica_do_not_move_its_offset_and_wait_stays_honest(tmp_path):
    """A replica's stream is its master's: a PUBLISH run on the replica itself (Sentinel hellos)
    must not grow its offset, or its ACKs would confirm writes it never received."""
    master = start("tandem", tmp_path, "master")
    replica = start("tandem", tmp_path, "replica")
    try:
        m = cli(master)
        make_replica(replica, master)
        wait_link_up(replica)
        m.set("a", "1")
        wait_in_sync(master, [replica])
        before = info(replica)["master_repl_offset"]
        for _ in range(3):
            cli(replica).publish("__sentinel__:hello", "x")
        assert info(replica)["master_repl_offset"] == before
        time.sleep(1.2)  # let an ACK carry the replica's offset
        os.kill(replica.proc.popen.pid, signal.SIGSTOP)
        try:
            m.set("b", "2")
            assert m.execute_command("WAIT", "1", "500") == 0
        finally:
            os.kill(replica.proc.popen.pid, signal.SIGCONT)
    finally:
        replica.stop()
        master.stop()


@pytest.mark.parametrize("crash_before_rewrite", [False, True])
def test_replica_aof_after_full_sync(tmp_path, crash_before_rewrite):
    """A replica with appendonly yes must have the synced dataset in its AOF, as Redis's
    restartAOFAfterSYNC does: its AOF is rewritten from the loaded snapshot, and writes go to a
    fresh incremental file meanwhile. Killed once that rewrite is done, it restarts (without its
    master) with exactly the master's data. Killed before (the rewrite is made to fail with a
    disk fault), the manifest still names its old files, so it restarts with its old dataset
    whole, never the old data mixed with the new stream (which went to a file the manifest does
    not name yet)."""
    master = start("tandem", tmp_path, "master", ["--repl-diskless-sync", "no"])
    rdir = tmp_path / "replica"
    replica = start("tandem", tmp_path, "replica", ["--appendonly", "yes"])
    port = replica.port
    try:
        m, r = cli(master), cli(replica)
        r.set("old", "replica's own data")  # what the replica held before it followed the master
        old_digest = r.execute_command("DEBUG", "DIGEST")
        m.mset({f"k{i}": str(i) for i in range(2000)})
        if crash_before_rewrite:
            r.execute_command("DEBUG", "TANDEM-DISK-FAULT", "fsync", "EIO")
        make_replica(replica, master)
        wait_link_up(replica)
        m.set("after-sync", "1")
        m.incr("counter")
        digest = wait_in_sync(master, [replica])
        if crash_before_rewrite:
            aof_dir = rdir / "appendonlydir"
            th.wait_for(lambda: any(b"after-sync" in f.read_bytes() for f in aof_dir.iterdir()),
                        timeout=5, message="the stream after the sync is not in any AOF file")
            manifest = (aof_dir / "appendonly.aof.manifest").read_text()
            newest = [f.name for f in aof_dir.iterdir() if b"after-sync" in f.read_bytes()]
            assert all(name not in manifest for name in newest), (manifest, newest)
            th.wait_for(lambda: r.info("persistence")["aof_last_bgrewrite_status"] == "err",
                        timeout=5, message="the rewrite did not fail on the disk fault")
        else:
            th.wait_for(lambda: r.info("persistence")["aof_rewrites"] >= 1, timeout=10,
                        message="the AOF was not rewritten after the full sync")
            m.set("after-rewrite", "2")
            digest = wait_in_sync(master, [replica])
        os.kill(replica.proc.popen.pid, signal.SIGKILL)
        replica.proc.popen.wait(5)
        args = th.standard_args(port, str(rdir)) + DEBUG + ["--appendonly", "yes"]
        p = th.start_server(require_tandem_binary(), args, cwd=str(rdir),
                            logfile=str(rdir / "server2.log"))
        replica = th.Server(p, port, str(rdir), require_tandem_binary())
        got = cli(replica).execute_command("DEBUG", "DIGEST")
        assert got == (old_digest if crash_before_rewrite else digest)
    finally:
        replica.stop()
        master.stop()


class FakeMaster:
    """A master that answers the handshake and sends `payload` as the full-sync RDB ($<len>)."""

    def __init__(self, payload: bytes):
        import socket
        self.payload = payload
        self.sock = socket.socket()
        self.sock.bind((th.HOST, 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.syncs = 0
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(5)
            buf = b""
            try:
                while True:
                    try:
                        end = th.frame_end(buf)
                    except th.Incomplete:
                        data = conn.recv(4096)
                        if not data:
                            break
                        buf += data
                        continue
                    argv = th.parse(buf[:end])
                    buf = buf[end:]
                    name = argv[0].upper() if isinstance(argv, list) else b""
                    if name == b"PING":
                        conn.sendall(b"+PONG\r\n")
                    elif name == b"PSYNC":
                        self.syncs += 1
                        conn.sendall(b"+FULLRESYNC " + b"f" * 40 + b" 0\r\n")
                        conn.sendall(b"$%d\r\n" % len(self.payload) + self.payload)
                    else:
                        conn.sendall(b"+OK\r\n")
            except OSError:
                pass
            finally:
                conn.close()

    def close(self):
        self.sock.close()


@pytest.mark.parametrize("sync_mode,load_mode", [("disk", "swapdb"), ("diskless", "swapdb"),
                                                  ("diskless", "on-empty-db")])
def test_diskless_load(tmp_path, sync_mode, load_mode):
    """repl-diskless-load swapdb (and on-empty-db on an empty replica): the RDB is parsed from
    memory (no temp or dump file on the replica's disk), whether the master sends it sized
    (disk) or EOF-marked (diskless sync)."""
    master = start("tandem", tmp_path, "master",
                   ["--repl-diskless-sync", "yes" if sync_mode == "diskless" else "no",
                    "--repl-diskless-sync-delay", "0"])
    rdir = tmp_path / "replica"
    replica = start("tandem", tmp_path, "replica", ["--repl-diskless-load", load_mode])
    try:
        m, r = cli(master), cli(replica)
        m.mset({f"k{i}": str(i) for i in range(5000)})
        m.hset("h", mapping={"a": "1"})
        if load_mode == "swapdb":
            r.set("old", "x")
        make_replica(replica, master)
        wait_link_up(replica)
        m.set("after", "1")
        wait_in_sync(master, [replica])
        assert r.get("old") is None
        assert sorted(p.name for p in rdir.iterdir() if p.suffix == ".rdb") == []
        log = (rdir / "server.log").read_text()
        assert "to parser" in log
        assert ("Swapping the old data with the loaded data" in log) == (load_mode == "swapdb")
    finally:
        replica.stop()
        master.stop()


@pytest.mark.parametrize("load_mode", ["swapdb", "disabled", "on-empty-db"])
def test_diskless_load_of_a_corrupt_payload(tmp_path, load_mode):
    """A payload that does not parse: with swapdb the replica keeps its old data whole and keeps
    serving; with disk loading (disabled, or on-empty-db while holding keys) the old data was
    flushed before the load, as in Redis. Either way it logs why and retries the sync."""
    fake = FakeMaster(b"REDIS0010" + b"\x42" + b"garbage")  # 0x42: no such object type
    rdir = tmp_path / "replica"
    replica = start("tandem", tmp_path, "replica", ["--repl-diskless-load", load_mode])
    try:
        r = cli(replica)
        r.mset({"old": "x", "old2": "y"})
        before = r.execute_command("DEBUG", "DIGEST")
        r.replicaof(th.HOST, fake.port)
        th.wait_for(lambda: fake.syncs >= 2, timeout=10, message="the replica did not retry")
        log = (rdir / "server.log").read_text()
        assert "RDB load failed" in log
        assert r.ping()
        if load_mode == "swapdb":
            assert "Discarding the half-loaded data" in log
            assert r.execute_command("DEBUG", "DIGEST") == before
        else:
            assert "to disk" in log
            assert r.dbsize() == 0
        r.replicaof("NO", "ONE")  # ends the attempt in progress: its temp file goes too
        assert sorted(p.name for p in rdir.iterdir() if p.name.startswith("temp-")) == []
    finally:
        replica.stop()
        fake.close()


@pytest.mark.parametrize("master_kind", ["tandem", "stock"])
def test_replica_output_buffer_limit_during_sync(tmp_path, master_kind):
    """The stream a master holds for a replica that has its diskless RDB but has not ACKed it
    yet (so the stream is not flowing) counts against client-output-buffer-limit replica: over
    the hard limit, raised to repl-backlog-size as Redis 7.0 does, the master drops the replica,
    as stock Redis does with the same settings."""
    th.skip_mixed_under_asan(master_kind)
    master = start(master_kind, tmp_path, "master",
                   ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0",
                    "--client-output-buffer-limit", "replica 256kb 0 0"])
    try:
        m = cli(master)
        m.set("k", "v")
        stuck = th.RawConn(port=master.port)
        assert stuck.command("REPLCONF", "capa", "eof", "capa", "psync2") == b"OK"
        stuck.send_command("PSYNC", "?", "-1")  # reads the RDB, never sends REPLCONF ACK
        th.wait_for(lambda: info(master)["connected_slaves"] == 1, timeout=5,
                    message="the stuck replica never registered")
        th.wait_for(lambda: info(master, "persistence")["rdb_bgsave_in_progress"] == 0,
                    timeout=5, message="the diskless transfer did not end")
        value = "x" * 1024
        p = m.pipeline(transaction=False)
        for i in range(300):  # ~300 KB held for it: over the limit, under repl-backlog-size
            p.set(f"big{i}", value)
        p.execute()
        time.sleep(0.3)  # a cron tick or two
        assert info(master)["connected_slaves"] == 1  # Redis 7.0: the limit is >= the backlog
        p = m.pipeline(transaction=False)
        for i in range(300, 1300):  # ~1.3 MB: over repl-backlog-size (1 MB)
            p.set(f"big{i}", value)
        p.execute()
        th.wait_for(lambda: info(master)["connected_slaves"] == 0, timeout=5,
                    message="the master did not drop the replica")
        assert "overcoming of output buffer limits" in master.proc.log_text(200000)
        assert stuck.is_closed_by_peer()
        stuck.close()
        assert m.dbsize() == 1301
    finally:
        master.stop()


@pytest.mark.parametrize("rewrite,preamble", [(False, "yes"), (True, "yes"), (True, "no")],
                         ids=["incremental", "after-rewrite", "after-command-rewrite"])
def test_replica_restarted_from_aof_resumes_partially(tmp_path, rewrite, preamble):
    """Beyond Redis 7.0: a replica with appendonly yes ends each AOF write with an annotation
    "#tandem-repl <replid> <offset>" (and its rewritten base carries them in its RDB aux fields,
    or with aof-use-rdb-preamble no in the same annotation as the base's last line), so killed
    with -9 and restarted from its AOF it continues with a partial sync, including after a
    MULTI/EXEC. Stock redis-server loads the same AOF directory (it skips '#' lines)."""
    master = start("tandem", tmp_path, "master")
    rdir = tmp_path / "replica"
    replica = start("tandem", tmp_path, "replica", ["--appendonly", "yes",
                                                    "--appendfsync", "always",
                                                    "--aof-use-rdb-preamble", preamble])
    port = replica.port
    try:
        m = cli(master)
        make_replica(replica, master)
        wait_link_up(replica)
        # The AOF rewrite that follows the full sync: until it is done the manifest names the
        # pre-sync files (test_replica_aof_after_full_sync).
        rewrites = lambda: info(replica, "persistence")  # noqa: E731
        th.wait_for(lambda: rewrites()["aof_rewrites"] >= 1 and
                    rewrites()["aof_rewrite_in_progress"] == 0, timeout=20,
                    message="the replica's AOF rewrite after the full sync")
        m.mset({f"k{i}": str(i) for i in range(100)})
        p = m.pipeline(transaction=True)
        p.incr("counter").rpush("list", "a", "b").set("tx", "1")
        p.execute()
        wait_in_sync(master, [replica])
        if rewrite:
            cli(replica).bgrewriteaof()
            th.wait_for(lambda: rewrites()["aof_rewrites"] >= 2 and
                        rewrites()["aof_rewrite_in_progress"] == 0, timeout=20,
                        message="the replica's AOF rewrite")
            if preamble == "no":
                # The position is only in the base: nothing was written since the rewrite.
                aof_dir = rdir / "appendonlydir"
                base = [ln.split()[1] for ln in
                        (aof_dir / "appendonly.aof.manifest").read_text().splitlines()
                        if ln.endswith("type b")]
                assert len(base) == 1 and base[0].endswith(".base.aof"), base
                last = (aof_dir / base[0]).read_bytes().rstrip(b"\r\n").rsplit(b"\n", 1)[-1]
                replid = info(replica, "replication")["master_replid"].encode()
                assert last.startswith(b"#tandem-repl " + replid + b" "), last
        os.kill(replica.proc.popen.pid, signal.SIGKILL)
        replica.proc.popen.wait(5)
        m.incr("counter")  # within the backlog while the replica is down
        m.set("while-down", "1")
        full, partial = info(master, "stats")["sync_full"], info(master, "stats")["sync_partial_ok"]
        args = (th.standard_args(port, str(rdir)) + DEBUG +
                ["--appendonly", "yes", "--replicaof", th.HOST, str(master.port)])
        p2 = th.start_server(require_tandem_binary(), args, cwd=str(rdir),
                             logfile=str(rdir / "server2.log"))
        replica = th.Server(p2, port, str(rdir), require_tandem_binary())
        wait_link_up(replica)
        digest = wait_in_sync(master, [replica])
        stats = info(master, "stats")
        assert (stats["sync_full"], stats["sync_partial_ok"]) == (full, partial + 1)
        assert "AOF has replication info" in (rdir / "server2.log").read_text()
        assert cli(replica).get("counter") == b"2"
        replica.stop()
        # The annotated AOF directory loads in stock Redis 7.0.15 with the same data.
        stock = th.launch(require_redis_binary(), str(tmp_path / "stock"),
                          DEBUG + ["--appendonly", "yes", "--dir", str(rdir)])
        try:
            assert cli(stock).execute_command("DEBUG", "DIGEST") == digest
        finally:
            stock.stop()
    finally:
        replica.stop()
        master.stop()


@pytest.mark.parametrize("sub_kind", ["tandem", "stock"])
def test_chained_replica_receives_the_identical_stream(tmp_path, sub_kind):
    """master -> tandem replica -> sub-replica: the sub-replica gets the master's stream byte
    for byte (offsets equal to the master's, the master's replication id), including
    transactions, which a replica passes on whole at their EXEC; a stock sub-replica too."""
    master = start("tandem", tmp_path, "master")
    middle = start("tandem", tmp_path, "middle")
    sub = start(sub_kind, tmp_path, "sub")
    try:
        m = cli(master)
        make_replica(middle, master)
        wait_link_up(middle)
        make_replica(sub, middle)
        wait_link_up(sub)
        write_load(m)
        for _ in range(20):
            p = m.pipeline(transaction=True)
            p.incr("tx-counter").rpush("tx-list", "x")
            p.execute()
        digest = wait_in_sync(master, [middle])
        th.wait_for(lambda: info(sub)["master_repl_offset"] == info(master)["master_repl_offset"],
                    timeout=15, message="the sub-replica did not reach the master's offset")
        assert cli(sub).execute_command("DEBUG", "DIGEST") == digest
        replid = info(master)["master_replid"]
        assert info(middle)["master_replid"] == replid and info(sub)["master_replid"] == replid
        assert cli(sub).get("tx-counter") == b"20"
    finally:
        for s in (sub, middle, master):
            s.stop()
