"""tandem-sentinel failovers beyond the basic acceptance run of test_sentinel.py, on the
three-host topology (127.0.0.11-13) with tandem-server as the servers unless
TANDEM_SENTINEL_SERVERS=stock:

- the acceptance scenario with the production values of topology.md (down-after 6001 ms,
  failover-timeout 60000 ms) and Redis's default timers (no SENTINEL DEBUG);
- a Sentinel that dies in the middle of a failover (SENTINEL SIMULATE-FAILURE
  crash-after-promotion, as in Redis's own tests) and is restarted: it keeps its id, epochs and
  view, and the failover is completed;
- with one Sentinel of three left there is no ODOWN and no failover; once a second one is back
  (one still killed) the failover happens;
- with Sentinels publishing hellos on the replicas, the replica left behind continues from the
  promoted one with a partial resync (this caught tandem replicas adding PUBLISH commands they ran
  themselves to their own replication offset; fixed in server/server.cc Propagate).
"""

import os
import re
import time

import pytest
import redis.sentinel

import sentinel_harness as sh

# Timing-oriented scenarios (production timers, mixed quorums, the timeline): they run in the
# normal build; the sanitizer pass (tests/run-all.sh sets ASAN_OPTIONS) runs test_sentinel.py and
# test_sentinel_robustness.py over the same code and skips these to keep CI under 20 minutes.
_ASAN_SKIP = pytest.mark.skipif(bool(os.environ.get("ASAN_OPTIONS")) and
                                 not os.environ.get("TANDEM_SLOW_UNDER_ASAN"),
                                 reason="timing scenarios run in the normal build only")


pytestmark = [_ASAN_SKIP, pytest.mark.skipif(not sh.tandem_sentinel_binary(),
                                reason="TANDEM_SENTINEL is not set")]

SERVERS = sh.server_kind("tandem")


@pytest.fixture(autouse=True)
def _servers_available():
    sh.require_servers(SERVERS)


def _conf_value(node, pattern):
    m = re.search(pattern, open(node.conf_path).read(), re.M)
    assert m, (node.conf_path, pattern)
    return m.group(1)


def _addr_of(sentinel_node):
    return sentinel_node.client().execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME",
                                                  sh.MASTER_NAME)


def test_failover_with_production_values(tmp_path):
    """topology.md's values and Redis's default periods: +sdown about 6 s after the kill and
    the failover over a few seconds later; the old master rejoins (converted after its second
    INFO, ~10 s after its restart, as with stock Sentinels)."""
    with sh.Topology(str(tmp_path), servers=SERVERS, down_after=6001,
                     failover_timeout=60000) as topo:
        for s in topo.sentinels:
            m = s.client().sentinel_master(sh.MASTER_NAME)
            assert m["down-after-milliseconds"] == 6001 and m["failover-timeout"] == 60000
            assert s.client().execute_command("SENTINEL", "DEBUG")[:2] == ["INFO-PERIOD",
                                                                           "10000"]
        # Default 1 s ask period: +odown from a quorum, see acceptance_failover.
        tl = sh.acceptance_failover(topo, stop="kill9", every_odown=False)
        assert 6.0 <= tl["sdown"] < 7.5, tl
        assert tl["odown"] < 8.5, tl
        assert tl["switch(all)"] < 6.001 + 6, tl


