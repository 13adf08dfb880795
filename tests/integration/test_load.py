"""Load and graceful degradation (issue #8): many concurrent clients, big pipelines, a value at
proto-max-bulk-len, a subscriber and a replica that stop reading, a low file-descriptor limit,
and Sentinel's rename-command for instances.

Each test is bounded in time and count, binds 127.0.0.1 on free ports and signals only the PIDs
it started. Timing is never asserted beyond loose sanity bounds; the measured figures are printed
as `LOAD <name>: key=value ...` lines (run pytest with -s to see them). Where cheap, the same test
runs against stock Redis 7.0.15 ("stock") in the normal build, so the figures have a reference.
"""

import json
import os
import re
import resource
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

import tandem_harness as th
from conftest import require_redis_binary, require_tandem_binary

HOST = th.HOST
STOCK_SENTINEL = os.environ.get("REDIS_SENTINEL", "/usr/bin/redis-sentinel")
ASAN = th.light_under_asan()
# Redis logs "scheduled to be closed ASAP" when a write crosses a limit and "closed" when its cron
# finds a soft limit expired.
OBUF_CLOSED = re.compile(r"(scheduled to be closed ASAP|closed) for overcoming of output buffer "
                         r"limits")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def report(name, **figures):
    """One line the README can quote: `LOAD name: k=v k=v`."""
    line = f"LOAD {name}: " + " ".join(f"{k}={v}" for k, v in figures.items())
    print(line, flush=True)
    return line


def binary_of(kind):
    th.skip_mixed_under_asan(kind)
    return require_redis_binary() if kind == "stock" else require_tandem_binary()


def info(conn, section):
    reply = conn.command("INFO", section)
    assert isinstance(reply, bytes), reply
    fields = {}
    for line in reply.decode().split("\r\n"):
        if line and not line.startswith("#") and ":" in line:
            k, _, v = line.partition(":")
            fields[k] = v
    return fields


def used_memory(conn):
    return int(info(conn, "memory")["used_memory"])


def mb(n):
    return f"{n / (1 << 20):.1f}MB"


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, int(round(p / 100.0 * (len(sorted_values) - 1))))
    return sorted_values[i]


def raise_nofile(want):
    """Raise this process's soft RLIMIT_NOFILE to `want` (capped by the hard limit); children
    inherit it. Returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def small_rcvbuf_conn(port):
    """A RawConn whose receive window is tiny (set before connect), so a peer's writes pile up
    in the server instead of in our kernel buffers."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect((HOST, port))
    c = th.RawConn.__new__(th.RawConn)
    c.host, c.port, c.timeout, c.sock, c.buf = HOST, port, 10, s, b""
    return c


def read_until_close_or_reset(conn, timeout=5.0):
    try:
        return conn.read_until_close(timeout=timeout)
    except (ConnectionResetError, BrokenPipeError):
        data, conn.buf = conn.buf, b""
        return data


def start_with_nofile(binary, directory, nofile, extra=()):
    """Start a server whose RLIMIT_NOFILE (soft and hard) is `nofile`."""
    os.makedirs(directory, exist_ok=True)
    port = th.free_port()
    argv = [binary] + th.standard_args(port, directory) + list(extra)
    logfile = os.path.join(directory, "server.log")

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    with open(logfile, "ab") as out:
        popen = subprocess.Popen(argv, cwd=directory, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True,
                                 preexec_fn=limit)
    proc = th.Proc(popen, port, logfile, argv)
    try:
        th.wait_for(lambda: popen.poll() is not None or th.ping_raw(port), timeout=10,
                    message=f"{argv[0]} to answer PING")
        if popen.poll() is not None:
            raise RuntimeError(f"exited with {popen.returncode}:\n{proc.log_text(4000)}")
    except Exception:
        proc.stop()
        raise
    return th.Server(proc, port, directory, binary)


