"""tandem-sentinel under bad input: malformed hellos (on the master's hello channel and PUBLISHed
to the Sentinel port), hellos about unknown masters, wrong passwords on both sides, bad config
files. Everything is logged and ignored; nothing crashes."""

import os
import shutil
import subprocess

import pytest
import redis

import sentinel_harness as sh

pytestmark = pytest.mark.skipif(not sh.tandem_sentinel_binary(),
                                reason="TANDEM_SENTINEL is not set")


def test_malformed_and_foreign_hellos_are_ignored(tmp_path):
    with sh.Topology(str(tmp_path)) as topo:
        topo.wait_discovery()
        m = topo.master.client()
        bad = [
            "garbage",
            "1,2,3",
            "127.0.0.99,notaport,%s,0,%s,127.0.0.11,6389,0" % ("a" * 40, sh.MASTER_NAME),
            "127.0.0.99,26389,short,0,%s,127.0.0.11,6389,0" % sh.MASTER_NAME,
            "127.0.0.99,26389,%s,x,%s,127.0.0.11,6389,0" % ("a" * 40, sh.MASTER_NAME),
            "127.0.0.99,26389,%s,0,%s,127.0.0.11,6389,0,extra" % ("a" * 40, sh.MASTER_NAME),
            "\x00\xff" * 50,
            "127.0.0.99,26389,%s,99,unknown-master,127.0.0.11,6389,99" % ("b" * 40),
        ]
        for payload in bad:
            m.publish("__sentinel__:hello", payload)
        s0 = topo.sentinels[0].client()
        for payload in bad:
            assert s0.execute_command("PUBLISH", "__sentinel__:hello", payload) == 1
        with pytest.raises(redis.ResponseError, match="Only HELLO messages"):
            s0.execute_command("PUBLISH", "other", "x")
        # Still healthy, nothing learned from the junk, epoch untouched by the unknown master.
        for s in topo.sentinels:
            c = s.client()
            assert c.ping()
            mi = c.sentinel_master(sh.MASTER_NAME)
            assert mi["num-other-sentinels"] == 2
            assert mi["config-epoch"] == 0
            assert c.info("sentinel")["master0"]["status"] == "ok"
        sh.wait_for(lambda: "Ignoring malformed hello" in topo.sentinels[0].log(), timeout=5,
                    message="malformed hello logged")
        assert "unknown master 'unknown-master'" in topo.sentinels[0].log()


def test_wrong_auth_is_logged_and_survived(tmp_path):
    # The master requires a password; the Sentinel has the wrong one.
    host = sh.HOSTS[0]
    port = sh.pick_port(host, 6389)
    sdir = os.path.join(str(tmp_path), "server")
    server = sh.Node("server", host, port, sdir, sh.server_binary(),
                     sh.redis_conf(host, port, sdir) + ["requirepass right"])
    sport = sh.pick_port(host, 26389)
    tdir = os.path.join(str(tmp_path), "sentinel")
    sent = sh.Node("tandem-sentinel", host, sport, tdir, sh.tandem_sentinel_binary(),
                   sh.sentinel_conf(host, sport, tdir, (host, port), quorum=1) +
                   [f"sentinel auth-pass {sh.MASTER_NAME} wrong", "requirepass sentinelpw"])
    sent.logfile = os.path.join(tdir, "sentinel.log")
    server.proc = sh.start_process([server.binary, server.conf_path], host, port,
                                   server.logfile, sdir)
    try:
        sent.proc = sh.start_process([sent.binary, sent.conf_path], host, sport,
                                     os.path.join(tdir, "stdout.txt"), tdir)
        try:
            sh.wait_for(lambda: "AUTH to master" in sent.log(), timeout=10,
                        message="AUTH failure logged")
            # Clients: wrong password refused with Redis's error, right one accepted.
            c = redis.Redis(host=host, port=sport, socket_timeout=5, decode_responses=True)
            with pytest.raises((redis.AuthenticationError, redis.ResponseError)):
                c.ping()
            bad = redis.Redis(host=host, port=sport, password="nope", socket_timeout=5)
            with pytest.raises((redis.AuthenticationError, redis.ResponseError)):
                bad.ping()
            good = redis.Redis(host=host, port=sport, password="sentinelpw", socket_timeout=5,
                               decode_responses=True)
            assert good.ping()
            # With the wrong auth-pass the master never answers PING with PONG: SDOWN.
            sh.wait_for(lambda: "s_down" in good.sentinel_master(sh.MASTER_NAME)["flags"],
                        timeout=10, message="master SDOWN with wrong auth-pass")
            # Fixing it at run time brings it back.
            assert good.execute_command("SENTINEL", "SET", sh.MASTER_NAME, "auth-pass", "right")
            sh.wait_for(lambda: good.sentinel_master(sh.MASTER_NAME)["flags"] == "master",
                        timeout=10, message="master up after fixing auth-pass")
            assert sent.proc.alive()
        finally:
            sent.stop()
    finally:
        server.stop()