def test_sentinel_restarted_during_failover(tmp_path):
    """The leader crashes right after +promoted-slave: the replica is a master, no Sentinel has
    switched yet, and the leader had just saved config-epoch E with the promoted replica as the
    master (Redis saves the "current" master address). Restarted from that file it has the
    same myid, current-epoch E, the promoted replica as master with config-epoch E, the replicas
    and both peers; its hellos carry the new configuration, so the peers switch to it in epoch E
    without a second failover (+config-update-from), and the replica left behind is re-pointed
    (+fix-slave-config, after failover-timeout)."""
    failover_timeout = 4000  # bounds the +fix-slave-config wait
    with sh.Topology(str(tmp_path), servers=SERVERS, debug=sh.FAST_DEBUG,
                     failover_timeout=failover_timeout) as topo:
        topo.wait_discovery()
        old = (topo.master.host, topo.master.port)
        myids = [s.client().execute_command("SENTINEL", "MYID") for s in topo.sentinels]
        # Whoever wins the election crashes; the two others voted for it and will not start a
        # failover of their own for 2 x failover-timeout.
        for s in topo.sentinels:
            assert s.client().execute_command("SENTINEL", "SIMULATE-FAILURE",
                                              "crash-after-promotion") == "OK"
        topo.master.kill()

        def dead():
            return [i for i, s in enumerate(topo.sentinels) if not s.alive()]
        sh.wait_for(dead, timeout=20, message="the failover leader crashes")
        assert len(dead()) == 1, dead()
        crashed = dead()[0]
        peers = [i for i in range(3) if i != crashed]
        node = topo.sentinels[crashed]
        assert node.proc.popen.returncode == 99
        log = node.log()
        assert "Sentinel CRASH because of SENTINEL simulate-failure" in log
        promoted = re.findall(r"\+promoted-slave slave \S+ (\S+) (\d+) @", log)
        assert promoted and promoted[-1][0] in sh.HOSTS[1:], log[-3000:]
        new = list(promoted[-1])
        assert "+switch-master" not in log
        epoch = int(_conf_value(node, r"^sentinel current-epoch (\d+)$"))
        assert epoch >= 1
        assert int(_conf_value(node, r"^sentinel config-epoch \S+ (\d+)$")) == epoch
        assert int(_conf_value(node, r"^sentinel leader-epoch \S+ (\d+)$")) == epoch
        assert _conf_value(node, r"^sentinel monitor \S+ (\S+ \d+) 2$") == " ".join(new)
        for i in peers:  # nobody else knows yet
            assert _addr_of(topo.sentinels[i]) == [old[0], str(old[1])]

        t_restart = time.monotonic()
        topo.start_sentinel(crashed)
        c = node.client()
        assert c.execute_command("SENTINEL", "MYID") == myids[crashed]
        assert _addr_of(node) == new
        m = c.sentinel_master(sh.MASTER_NAME)
        assert m["config-epoch"] == epoch
        assert m["num-slaves"] == 2 and m["num-other-sentinels"] == 2
        assert int(_conf_value(node, r"^sentinel current-epoch (\d+)$")) == epoch

        # The peers adopt the restarted Sentinel's configuration from its hellos.
        for i in peers:
            r = topo.recorders[i]
            sw = sh.wait_for(lambda: r.find("+switch-master", f"{sh.MASTER_NAME} {old[0]} "
                                            f"{old[1]} {new[0]} {new[1]}", t_restart),
                             timeout=10, message="peer switches to the promoted replica")
            assert r.find("+config-update-from", myids[crashed], t_restart)
            assert sw
        sh.wait_for(lambda: all(_addr_of(s) == new for s in topo.sentinels), timeout=10,
                    message="every Sentinel answers the promoted replica")
        epochs = {s.client().sentinel_master(sh.MASTER_NAME)["config-epoch"]
                  for s in topo.sentinels}
        assert epochs == {epoch}
        for r in topo.recorders:
            assert not r.find("+try-failover", "", t_restart)

        client = redis.sentinel.Sentinel(topo.sentinel_addrs(), socket_timeout=2).master_for(
            sh.MASTER_NAME, socket_timeout=2)
        sh.wait_for(lambda: client.set("k", "v"), timeout=10, message="write to the new master")
        # The replica left pointing at the dead master is re-pointed after failover-timeout.
        other = next(n for n in topo.servers[1:] if [n.host, str(n.port)] != new)
        topo.wait_event_anywhere("+fix-slave-config", f"{other.host} {other.port}",
                                 timeout=failover_timeout / 1000 + 10, after=t_restart)
        sh.wait_for(lambda: other.client().info("replication").get("master_host") == new[0] and
                    other.client().info("replication").get("master_link_status") == "up",
                    timeout=20, message="the other replica follows the new master")
        sh.wait_for(lambda: other.client().get("k") == "v", timeout=10,
                    message="the other replica has the write")


