"""tandem-sentinel next to stock redis-sentinel 7.0.15: mixed quorums (two tandem Sentinels and
one stock, one tandem and two stock) discover each other, agree on ODOWN and fail over
tandem-servers and stock redis-servers together; three stock Sentinels fail tandem-servers over;
and tandem's replies to the client-facing commands have the same fields, in the same order, as
stock's."""

import os
import re
import threading
import time

import pytest
import redis
import redis.sentinel

import sentinel_harness as sh
import tandem_harness as th

# Timing-oriented scenarios (production timers, mixed quorums, the timeline): they run in the
# normal build; the sanitizer pass (tests/run-all.sh sets ASAN_OPTIONS) runs test_sentinel.py and
# test_sentinel_robustness.py over the same code and skips these to keep CI under 20 minutes.
_ASAN_SKIP = pytest.mark.skipif(bool(os.environ.get("ASAN_OPTIONS")) and
                                 not os.environ.get("TANDEM_SLOW_UNDER_ASAN"),
                                 reason="timing scenarios run in the normal build only")


pytestmark = [_ASAN_SKIP, pytest.mark.skipif(not sh.tandem_sentinel_binary(),
                                reason="TANDEM_SENTINEL is not set")]


def _shape(value):
    """The structure of a reply with the values blanked: field names of flat field/value
    arrays are kept, everything else becomes its type."""
    if isinstance(value, list):
        if len(value) % 2 == 0 and value and all(isinstance(k, bytes) for k in value[::2]) \
                and all(not isinstance(v, list) for v in value[1::2]):
            return ("fields", tuple(value[::2]))
        return ("array", tuple(_shape(v) for v in value))
    if isinstance(value, th.RespError):
        return ("error", value.message.split(b" ")[0])
    return type(value).__name__


def _info_keys(text: bytes):
    keys = []
    for line in text.decode().split("\r\n"):
        if not line:
            continue
        if line.startswith("#"):
            keys.append(line)
        else:
            keys.append(line.split(":", 1)[0])
    return keys


COMPARED = [
    ("SENTINEL", "MASTERS"),
    ("SENTINEL", "MASTER", sh.MASTER_NAME),
    ("SENTINEL", "SLAVES", sh.MASTER_NAME),
    ("SENTINEL", "REPLICAS", sh.MASTER_NAME),
    ("SENTINEL", "SENTINELS", sh.MASTER_NAME),
    ("SENTINEL", "GET-MASTER-ADDR-BY-NAME", sh.MASTER_NAME),
    ("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nope"),
    ("SENTINEL", "MASTER", "nope"),
    ("SENTINEL", "MASTER"),
    ("SENTINEL", "NOPE"),
    ("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.11", "x", "0", "*"),
    ("SENTINEL", "CKQUORUM", sh.MASTER_NAME),
    ("SENTINEL", "CONFIG", "GET", "*"),
    ("SENTINEL", "DEBUG"),
    ("ROLE",),
    ("PING",),
    ("GET", "x"),
    ("PUBLISH", "foo", "bar"),
    ("AUTH", "x"),
]


def test_reply_formats_match_stock(tmp_path):
    with sh.Topology(str(tmp_path), sentinel_kinds=("tandem", "tandem", "stock")) as topo:
        topo.wait_discovery()
        tandem, stock = topo.sentinels[0], topo.sentinels[2]
        for proto in (2, 3):
            rt = th.RawConn(host=tandem.host, port=tandem.port, timeout=5)
            rs = th.RawConn(host=stock.host, port=stock.port, timeout=5)
            try:
                if proto == 3:
                    assert _shape(rt.command("HELLO", "3")) == _shape(rs.command("HELLO", "3"))
                for cmd in COMPARED:
                    a, b = rt.command(*cmd), rs.command(*cmd)
                    if isinstance(a, dict):
                        assert list(a) == list(b), cmd
                        continue
                    if isinstance(a, th.RespError):
                        assert isinstance(b, th.RespError), cmd
                        assert a.message == b.message, cmd
                        continue
                    assert _shape(a) == _shape(b), cmd
                for sections in ((), ("sentinel",), ("server",), ("all",), ("clients", "cpu")):
                    a = rt.command("INFO", *sections)
                    b = rs.command("INFO", *sections)
                    ka, kb = _info_keys(bytes(a)), _info_keys(bytes(b))
                    if "server" in sections or not sections or "all" in sections:
                        # redis_build_id etc. exist in both; values differ.
                        pass
                    assert ka == kb, (sections, set(ka) ^ set(kb))
            finally:
                rt.close()
                rs.close()