def _run(binary, args, cwd, timeout=10):
    return subprocess.run([binary] + args, cwd=cwd, capture_output=True, timeout=timeout,
                          text=True)


def test_bad_config_files_fail_like_redis(tmp_path):
    binary = sh.tandem_sentinel_binary()
    d = str(tmp_path)
    # No config file at all.
    r = _run(binary, ["--port", "0"], d)
    assert r.returncode == 1
    assert "Sentinel needs config file on disk to save state. Exiting..." in r.stdout
    # A bad sentinel line: Redis's fatal error block on stderr.
    conf = os.path.join(d, "bad.conf")
    with open(conf, "w") as f:
        f.write("port 0\nbind 127.0.0.1\nsentinel monitor m 127.0.0.1 6379 0\n")
    r = _run(binary, [conf], d)
    assert r.returncode == 1
    assert r.stderr == ("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n"
                        "Reading the configuration file, at line 3\n"
                        ">>> 'sentinel monitor m 127.0.0.1 6379 0'\n"
                        "Quorum must be 1 or greater.\n")
    stock = _run(sh.STOCK_SENTINEL, [conf], d)
    assert stock.returncode == 1 and stock.stderr == r.stderr
    # An unknown directive.
    with open(conf, "w") as f:
        f.write("port 0\nfrobnicate yes\n")
    r = _run(binary, [conf], d)
    stock = _run(sh.STOCK_SENTINEL, [conf], d)
    assert r.returncode == 1 and stock.returncode == 1
    assert r.stderr == stock.stderr
    # A read-only config file.
    with open(conf, "w") as f:
        f.write("port 0\nbind 127.0.0.1\n")
    os.chmod(conf, 0o444)
    if os.geteuid() != 0:  # root can write anyway
        r = _run(binary, [conf], d)
        assert r.returncode == 1 and "is not writable" in r.stdout


def test_ckquorum_warns_about_a_shared_myid(tmp_path):
    # A sentinel.conf copied to every host with its myid: the Sentinels ignore each other's
    # hellos (Redis's own-message filter). CKQUORUM says why.
    myid = "0123456789abcdef0123456789abcdef01234567"
    with sh.Topology(str(tmp_path), sentinel_extra=[f"sentinel myid {myid}"]) as topo:
        c = topo.sentinels[0].client()
        sh.wait_for(lambda: "uses this Sentinel's myid" in
                    _ckquorum(c), timeout=15, message="CKQUORUM duplicate-myid warning")
        assert c.sentinel_master(sh.MASTER_NAME)["num-other-sentinels"] == 0
        assert "announces this Sentinel's myid" in topo.sentinels[0].log()


def _ckquorum(c):
    try:
        return c.execute_command("SENTINEL", "CKQUORUM", sh.MASTER_NAME)
    except redis.ResponseError as e:
        return str(e)


def test_monitored_hostname_is_resolved_once_at_load(tmp_path):
    # Tandem extension: Redis 7.0 refuses `sentinel monitor` with a hostname unless
    # resolve-hostnames is on; Redis 6.0 and older resolved it once at load, and sentinel.conf
    # files written for those name masters by hostname. tandem resolves it, as 6.0 did, and
    # logs a warning that says what it did.
    d = str(tmp_path)
    port = sh.pick_port("127.0.0.1", 26450)
    lines = [f"port {port}", "bind 127.0.0.1", "sentinel monitor mymaster localhost 6399 1"]
    conf = os.path.join(d, "stock.conf")
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    stock = _run(sh.STOCK_SENTINEL, [conf], d)
    assert stock.returncode == 1 and "Can't resolve instance hostname." in stock.stderr
    node = sh.Node("tandem-sentinel", "127.0.0.1", port, os.path.join(d, "tandem"),
                   sh.tandem_sentinel_binary(), lines).start()
    try:
        c = node.client()
        assert c.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster") == [
            "127.0.0.1", "6399"]
        assert "'localhost' is a hostname and resolve-hostnames is no; resolved it once to " \
               "127.0.0.1" in node.log()
        with open(node.conf_path) as f:
            assert "sentinel monitor mymaster 127.0.0.1 6399 1" in f.read()
    finally:
        node.stop()
    # An unresolvable name is still refused, with Redis's error.
    with open(conf, "w") as f:
        f.write("port 0\nbind 127.0.0.1\nsentinel monitor m no-such-host.invalid 6399 1\n")
    r = _run(sh.tandem_sentinel_binary(), [conf], d)
    assert r.returncode == 1 and "Can't resolve instance hostname." in r.stderr


