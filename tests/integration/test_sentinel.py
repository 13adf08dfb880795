"""tandem-sentinel on the three-host topology (127.0.0.11-13): discovery, client-facing commands,
and the acceptance scenario of /work/shared/examples/topology.md: kill -9 the master, every
Sentinel reports +sdown, +odown #quorum 2/2 and +switch-master, clients find and write to the new
master, and the old master comes back as a replica of it with the data.

Servers are stock redis-server 7.0.15 unless TANDEM_SENTINEL_SERVERS=tandem; the acceptance
scenario runs against both server kinds whatever the setting. Most tests shrink the INFO and hello
periods with SENTINEL DEBUG (sh.FAST_DEBUG); test_sentinel_failover.py has the run with production
timers and values.
"""

import time

import pytest
import redis
import redis.sentinel

import sentinel_harness as sh
import tandem_harness as th

pytestmark = pytest.mark.skipif(not sh.tandem_sentinel_binary(),
                                reason="TANDEM_SENTINEL is not set")


@pytest.fixture
def topo(tmp_path):
    t = sh.Topology(str(tmp_path), debug=sh.FAST_DEBUG)
    t.start()
    try:
        yield t
    finally:
        t.stop()


def test_discovery_and_master_queries(topo):
    topo.wait_discovery()
    for s in topo.sentinels:
        c = s.client()
        assert c.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", sh.MASTER_NAME) == [
            topo.master.host, str(topo.master.port)]
        m = c.sentinel_master(sh.MASTER_NAME)
        assert m["flags"] == "master"  # not s_down/o_down/disconnected
        assert m["quorum"] == 2 and m["num-slaves"] == 2 and m["num-other-sentinels"] == 2
        masters = c.sentinel_masters()
        assert list(masters) == [sh.MASTER_NAME]
        slaves = c.sentinel_slaves(sh.MASTER_NAME)
        assert sorted(r["ip"] for r in slaves) == ["127.0.0.12", "127.0.0.13"]
        assert all(r["master-link-status"] == "ok" for r in slaves)
        assert len(c.sentinel_sentinels(sh.MASTER_NAME)) == 2
        info = c.info("sentinel")
        assert info["sentinel_masters"] == 1
        assert info["master0"]["status"] == "ok"
        assert info["master0"]["slaves"] == 2 and info["master0"]["sentinels"] == 3
        assert c.execute_command("ROLE") == ["sentinel", [sh.MASTER_NAME]]
        assert c.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nope") is None
        with pytest.raises(redis.ResponseError, match="No such master with that name"):
            c.execute_command("SENTINEL", "MASTER", "nope")
        with pytest.raises(redis.ResponseError,
                           match=r"^unknown command 'GET', with args beginning with: 'x' $"):
            c.execute_command("GET", "x")
        assert c.execute_command("SENTINEL", "CKQUORUM", sh.MASTER_NAME).startswith(
            "OK 3 usable Sentinels")
    # State persisted in each config file.
    for s in topo.sentinels:
        text = open(s.conf_path).read()
        assert "sentinel myid " in text
        assert text.count("sentinel known-replica ") == 2
        assert text.count("sentinel known-sentinel ") == 2


def test_resp3_and_pubsub_commands(topo):
    import tandem_harness as th
    s = topo.sentinels[0]
    raw = th.RawConn(host=s.host, port=s.port, timeout=5)
    try:
        hello = raw.command("HELLO", "3")
        assert hello[b"mode"] == b"sentinel" and hello[b"proto"] == 3
        assert list(hello) == [b"server", b"version", b"proto", b"id", b"mode", b"modules"]
        m = raw.command("SENTINEL", "MASTER", sh.MASTER_NAME)
        assert isinstance(m, dict) and m[b"name"] == sh.MASTER_NAME.encode()
        masters = raw.command("SENTINEL", "MASTERS")
        assert isinstance(masters, list) and isinstance(masters[0], dict)
        assert raw.command("CLIENT", "SETNAME", "probe") == b"OK"
        assert raw.command("CLIENT", "GETNAME") == b"probe"
        assert raw.command("PING") == b"PONG"
        # RESP3 push for events: subscribe, then trigger +set via SENTINEL SET.
        sub = raw.command("SUBSCRIBE", "+set")
        assert isinstance(sub, th.Push) and sub[0] == b"subscribe"
        c = s.client()
        assert c.execute_command("SENTINEL", "SET", sh.MASTER_NAME, "quorum", "2")
        ev = th.parse(raw.read_reply())
        assert isinstance(ev, th.Push) and ev[0] == b"message" and ev[1] == b"+set"
        assert ev[2] == (f"master {sh.MASTER_NAME} {topo.master.host} {topo.master.port} "
                         f"quorum 2").encode()
    finally:
        raw.close()
    # RESP2 subscriber context refuses other commands with Redis's text.
    raw = th.RawConn(host=s.host, port=s.port, timeout=5)
    try:
        raw.command("PSUBSCRIBE", "*")
        err = raw.command("INFO")
        for _ in range(50):  # events (+slave, +sentinel ...) published meanwhile come first
            if not (isinstance(err, list) and err and err[0] == b"pmessage"):
                break
            err = th.parse(raw.read_reply())
        assert isinstance(err, th.RespError)
        assert err.message.startswith(b"ERR Can't execute 'info'")
    finally:
        raw.close()