def _check_new_master(topo, new):
    """Every Sentinel answers `new` ([ip, port]); it is a master a redis-py Sentinel client
    writes to; the other replica replicates it and has the write."""
    for s in topo.sentinels:
        assert s.client().execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME",
                                          sh.MASTER_NAME) == new
    newnode = topo.server_at(new[0], int(new[1]))
    sh.wait_for(lambda: newnode.client().info("replication")["role"] == "master",
                timeout=10, message="new master has role:master")
    client = redis.sentinel.Sentinel(topo.sentinel_addrs(), socket_timeout=2).master_for(
        sh.MASTER_NAME, socket_timeout=2)
    sh.wait_for(lambda: client.set("after-failover", "1"), timeout=10,
                message="write to the new master")
    other = next(n for n in topo.servers[1:] if n is not newnode)
    sh.wait_for(lambda: other.client().info("replication").get("master_host") == new[0] and
                other.client().info("replication").get("master_link_status") == "up" and
                other.client().get("after-failover") == "1", timeout=20,
                message="the other replica follows the new master and has the write")


MIXES = {"2tandem+1stock": ("tandem", "tandem", "stock"),
         "1tandem+2stock": ("tandem", "stock", "stock")}


@pytest.mark.parametrize("servers", ["tandem", "stock"])
@pytest.mark.parametrize("mix", list(MIXES))
def test_mixed_quorum_fails_over(mix, servers, tmp_path):
    """tandem and stock Sentinels (two and one, one and two) agree on ODOWN, elect a leader of
    either kind and fail over tandem-servers or stock redis-servers together."""
    sh.require_servers(servers)
    kinds = MIXES[mix]
    with sh.Topology(str(tmp_path), sentinel_kinds=kinds, servers=servers,
                     debug=sh.FAST_DEBUG) as topo:
        topo.wait_discovery()
        old = (topo.master.host, topo.master.port)
        t_kill = time.monotonic()
        topo.master.kill()
        topo.wait_event_everywhere("+sdown", f"master {sh.MASTER_NAME}", timeout=20,
                                   after=t_kill)
        switch = topo.wait_event_everywhere("+switch-master",
                                            f"{sh.MASTER_NAME} {old[0]} {old[1]}", timeout=45,
                                            after=t_kill)
        new = switch[0][2].split()[3:5]
        assert all(e[2].split()[3:5] == new for e in switch)
        # At least a quorum reached ODOWN. Not necessarily all three: a stock Sentinel flags a
        # killed master SDOWN up to ~0.5 s after a tandem one (its down timer starts at its
        # first reconnect attempt, not at the drop), and with fast hellos it may learn the new
        # configuration from the leader (+config-update-from) before its peers' answers make
        # it ODOWN -- stock redis-sentinel 7.0.15 followers do the same.
        odown = [r.find("+odown", "#quorum", t_kill) for r in topo.recorders]
        assert sum(1 for e in odown if e) >= 2, odown
        for r, e in zip(topo.recorders, odown):
            assert e or r.find("+config-update-from", "", t_kill)
        leader = [i for i, r in enumerate(topo.recorders) if r.find("+elected-leader", "",
                                                                    t_kill)]
        print("leader(s):", [topo.sentinels[i].kind for i in leader])
        _check_new_master(topo, new)
        # Event payloads have the same shape on tandem and stock Sentinels.
        tandem_rec = topo.recorders[kinds.index("tandem")]
        stock_rec = topo.recorders[kinds.index("stock")]
        for ch in ("+sdown", "+odown", "+new-epoch", "+switch-master", "+vote-for-leader",
                   "+slave", "+sentinel", "+config-update-from", "+failover-end"):
            a, b = tandem_rec.find(ch), stock_rec.find(ch)
            if a and b:
                ta, tb = a[2].split(), b[2].split()
                assert len(ta) == len(tb), (ch, a[2], b[2])
                # The first word that is neither a number nor a 40-hex run id / Sentinel id
                # (those start with a digit or a letter at random).
                def word(tokens):
                    return [t for t in tokens
                            if not t[0].isdigit() and not re.fullmatch(r"[0-9a-f]{40}", t)][:1]
                assert word(ta) == word(tb), (ch, a[2], b[2])