EXAMPLE_SENTINEL_CONF = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared",
                                     "examples", "sentinel.conf")


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                    reason="needs root and unshare for a private network and mount namespace")
def test_users_example_sentinel_conf_loads_as_is(tmp_path):
    # The users' sentinel.conf, byte for byte: it binds 0.0.0.0, daemonizes, logs to
    # /var/log/redis-cluster and writes its pid to /var/run/redis-cluster, and monitors the
    # console host by name. The test runs it in a network and mount namespace of its own (only
    # a loopback interface, private /var/log and /run, an /etc/hosts naming the console host),
    # so nothing of this machine is touched.
    if not os.path.exists(EXAMPLE_SENTINEL_CONF):
        pytest.skip("../shared/examples/sentinel.conf is not here")
    d = str(tmp_path)
    conf = os.path.join(d, "sentinel.conf")
    shutil.copyfile(EXAMPLE_SENTINEL_CONF, conf)
    with open(os.path.join(d, "hosts"), "w") as f:
        f.write("127.0.0.1 localhost\n127.0.0.11 dev.backend-console-internal.example.com\n")
    script = f"""
set -e
ip link set lo up
mount -t tmpfs tmpfs /var/log
mount -t tmpfs tmpfs /run
mkdir -p /var/log/redis-cluster /run/redis-cluster
mount --bind {d}/hosts /etc/hosts
pidfile=/var/run/redis-cluster/redis-sentinel.pid
trap '[ -s $pidfile ] && kill -9 $(cat $pidfile) 2>/dev/null; true' EXIT
if {sh.STOCK_SENTINEL} {conf} 2>{d}/stock.err; then echo STOCK-STARTED; fi
{sh.tandem_sentinel_binary()} {conf}
for i in $(seq 1 100); do
  [ -s /var/run/redis-cluster/redis-sentinel.pid ] && redis-cli -p 26389 ping >/dev/null 2>&1 \
    && break
  sleep 0.1
done
echo "ADDR $(redis-cli -p 26389 --no-raw sentinel get-master-addr-by-name redis-dev-cluster \
  | tr '\\n' ' ')"
echo "QUORUM $(redis-cli -p 26389 sentinel master redis-dev-cluster | paste -sd' ')"
pid=$(cat $pidfile)
kill "$pid"
for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
echo "LOG-START"
cat /var/log/redis-cluster/redis-sentinel.log
"""
    r = subprocess.run(["unshare", "--mount", "--net", "--propagation", "private", "--fork",
                        "bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "STOCK-STARTED" not in r.stdout
    with open(os.path.join(d, "stock.err")) as f:
        assert "Can't resolve instance hostname." in f.read()
    assert 'ADDR 1) "127.0.0.11" 2) "6389"' in r.stdout, r.stdout
    quorum = r.stdout.split("QUORUM ", 1)[1].split("\n", 1)[0].split(" ")
    assert quorum[quorum.index("down-after-milliseconds") + 1] == "6001"
    assert quorum[quorum.index("failover-timeout") + 1] == "60000"
    assert quorum[quorum.index("quorum") + 1] == "2"
    log = r.stdout.split("LOG-START\n", 1)[1]
    assert "resolved it once to 127.0.0.11" in log
    assert "+monitor master redis-dev-cluster 127.0.0.11 6389 quorum 2" in log
    assert "Sentinel is now ready to exit" in log or "ready to exit" in log.lower()
    # The state Sentinel learned went into the file, which still loads.
    with open(conf) as f:
        text = f.read()
    assert "sentinel myid " in text and "sentinel monitor redis-dev-cluster 127.0.0.11 6389 2" in text