@pytest.mark.parametrize("servers,stop", [("stock", "kill9"), ("tandem", "kill9"),
                                          ("tandem", "sigterm"), ("tandem", "shutdown")])
def test_master_down_fails_over(servers, stop, tmp_path):
    """The acceptance scenario (sentinel_harness.acceptance_failover) with the master killed
    (kill -9) or stopped cleanly (SIGTERM, SHUTDOWN): it must exit by itself, without a save
    since no save points are configured."""
    sh.require_servers(servers)
    th.skip_mixed_under_asan(servers)  # the Sentinel code under test is the same
    if th.light_under_asan() and stop == "sigterm":
        pytest.skip("a clean stop runs under ASan as SHUTDOWN; SIGTERM in the normal build")
    with sh.Topology(str(tmp_path), servers=servers, debug=sh.FAST_DEBUG) as topo:
        sh.acceptance_failover(topo, stop=stop)
        # Every Sentinel persisted the new master and the epoch.
        for s in topo.sentinels:
            text = open(s.conf_path).read()
            assert "sentinel current-epoch 0" not in text
        for s in topo.sentinels:
            s.proc.check_sanitizers()


def test_forced_failover_and_admin_commands(topo):
    topo.wait_discovery()
    c = topo.sentinels[0].client()
    old = (topo.master.host, topo.master.port)
    t0 = time.monotonic()
    assert c.execute_command("SENTINEL", "FAILOVER", sh.MASTER_NAME)
    with pytest.raises(redis.ResponseError, match="INPROG Failover already in progress"):
        c.execute_command("SENTINEL", "FAILOVER", sh.MASTER_NAME)
    switch = topo.wait_event_everywhere("+switch-master", f"{sh.MASTER_NAME} {old[0]} {old[1]}",
                                        timeout=30, after=t0)
    new_ip = switch[0][2].split()[3]
    # The old master is still running: it is turned into a replica of the new one.
    topo.wait_event_anywhere("+convert-to-slave", f"{old[0]} {old[1]}", timeout=30, after=t0)
    sh.wait_for(lambda: topo.master.client().info("replication").get("master_host") == new_ip,
                timeout=20, message="old master replicates the new one")

    # SENTINEL SET is persisted; MONITOR / REMOVE / RESET / FLUSHCONFIG / DEBUG work.
    assert c.execute_command("SENTINEL", "SET", sh.MASTER_NAME, "down-after-milliseconds", "1500")
    assert f"sentinel down-after-milliseconds {sh.MASTER_NAME} 1500" in open(
        topo.sentinels[0].conf_path).read()
    with pytest.raises(redis.ResponseError, match="Invalid argument 'x' for SENTINEL SET"):
        c.execute_command("SENTINEL", "SET", sh.MASTER_NAME, "quorum", "x")
    assert c.execute_command("SENTINEL", "MONITOR", "other", "127.0.0.1", "1", "1")
    assert "sentinel monitor other 127.0.0.1 1 1" in open(topo.sentinels[0].conf_path).read()
    with pytest.raises(redis.ResponseError, match="Duplicate master name"):
        c.execute_command("SENTINEL", "MONITOR", "other", "127.0.0.1", "1", "1")
    assert c.execute_command("SENTINEL", "REMOVE", "other")
    assert "other" not in open(topo.sentinels[0].conf_path).read()
    assert c.execute_command("SENTINEL", "FLUSHCONFIG")
    assert c.execute_command("SENTINEL", "RESET", "nomatch*") == 0
    assert c.execute_command("SENTINEL", "RESET", sh.MASTER_NAME) == 1
    sh.wait_for(lambda: c.sentinel_master(sh.MASTER_NAME)["num-slaves"] == 2, timeout=20,
                message="replicas rediscovered after RESET")
    debug = c.execute_command("SENTINEL", "DEBUG")
    assert debug[:2] == ["INFO-PERIOD", "1000"]  # sh.FAST_DEBUG