def _first_write(topo, old, t_kill, out):
    """A client as applications run it: redis-py's Sentinel.master_for, retried every 10 ms from
    the kill on; records when a SET first succeeds on a master other than the old one."""
    deadline = t_kill + 45
    while time.monotonic() < deadline:
        try:
            sentinel = redis.sentinel.Sentinel(topo.sentinel_addrs(), socket_timeout=0.2)
            addr = sentinel.discover_master(sh.MASTER_NAME)
            if tuple(addr) != old:
                client = sentinel.master_for(sh.MASTER_NAME, socket_timeout=0.5)
                client.set("first-write", "after the failover")
                out["first-write"] = time.monotonic()
                return
        except redis.exceptions.RedisError:
            pass
        time.sleep(0.01)


def _timeline(topo):
    topo.wait_discovery()
    old = (topo.master.host, topo.master.port)
    t_kill = time.monotonic()
    topo.master.kill()
    writes = {}
    writer = threading.Thread(target=_first_write, args=(topo, old, t_kill, writes), daemon=True)
    writer.start()
    switch = topo.wait_event_everywhere("+switch-master", f"{sh.MASTER_NAME} {old[0]}",
                                        timeout=45, after=t_kill)
    new = switch[0][2].split()[3:5]
    assert all(e[2].split()[3:5] == new for e in switch)

    def earliest(channel, contains=""):
        times = [e[0] for e in (r.find(channel, contains, t_kill) for r in topo.recorders) if e]
        assert times, channel
        return min(times)
    sdown = (earliest("+sdown", f"master {sh.MASTER_NAME}"),)
    odown = (earliest("+odown", "#quorum"),)
    elected = (earliest("+elected-leader", sh.MASTER_NAME),)
    timeline = {
        "sdown": round(sdown[0] - t_kill, 3),
        "odown": round(odown[0] - t_kill, 3),
        "elected-leader": round(elected[0] - t_kill, 3),
        "switch-master(first)": round(min(e[0] for e in switch) - t_kill, 3),
        "switch-master(all)": round(max(e[0] for e in switch) - t_kill, 3),
    }
    writer.join(45)
    assert "first-write" in writes, "no client write reached the new master"
    timeline["first-client-write"] = round(writes["first-write"] - t_kill, 3)
    _check_new_master(topo, new)
    return timeline


def test_failover_timeline_tandem_vs_stock(tmp_path):
    """Same settings (down-after 1000 ms, failover-timeout 10000 ms, Redis's default periods),
    all-tandem vs all-stock Sentinels over tandem-servers (TANDEM_SENTINEL_SERVERS overrides);
    prints both timelines (run with -s to see them). The all-stock run is also the check that
    stock Sentinels alone fail tandem-servers over (_check_new_master)."""
    servers = sh.server_kind("tandem")
    sh.require_servers(servers)
    results = {}
    for kind in ("tandem", "stock"):
        with sh.Topology(str(tmp_path / kind), sentinel_kinds=(kind,) * 3,
                         servers=servers) as topo:
            results[kind] = _timeline(topo)
    print(f"\nfailover timeline ({servers} servers), seconds after kill -9 of the master:")
    for kind, tl in results.items():
        print(f"  {kind:6s} {tl}")
    assert results["tandem"]["switch-master(all)"] < 20