def test_one_sentinel_of_three_cannot_fail_over_two_can(tmp_path):
    down_after = 1000
    with sh.Topology(str(tmp_path), servers=SERVERS, debug=sh.FAST_DEBUG,
                     down_after=down_after) as topo:
        topo.wait_discovery()
        old = (topo.master.host, topo.master.port)
        survivor = topo.sentinels[0]
        rec = topo.recorders[0]
        # One of three: kill two Sentinels, then the master.
        topo.kill_sentinel(1)
        topo.kill_sentinel(2)
        t_kill = time.monotonic()
        topo.master.kill()
        sdown = sh.wait_for(lambda: rec.find("+sdown", f"master {sh.MASTER_NAME} {old[0]} "
                                             f"{old[1]}", t_kill), timeout=10,
                            message="+sdown on the surviving Sentinel")
        # 3 x down-after after its own SDOWN: no ODOWN, hence no failover of any kind.
        time.sleep(max(0.0, sdown[0] + 3 * down_after / 1000 - time.monotonic()))
        forbidden = ("+odown", "+new-epoch", "+try-failover", "+vote-for-leader",
                     "+elected-leader", "+failover-state-select-slave", "+switch-master")
        assert [ch for ch in rec.channels() if ch in forbidden] == []
        log = survivor.log()
        assert [ch for ch in forbidden if ch + " " in log] == []
        m = survivor.client().sentinel_master(sh.MASTER_NAME)
        assert "s_down" in m["flags"] and "o_down" not in m["flags"], m["flags"]
        assert survivor.client().info("sentinel")["master0"]["status"] == "sdown"
        assert _addr_of(survivor) == [old[0], str(old[1])]
        assert "sentinel current-epoch 0" in open(survivor.conf_path).read()
        for s in topo.servers[1:]:
            assert s.client().info("replication")["role"] == "slave"

        # Two of three (one Sentinel still killed): the failover happens.
        t_back = time.monotonic()
        topo.start_sentinel(1)
        switch = topo.wait_event_everywhere("+switch-master", f"{sh.MASTER_NAME} {old[0]} "
                                            f"{old[1]}", timeout=20, after=t_back, which=[0, 1])
        odown = [rec.find("+odown", "#quorum 2/2", t_kill) for rec in topo.recorders[:2]]
        assert all(odown), "+odown #quorum 2/2 on both live Sentinels"
        new = switch[0][2].split()[3:5]
        assert switch[1][2].split()[3:5] == new and new[0] in sh.HOSTS[1:]
        for s in topo.sentinels[:2]:
            assert _addr_of(s) == new
        print("2 of 3: +switch-master %.3f s after the restart of the second Sentinel"
              % (switch[0][0] - t_back))
        client = redis.sentinel.Sentinel(topo.sentinel_addrs(), socket_timeout=1).master_for(
            sh.MASTER_NAME, socket_timeout=2)
        sh.wait_for(lambda: client.set("k", "v"), timeout=10, message="write to the new master")


@pytest.mark.parametrize("servers", ["stock", "tandem"])
def test_other_replica_resyncs_partially_after_failover(servers, tmp_path):
    """With Sentinels publishing hellos to the replicas, each replica's offset stays its
    master's, and after a failover the other replica continues from the promoted one with a
    partial resynchronization (PSYNC2), as with stock Redis."""
    sh.require_servers(servers)
    with sh.Topology(str(tmp_path), servers=servers, debug=sh.FAST_DEBUG) as topo:
        topo.wait_discovery()
        m = topo.master.client()
        m.set("k", "v")
        time.sleep(1.0)  # two rounds of hellos from each Sentinel to each replica

        def offsets():
            return [s.client().info("replication")["master_repl_offset"] for s in topo.servers]
        sh.wait_for(lambda: len(set(offsets())) == 1, timeout=3,
                    message=f"replicas at the master's offset (offsets {offsets()})")
        old = (topo.master.host, topo.master.port)
        t_kill = time.monotonic()
        topo.master.kill()
        switch = topo.wait_event_everywhere("+switch-master", f"{sh.MASTER_NAME} {old[0]} "
                                            f"{old[1]}", timeout=20, after=t_kill)
        new = topo.server_at(*switch[0][2].split()[3:5])
        other = next(n for n in topo.servers[1:] if n is not new)
        sh.wait_for(lambda: other.client().info("replication").get("master_link_status") ==
                    "up" and other.client().info("replication").get("master_host") == new.host,
                    timeout=20, message="the other replica follows the new master")
        stats = new.client().info("stats")
        assert (stats["sync_partial_ok"], stats["sync_full"]) == (1, 0), stats