def hard_nofile_is_raisable():
    """True if a process here can raise its hard RLIMIT_NOFILE after lowering it (root with
    CAP_SYS_RESOURCE): then a server ignores a low `ulimit -n` and the limit cannot be tested."""
    code = ("import resource as r; r.setrlimit(r.RLIMIT_NOFILE, (64, 64)); "
            "r.setrlimit(r.RLIMIT_NOFILE, (128, 128))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


# A separate process measures PING round trips so the load generator's GIL does not inflate them.
LATENCY_PROBE = r"""
import json, socket, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
out, end = [], time.monotonic() + seconds
print("ready", flush=True)
while time.monotonic() < end:
    t0 = time.perf_counter()
    s.sendall(b"PING\r\n")
    buf = b""
    while not buf.endswith(b"\r\n"):
        chunk = s.recv(64)
        if not chunk:
            raise SystemExit("closed")
        buf += chunk
    assert buf == b"+PONG\r\n", buf
    out.append(time.perf_counter() - t0)
    time.sleep(0.002)
print(json.dumps(out))
"""


def start_latency_probe(port, seconds):
    p = subprocess.Popen([sys.executable, "-c", LATENCY_PROBE, str(port), str(seconds)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout.readline().strip() == b"ready", p.stderr.read()
    return p


def finish_latency_probe(p, timeout):
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise
    assert p.returncode == 0, err
    return sorted(json.loads(out.decode().strip().splitlines()[-1]))


# --------------------------------------------------------------------------
# 1. 1,000 concurrent clients
# --------------------------------------------------------------------------

class LoadClient:
    """One non-blocking client: each round sends SET k v / GET k / INCR ctr in one write and
    checks the three replies before the next round."""

    def __init__(self, idx, sock):
        self.idx, self.sock = idx, sock
        self.key = b"load:%d" % idx
        self.round = 0
        self.expect = []       # expected replies (bytes) or "incr" for an INCR reply
        self.buf = b""
        self.incrs = []        # values of our acknowledged INCRs

    def request(self):
        self.round += 1
        value = b"v%d:%d" % (self.idx, self.round)
        self.expect = [b"+OK\r\n", b"$%d\r\n%s\r\n" % (len(value), value), "incr"]
        return (th.encode_command(b"SET", self.key, value) + th.encode_command(b"GET", self.key)
                + th.encode_command(b"INCR", b"ctr"))

    def feed(self, data):
        """Consumes replies; returns True when the round is complete."""
        self.buf += data
        while self.expect:
            try:
                end = th.frame_end(self.buf, 0)
            except th.Incomplete:
                return False
            frame, self.buf = self.buf[:end], self.buf[end:]
            want = self.expect.pop(0)
            if want == "incr":
                assert frame.startswith(b":"), (self.idx, frame)
                self.incrs.append(int(frame[1:-2]))
            else:
                assert frame == want, (self.idx, frame, want)
        assert not self.buf, (self.idx, self.buf)
        return True


@pytest.mark.parametrize("kind", ["stock", "tandem"])
def test_1000_concurrent_clients_mixed_reads_and_writes(kind, tmp_path):
    binary = binary_of(kind)
    nclients = 1000
    seconds = 3.0 if ASAN else 5.0
    limit = raise_nofile(4096)
    if limit < nclients + 64:
        pytest.skip(f"RLIMIT_NOFILE hard limit {limit} is too low for {nclients} clients")
    srv = th.launch(binary, str(tmp_path / kind), ["--maxclients", "10000"])
    clients = []
    sel = selectors.DefaultSelector()
    probe = None
    try:
        admin = srv.raw()
        t0 = time.monotonic()
        for i in range(nclients):
            s = socket.create_connection((HOST, srv.port), timeout=10)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.setblocking(False)
            clients.append(LoadClient(i, s))
        connect_s = time.monotonic() - t0
        connected = th.wait_for(
            lambda: (n := int(info(admin, "clients")["connected_clients"])) >= nclients + 1 and n,
            timeout=10, message=f"connected_clients >= {nclients + 1}")
        base_mem = used_memory(admin)

        probe = start_latency_probe(srv.port, seconds)
        for c in clients:
            sel.register(c.sock, selectors.EVENT_READ, c)
            c.sock.sendall(c.request())  # a few hundred bytes: fits the empty send buffer
        rounds = 0
        deadline = time.monotonic() + seconds
        outstanding = nclients
        while outstanding:
            if time.monotonic() > deadline + 20:
                raise AssertionError(f"{outstanding} clients still wait for replies")
            for key, _ in sel.select(timeout=1.0):
                c = key.data
                data = c.sock.recv(65536)
                assert data, f"server closed client {c.idx}"
                if c.feed(data):
                    rounds += 1
                    if time.monotonic() < deadline:
                        c.sock.sendall(c.request())
                    else:
                        outstanding -= 1
        load_s = time.monotonic() - deadline + seconds
        lat = finish_latency_probe(probe, timeout=30)
        probe = None

        incrs = sorted(v for c in clients for v in c.incrs)
        assert len(incrs) == rounds
        # Every INCR was applied exactly once: the acknowledged values are exactly 1..N.
        assert incrs == list(range(1, rounds + 1))
        assert admin.command("GET", "ctr") == b"%d" % rounds
        for c in clients[:: nclients // 10]:
            assert admin.command("GET", c.key) == b"v%d:%d" % (c.idx, c.round)
        peak_mem = used_memory(admin)
        assert admin.command("PING") == b"PONG"
        assert srv.proc.alive()
        p50, p99 = percentile(lat, 50) * 1000, percentile(lat, 99) * 1000
        report(f"1000-clients[{kind}]", clients=nclients, connected_clients=connected,
               connect_s=f"{connect_s:.2f}", seconds=f"{load_s:.1f}", commands=rounds * 3,
               ops_per_s=int(rounds * 3 / load_s), ping_samples=len(lat),
               ping_p50_ms=f"{p50:.2f}", ping_p99_ms=f"{p99:.2f}",
               ping_max_ms=f"{lat[-1] * 1000:.2f}", used_memory_before=mb(base_mem),
               used_memory_after=mb(peak_mem))
        assert len(lat) > 50, "the latency probe got too few PINGs through"
        assert p99 < 1000, f"PING p99 {p99:.1f} ms under load (sanity bound 1 s)"
    finally:
        if probe is not None:
            probe.kill()
            probe.communicate()
        sel.close()
        for c in clients:
            c.sock.close()
        srv.stop()


# --------------------------------------------------------------------------
# 2. 10,000-command pipelines from several clients at once
# --------------------------------------------------------------------------

def test_ten_clients_each_send_a_10000_command_pipeline_in_one_write(tmp_path):
    srv = th.launch(require_tandem_binary(), str(tmp_path / "tandem"))
    nclients, n = 10, 10_000
    try:
        conns = [srv.raw(timeout=60) for _ in range(nclients)]
        payloads, expected = [], []
        for i in range(nclients):
            cmds, want, pushed = [], [], 0
            for j in range(n):
                if j % 3 == 0:
                    cmds.append(th.encode_command("SET", f"p{i}:{j}", f"val{i}:{j}"))
                    want.append(b"+OK\r\n")
                elif j % 3 == 1:
                    v = f"val{i}:{j - 1}".encode()
                    cmds.append(th.encode_command("GET", f"p{i}:{j - 1}"))
                    want.append(b"$%d\r\n%s\r\n" % (len(v), v))
                else:
                    pushed += 1
                    cmds.append(th.encode_command("LPUSH", f"l{i}", j))
                    want.append(b":%d\r\n" % pushed)
            payloads.append(b"".join(cmds))
            expected.append(want)
        t0 = time.monotonic()
        # Each pipeline goes out in one sendall from its own thread, all at once, while the
        # main thread reads; nobody waits for its replies before the whole pipeline is sent.
        senders = [threading.Thread(target=c.sock.sendall, args=(p,), daemon=True)
                   for c, p in zip(conns, payloads)]
        for t in senders:
            t.start()
        for c, want in zip(conns, expected):
            got = c.read_replies(n, timeout=60)
            assert got == want
        for t in senders:
            t.join(timeout=10)
        elapsed = time.monotonic() - t0
        admin = srv.raw()
        for i in range(nclients):
            assert admin.command("LLEN", f"l{i}") == n // 3
        assert admin.command("DBSIZE") == nclients * (n // 3 + 1 + 1)
        report("pipelines", clients=nclients, commands_each=n, total=nclients * n,
               seconds=f"{elapsed:.2f}", used_memory=mb(used_memory(admin)))
    finally:
        srv.stop()


# --------------------------------------------------------------------------
# 3. a 512 MB value at proto-max-bulk-len
# --------------------------------------------------------------------------

LIMIT = 512 * 1024 * 1024  # proto-max-bulk-len's default


def over_limit_reply(port):
    c = th.RawConn(HOST, port, timeout=10)
    try:
        c.send_raw(b"*3\r\n$3\r\nSET\r\n$4\r\nhuge\r\n$%d\r\n" % (LIMIT + 1))
        return read_until_close_or_reset(c, timeout=5)
    finally:
        c.close()


def test_512mb_value_at_the_limit_and_one_byte_over(tmp_path):
    if ASAN:
        pytest.skip("512 MB values run in the normal build only")
    stock = th.launch(require_redis_binary(), str(tmp_path / "stock"))
    try:
        stock_reply = over_limit_reply(stock.port)
    finally:
        stock.stop()
    assert stock_reply == b"-ERR Protocol error: invalid bulk length\r\n"

    srv = th.launch(require_tandem_binary(), str(tmp_path / "tandem"))
    try:
        bystander = srv.raw(timeout=30)
        base_mem = used_memory(bystander)
        assert over_limit_reply(srv.port) == stock_reply
        assert bystander.command("PING") == b"PONG"

        chunk = bytes(range(256)) * 4096  # 1 MB; the value is this chunk 512 times
        c = th.RawConn(HOST, srv.port, timeout=120)
        t0 = time.monotonic()
        c.send_raw(b"*3\r\n$3\r\nSET\r\n$4\r\nhuge\r\n$%d\r\n" % LIMIT)
        worst_ping = 0.0
        for i in range(LIMIT // len(chunk)):
            c.send_raw(chunk)
            if i % 64 == 63:  # the bystander is served while the value streams in
                p0 = time.monotonic()
                assert bystander.command("SET", "small", i) == b"OK"
                worst_ping = max(worst_ping, time.monotonic() - p0)
        c.send_raw(b"\r\n")
        assert c.read_reply(timeout=120) == b"+OK\r\n"
        set_s = time.monotonic() - t0
        assert c.command("STRLEN", "huge") == LIMIT
        assert c.command("GETRANGE", "huge", LIMIT - 4, LIMIT - 1) == bytes([252, 253, 254, 255])
        assert c.command("GETRANGE", "huge", 256 * 1000 + 7, 256 * 1000 + 7) == bytes([7])
        mem = info(bystander, "memory")
        # The writer's 512 MB query buffer is not kept once the SET is served (Redis shrinks it
        # in its cron within a few seconds): memory comes back to about the value itself.
        settled = th.wait_for(lambda: (u := used_memory(bystander)) < LIMIT * 1.25 and u,
                              timeout=10, message="used_memory to settle near 512 MB")
        t1 = time.monotonic()
        c.send_command("GET", "huge")
        # Read the reply without keeping it: count bytes as they arrive.
        header = b"$%d\r\n" % LIMIT
        want, got, head = len(header) + LIMIT + 2, 0, b""
        c.sock.settimeout(120)
        while got < want:
            data = c.sock.recv(1 << 20)
            assert data, "connection closed during GET huge"
            if len(head) < len(header):
                head += data[:len(header) - len(head)]
            got += len(data)
        assert head == header and got == want
        get_s = time.monotonic() - t1
        assert bystander.command("DEL", "huge") == 1
        c.close()
        assert bystander.command("GET", "small") == b"511"
        assert srv.proc.alive()
        report("512mb-value", set_s=f"{set_s:.2f}", get_s=f"{get_s:.2f}",
               bystander_worst_ms=f"{worst_ping * 1000:.1f}",
               used_memory_before=mb(base_mem), used_memory_after_set=mb(int(mem["used_memory"])),
               used_memory_settled=mb(settled),
               used_memory_peak=mb(int(mem["used_memory_peak"])),
               rss_with_value=mb(int(mem["used_memory_rss"])))
    finally:
        srv.stop()


# --------------------------------------------------------------------------
# 4. a subscriber that never reads
# --------------------------------------------------------------------------

# hard: 1 MB is crossed at once; soft: 256 KB stays crossed for over 1 s while messages trickle in
# (at ~2 MB/s, too slow to reach the hard limit of 32 MB in the test's time).
PUBSUB_LIMITS = {"hard": ("pubsub 1mb 256kb 5", 0.0), "soft": ("pubsub 32mb 256kb 1", 0.004)}


@pytest.mark.parametrize("limit", ["hard", "soft"])
@pytest.mark.parametrize("kind", ["stock", "tandem"])
def test_subscriber_that_never_reads_is_dropped_and_memory_stays_bounded(kind, limit, tmp_path):
    setting, pause = PUBSUB_LIMITS[limit]
    srv = th.launch(binary_of(kind), str(tmp_path / kind),
                    ["--client-output-buffer-limit", setting])
    try:
        admin = srv.raw()
        base_mem = used_memory(admin)
        stalled = small_rcvbuf_conn(srv.port)
        stalled.send_command("SUBSCRIBE", "firehose")
        assert th.parse(stalled.read_reply()) == [b"subscribe", b"firehose", 1]
        reader = srv.raw()
        assert reader.command("SUBSCRIBE", "firehose") == [b"subscribe", b"firehose", 1]
        payload = b"x" * 10_000
        max_msgs = 2000  # 20 MB at most, 20 times the hard limit
        receivers, peak = [], base_mem
        t0 = time.monotonic()
        for i in range(max_msgs):
            receivers.append(admin.command("PUBLISH", "firehose", b"%06d" % i + payload))
            # The reading subscriber gets every message, in order.
            assert th.parse(reader.read_reply(timeout=10)) == [b"message", b"firehose",
                                                              b"%06d" % i + payload]
            if i % 20 == 0:
                peak = max(peak, used_memory(admin))
            if receivers[-1] == 1 and receivers.count(1) >= 20:
                break  # dropped a while ago
            if pause:
                time.sleep(pause)
        elapsed = time.monotonic() - t0
        dropped_at = receivers.index(1) if 1 in receivers else None
        assert dropped_at is not None, "the stalled subscriber was never disconnected"
        assert set(receivers[:dropped_at]) == {2} and set(receivers[dropped_at:]) == {1}
        assert admin.command("PUBSUB", "NUMSUB", "firehose") == [b"firehose", 1]
        assert OBUF_CLOSED.search(srv.proc.log_text(200000))
        # (Not drained: through a 4 KB receive window the few MB the kernel still holds for it
        # take seconds to arrive.)
        stalled.close()
        assert admin.command("PING") == b"PONG"
        report(f"stalled-subscriber[{kind},{limit}]", limit=setting.replace(" ", "/"),
               published=len(receivers), message_bytes=len(payload) + 6,
               dropped_after_messages=dropped_at, seconds=f"{elapsed:.2f}",
               used_memory_before=mb(base_mem), used_memory_peak_sampled=mb(peak),
               growth=mb(peak - base_mem))
        # Loose: the stalled client's buffer stays near its limit (plus one reply over it).
        assert peak - base_mem < 16 << 20
    finally:
        srv.stop()


# --------------------------------------------------------------------------
# 5. a replica that stops reading
# --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["stock", "tandem"])
def test_replica_that_stops_reading_is_dropped_then_resyncs(kind, tmp_path):
    binary = binary_of(kind)
    master = th.launch(binary, str(tmp_path / "master"),
                       ["--client-output-buffer-limit", "replica 4mb 1mb 5",
                        "--repl-backlog-size", "1mb", "--repl-diskless-sync-delay", "0",
                        "--enable-debug-command", "yes"])
    replica = None
    stopped = False
    try:
        replica = th.launch(binary, str(tmp_path / "replica"),
                            ["--replicaof", HOST, str(master.port),
                             "--enable-debug-command", "yes"])
        m = master.raw(timeout=30)
        r = replica.raw(timeout=30)
        for i in range(100):
            m.command("SET", f"pre{i}", i)
        th.wait_for(lambda: info(r, "replication").get("master_link_status") == "up"
                    and r.command("DBSIZE") == 100, timeout=15, message="replica in sync")
        base_mem = used_memory(m)
        full_before = int(info(m, "stats")["sync_full"])

        os.kill(replica.proc.pid, signal.SIGSTOP)
        stopped = True
        value = b"y" * 100_000
        other = master.raw(timeout=30)
        peak, written, worst = base_mem, 0, 0.0
        t0 = time.monotonic()
        # 60 MB of writes to 20 keys: the dataset stays ~2 MB while the stream to the replica
        # grows far past its 4 MB hard limit (and the kernel's socket buffers).
        for batch in range(30):
            m.send_raw(b"".join(th.encode_command("SET", f"big{(batch * 20 + j) % 20}", value)
                                for j in range(20)))
            assert m.read_replies(20, timeout=30) == [b"+OK\r\n"] * 20
            written += 20 * len(value)
            p0 = time.monotonic()
            assert other.command("PING") == b"PONG"
            worst = max(worst, time.monotonic() - p0)
            peak = max(peak, used_memory(m))
            if info(m, "replication")["connected_slaves"] == "0":
                break
        th.wait_for(lambda: info(m, "replication")["connected_slaves"] == "0", timeout=10,
                    message="master to drop the stalled replica")
        dropped_s = time.monotonic() - t0
        assert OBUF_CLOSED.search(master.proc.log_text(200000))
        for i in range(10):  # writes after the drop are served and reach the replica later
            m.command("SET", f"after{i}", i)

        os.kill(replica.proc.pid, signal.SIGCONT)
        stopped = False
        t1 = time.monotonic()
        digest = m.command("DEBUG", "DIGEST")
        th.wait_for(lambda: info(r, "replication").get("master_link_status") == "up"
                    and r.command("DEBUG", "DIGEST") == digest, timeout=30,
                    message="replica to resync after SIGCONT")
        resync_s = time.monotonic() - t1
        assert r.command("DBSIZE") == m.command("DBSIZE") == 100 + 20 + 10
        full_after = int(info(m, "stats")["sync_full"])
        report(f"stalled-replica[{kind}]", written=mb(written),
               dropped_after_s=f"{dropped_s:.2f}", resync_s=f"{resync_s:.2f}",
               full_resyncs=full_after - full_before, used_memory_before=mb(base_mem),
               used_memory_peak_sampled=mb(peak), growth=mb(peak - base_mem),
               other_client_worst_ms=f"{worst * 1000:.1f}")
        # Loose: 4 MB of replica buffer + 1 MB backlog + the 2 MB dataset + slack.
        assert peak - base_mem < 32 << 20
    finally:
        if replica is not None:
            if stopped:
                os.kill(replica.proc.pid, signal.SIGCONT)
            replica.stop()
        master.stop()


# --------------------------------------------------------------------------
# 6. file-descriptor limits (EMFILE)
# --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["stock", "tandem"])
def test_low_nofile_limit_caps_maxclients_like_redis(kind, tmp_path):
    """Started under `ulimit -n 64`, Redis lowers maxclients to 64 - 32 reserved fds and says so;
    the 33rd client gets the max-clients error and a freed slot is reusable."""
    binary = binary_of(kind)
    if hard_nofile_is_raisable():
        pytest.skip("this process may raise its hard fd limit (CAP_SYS_RESOURCE): no low ulimit")
    srv = start_with_nofile(binary, str(tmp_path / kind), 64)
    conns = []
    try:
        admin = th.RawConn(HOST, srv.port, timeout=5)
        conns.append(admin)
        assert admin.command("CONFIG", "GET", "maxclients") == [b"maxclients", b"32"]
        log = srv.proc.log_text()
        assert "You requested maxclients of 10000 requiring at least 10032 max file " \
               "descriptors." in log, log
        assert "Current maximum open files is 64. maxclients has been reduced to 32 to " \
               "compensate for low ulimit. If you need higher maxclients increase " \
               "'ulimit -n'." in log, log
        # CONFIG SET cannot go past what the fd limit allows.
        err = admin.command("CONFIG", "SET", "maxclients", "100")
        assert err == th.RespError(
            b"ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating "
            b"system is not able to handle the specified number of clients, try with 32"), err
        assert admin.command("CONFIG", "GET", "maxclients") == [b"maxclients", b"32"]
        th.wait_for(lambda: info(admin, "clients")["connected_clients"] == "1", timeout=5,
                    message="connected_clients:1")
        served, refused = 0, []
        for _ in range(40):
            c = th.RawConn(HOST, srv.port, timeout=5)
            conns.append(c)
            c.send_command("PING")
            try:
                reply = c.read_reply()
            except (th.ConnectionClosed, ConnectionResetError):
                reply = b"<closed>"
            if reply == b"+PONG\r\n":
                served += 1
            else:
                refused.append(reply + read_until_close_or_reset(c, timeout=2))
        assert served == 31
        assert refused == [b"-ERR max number of clients reached\r\n"] * 9
        # The clients in keep working; closing some lets new ones in.
        for c in conns[1:32]:
            assert c.command("INCR", "n") > 0
        for c in conns[1:11]:
            c.close()
        th.wait_for(lambda: info(admin, "clients")["connected_clients"] == "22", timeout=5,
                    message="connected_clients:22")
        with th.RawConn(HOST, srv.port, timeout=5) as c:
            assert c.command("PING") == b"PONG"
        assert admin.command("GET", "n") == b"31"
        assert srv.proc.alive()
    finally:
        for c in conns:
            c.close()
        srv.stop()


@pytest.mark.parametrize("kind", ["stock", "tandem"])
def test_accept_hitting_emfile_keeps_serving(kind, tmp_path):
    """The fd limit is lowered under a running server (prlimit on its PID), so accept() itself
    fails with EMFILE: the server keeps serving its clients, and serves new ones once fds free."""
    srv = th.launch(binary_of(kind), str(tmp_path / kind))
    conns = []
    try:
        admin = srv.raw(timeout=5)
        assert admin.command("SET", "k", "v") == b"OK"
        open_fds = len(os.listdir(f"/proc/{srv.proc.pid}/fd"))
        limit = open_fds + 4
        try:
            resource.prlimit(srv.proc.pid, resource.RLIMIT_NOFILE, (limit, limit))
        except PermissionError:
            pytest.skip("prlimit on the server's PID is not permitted here")
        outcomes = {"served": 0, "closed": 0, "no reply": 0}
        for _ in range(12):
            c = th.RawConn(HOST, srv.port, timeout=5)
            conns.append(c)
            c.send_command("PING")
            try:
                reply = c.read_reply(timeout=0.5)
                outcome = "served" if reply == b"+PONG\r\n" else reply.decode().strip()
            except (th.ConnectionClosed, ConnectionResetError):
                outcome = "closed"  # tandem: libuv's reserve-fd trick accepts and closes it
            except socket.timeout:
                outcome = "no reply"  # stock Redis leaves it in the listen backlog
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        assert 1 <= outcomes["served"] <= 4, outcomes
        assert outcomes["served"] < 12
        # Existing clients are served while accept() fails.
        assert admin.command("GET", "k") == b"v"
        assert srv.proc.alive()
        for c in conns:
            c.close()
        conns.clear()
        # Once fds are free again, new clients are accepted and served.
        def fresh_ping():
            with th.RawConn(HOST, srv.port, timeout=2) as c:
                return c.command("PING") == b"PONG"
        th.wait_for(fresh_ping, timeout=10, message="a new client to be served")
        log = srv.proc.log_text(200000)
        warnings = log.count("Accepting client connection: accept: Too many open files")
        report(f"emfile[{kind}]", fd_limit=limit,
               **{k.replace(" ", "_"): v for k, v in outcomes.items()},
               accept_warnings_logged=warnings)
        if kind == "stock":
            assert warnings > 0
        assert admin.command("GET", "k") == b"v"
    finally:
        for c in conns:
            c.close()
        srv.stop()


# --------------------------------------------------------------------------
# 7. Sentinel's rename-command for instances, end to end
# --------------------------------------------------------------------------

RENAMES = [("CONFIG", "xCONFIG"), ("SLAVEOF", "xSLAVEOF"), ("REPLICAOF", "xREPLICAOF")]


def start_renamed_server(binary, directory, port, replicaof=None):
    os.makedirs(directory, exist_ok=True)
    conf = os.path.join(directory, "redis.conf")
    lines = [f"port {port}", f"bind {HOST}", 'save ""', "appendonly no", f"dir {directory}",
             "repl-diskless-sync no"]
    lines += [f"rename-command {a} {b}" for a, b in RENAMES]
    if replicaof:
        lines.append(f"replicaof {HOST} {replicaof}")
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    proc = th.start_server(binary, [conf, "--port", str(port)], cwd=directory,
                           logfile=os.path.join(directory, "server.log"))
    return proc, conf


@pytest.mark.parametrize("sentinel_kind", ["stock", "tandem"])
def test_sentinel_fails_over_through_renamed_commands(sentinel_kind, tmp_path):
    th.skip_mixed_under_asan(sentinel_kind)
    server = require_tandem_binary()
    if sentinel_kind == "tandem":
        sentinel = os.environ.get("TANDEM_SENTINEL", "").strip()
        if not sentinel:
            if th.in_ci():
                pytest.fail("TANDEM_SENTINEL is not set and CI is set", pytrace=False)
            pytest.skip("TANDEM_SENTINEL is not set")
        sargv = [sentinel]
    else:
        sargv = [STOCK_SENTINEL]
    mport, rport, sport = th.free_port(), th.free_port(), th.free_port()
    procs = []
    try:
        master, _ = start_renamed_server(server, str(tmp_path / "master"), mport)
        procs.append(master)
        replica, rconf = start_renamed_server(server, str(tmp_path / "replica"), rport,
                                              replicaof=mport)
        procs.append(replica)
        r = th.RawConn(HOST, rport, timeout=5)
        assert r.command("CONFIG", "GET", "port") == th.RespError(
            b"ERR unknown command 'CONFIG', with args beginning with: 'GET' 'port' ")
        assert r.command("SLAVEOF", "NO", "ONE") == th.RespError(
            b"ERR unknown command 'SLAVEOF', with args beginning with: 'NO' 'ONE' ")
        th.wait_for(lambda: info(r, "replication").get("master_link_status") == "up",
                    timeout=10, message="replica link up")

        # Sentinel (7.0 too) sends SLAVEOF, never REPLICAOF, so SLAVEOF is the rename it needs;
        # CONFIG is for the CONFIG REWRITE it sends with it.
        sdir = str(tmp_path / "sentinel")
        os.makedirs(sdir)
        sconf = os.path.join(sdir, "sentinel.conf")
        with open(sconf, "w") as f:
            f.write("\n".join([
                f"port {sport}", f"bind {HOST}", "daemonize no", f"dir {sdir}",
                f"sentinel monitor mymaster {HOST} {mport} 1",
                "sentinel down-after-milliseconds mymaster 1000",
                "sentinel failover-timeout mymaster 10000",
                "sentinel rename-command mymaster CONFIG xCONFIG",
                "sentinel rename-command mymaster SLAVEOF xSLAVEOF"]) + "\n")
        slog = os.path.join(sdir, "sentinel.log")
        sproc = th.start_server(sargv[0], [sconf, "--port", str(sport)] +
                                (["--sentinel"] if sargv[0].endswith("redis-server") else []),
                                cwd=sdir, logfile=slog)
        procs.append(sproc)
        s = th.RawConn(HOST, sport, timeout=5)
        th.wait_for(lambda: len(s.command("SENTINEL", "REPLICAS", "mymaster")) == 1,
                    timeout=15, message="the sentinel to discover the replica")
        # SENTINEL SET accepts rename-command too; the rewrite keeps every rename.
        assert s.command("SENTINEL", "SET", "mymaster", "rename-command", "SCRIPT",
                         "xSCRIPT") == b"OK"

        t0 = time.monotonic()
        os.kill(master.pid, signal.SIGKILL)
        master.popen.wait(timeout=5)
        th.wait_for(lambda: s.command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster") ==
                    [HOST.encode(), str(rport).encode()], timeout=30,
                    message="failover to the replica")
        failover_s = time.monotonic() - t0
        # The replica was promoted through xSLAVEOF and rewrote its config through xCONFIG.
        def promoted():  # Sentinel's CLIENT KILL TYPE normal closed `r`: a new connection each time
            with th.RawConn(HOST, rport, timeout=5) as c:
                return info(c, "replication").get("role") == "master"
        th.wait_for(promoted, timeout=10, message="replica promoted")
        th.wait_for(lambda: not re.search(r"^(replicaof|slaveof) ", open(rconf).read(), re.M),
                    timeout=10,
                    message="the promoted replica's config to be rewritten (xCONFIG REWRITE)")
        with open(rconf) as f:
            rewritten = f.read()
        for a, b in RENAMES:
            assert f"rename-command {a} {b}" in rewritten.replace('"', ""), rewritten
        with open(sconf) as f:
            stext = f.read()
        for a, b in (("CONFIG", "xCONFIG"), ("SLAVEOF", "xSLAVEOF"), ("SCRIPT", "xSCRIPT")):
            assert f"sentinel rename-command mymaster {a} {b}" in stext, stext
        assert f"sentinel monitor mymaster {HOST} {rport} 1" in stext, stext
        assert sproc.alive()
        report(f"sentinel-rename[{sentinel_kind}]", failover_s=f"{failover_s:.2f}")
    finally:
        for p in reversed(procs):
            p.stop()
