"""Fenced restart (tandem extension `sentinel-fence <master-name> <host:port> ...`): a node that
starts as a master refuses writes until the Sentinels confirm who the master is. A killed master
that comes back after a failover never accepts a write and becomes the new master's replica at
once, instead of being a writable master for seconds as a stock Redis is until a Sentinel
converts it."""
import time

import pytest
import redis

import sentinel_harness as sh
from conftest import require_tandem_binary


def fence_line(topo):
    addrs = " ".join(f"{s.host}:{s.port}" for s in topo.sentinels)
    return f"sentinel-fence {sh.MASTER_NAME} {addrs}"


def restart_with_fence(topo, node):
    with open(node.conf_path, "a") as f:
        f.write(fence_line(topo) + "\n")
    node.start()


def write_outcomes(node, seconds):
    """SET attempts for `seconds`: the list of replies (True for OK, error text otherwise)."""
    out = []
    c = redis.Redis(host=node.host, port=node.port, socket_timeout=2)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            out.append(c.set("probe", "x") is True)
        except redis.ResponseError as e:
            out.append(str(e))
        time.sleep(0.05)
    return out


def test_fenced_restart_after_failover_is_never_writable(tmp_path, monkeypatch):
    require_tandem_binary()
    monkeypatch.setenv("TANDEM_SENTINEL_SERVERS", "tandem")
    # down-after 3 s: the quick restart of step 1 must not look like a failure.
    topo = sh.Topology(str(tmp_path), down_after=3000).start()
    try:
        topo.wait_discovery()
        old = topo.servers[0]
        old.client().set("before", "1")
        # 1. A fenced restart of the current master: the Sentinels name it, it accepts writes.
        old.stop()
        restart_with_fence(topo, old)
        sh.wait_for(lambda: write_outcomes(old, 0.1)[-1] is True, timeout=10,
                    message="the confirmed master never accepted writes")
        assert "accepting writes" in old.log()
        # 2. Kill it, let the Sentinels fail over, restart it fenced.
        t_kill = time.monotonic()  # the recorders stamp events with time.monotonic()
        old.kill()
        topo.wait_event_everywhere("+switch-master", after=t_kill, timeout=30)
        host, port = topo.sentinels[1].client().execute_command(
            "SENTINEL", "get-master-addr-by-name", sh.MASTER_NAME)
        new = next(s for s in topo.servers if s.host == host and s.port == int(port))
        new.client().set("during", "2")
        old.start()
        outcomes = write_outcomes(old, 3.0)
        assert True not in outcomes, f"the fenced node accepted a write: {outcomes[:5]}"
        # redis-py turns -READONLY into ReadOnlyError with the rest of the text
        assert all("read only replica" in o for o in outcomes if o is not True), set(outcomes)
        sh.wait_for(lambda: old.client().info("replication").get("master_link_status") == "up",
                    timeout=15, message="the old master never became a replica")
        info = old.client().info("replication")
        assert info["role"] == "slave" and info["master_port"] == new.port
        assert old.client().get("during") == "2"
        assert "starting as its replica" in old.log()
    finally:
        topo.stop()