def test_tilt_mode_is_entered_and_left(topo):
    c = topo.sentinels[0].client()
    rec = topo.recorders[0]
    t0 = time.monotonic()
    # A 1 ms trigger makes every timer tick look like a clock jump.
    assert c.execute_command("SENTINEL", "DEBUG", "tilt-trigger", "1", "tilt-period", "500")
    sh.wait_for(lambda: rec.find("+tilt", "#tilt mode entered", t0), timeout=5,
                message="+tilt")
    assert c.info("sentinel")["sentinel_tilt"] == 1
    assert c.execute_command("SENTINEL", "DEBUG", "tilt-trigger", "2000")
    sh.wait_for(lambda: rec.find("-tilt", "#tilt mode exited", t0), timeout=5, message="-tilt")
    sh.wait_for(lambda: c.info("sentinel")["sentinel_tilt"] == 0, timeout=5, message="tilt 0")


def test_notification_and_reconfig_scripts_run(tmp_path):
    out = tmp_path / "events.txt"
    script = tmp_path / "notify.sh"
    script.write_text(f"#!/bin/sh\necho \"$@\" >> {out}\n")
    script.chmod(0o755)
    extra = [f"sentinel notification-script {sh.MASTER_NAME} {script}",
             f"sentinel client-reconfig-script {sh.MASTER_NAME} {script}"]
    with sh.Topology(str(tmp_path / "topo"), sentinel_extra=extra) as topo:
        topo.wait_discovery()
        c = topo.sentinels[0].client()
        assert c.execute_command("SENTINEL", "SET", sh.MASTER_NAME, "quorum", "2")
        sh.wait_for(lambda: out.exists() and "+set master" in out.read_text(), timeout=10,
                    message="notification script called for +set")
        assert c.execute_command("SENTINEL", "FAILOVER", sh.MASTER_NAME)
        # client-reconfig-script: <master> <role> <state> <from-ip> <from-port> <to-ip> <to-port>
        sh.wait_for(lambda: f"{sh.MASTER_NAME} leader start {topo.master.host} "
                    f"{topo.master.port}" in out.read_text(), timeout=20,
                    message="client reconfig script called by the leader")
        pending = c.execute_command("SENTINEL", "PENDING-SCRIPTS")
        assert isinstance(pending, list)


def test_restart_sentinel_then_second_failover(topo):
    topo.wait_discovery()
    by_addr = {(n.host, n.port): n for n in topo.servers}
    old = (topo.master.host, topo.master.port)
    t0 = time.monotonic()
    topo.master.kill()
    sw = topo.wait_event_everywhere("+switch-master", f"{old[0]} {old[1]}", timeout=40, after=t0)
    first = (sw[0][2].split()[3], int(sw[0][2].split()[4]))
    by_addr[old].start()  # the old master comes back as a replica

    # A Sentinel restarted from its rewritten config keeps its id and its knowledge.
    s1 = topo.sentinels[1]
    myid = s1.client().execute_command("SENTINEL", "MYID")
    s1.stop()
    topo.start_sentinel(1)
    c1 = s1.client()
    assert c1.execute_command("SENTINEL", "MYID") == myid
    assert c1.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", sh.MASTER_NAME) == [
        first[0], str(first[1])]
    m = c1.sentinel_master(sh.MASTER_NAME)
    assert m["num-other-sentinels"] == 2 and m["num-slaves"] == 2
    epoch1 = m["config-epoch"]
    assert epoch1 >= 1
    sh.wait_for(lambda: by_addr[old].client().info("replication").get("master_host") == first[0],
                timeout=40, message="old master converted to a replica")

    # Second failover: kill the new master.
    t1 = time.monotonic()
    by_addr[first].kill()
    sw2 = topo.wait_event_everywhere("+switch-master", f"{first[0]} {first[1]}", timeout=40,
                                     after=t1)
    second = (sw2[0][2].split()[3], int(sw2[0][2].split()[4]))
    assert second != first
    epochs = {s.client().sentinel_master(sh.MASTER_NAME)["config-epoch"] for s in topo.sentinels}
    assert len(epochs) == 1 and epochs.pop() > epoch1
    client = redis.sentinel.Sentinel(topo.sentinel_addrs(), socket_timeout=2).master_for(
        sh.MASTER_NAME, socket_timeout=2)
    sh.wait_for(lambda: client.set("k", "v"), timeout=10, message="write after 2nd failover")
