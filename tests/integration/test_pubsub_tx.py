"""Pub/Sub across clients, keyspace notifications and WATCH across clients, proven against
stock Redis 7.0.15 and tandem in the same run."""
import pytest

import tandem_harness as th


@pytest.fixture(params=["stock", "tandem"])
def server(request, tmp_path):
    if request.param == "stock":
        binary = request.getfixturevalue("redis_binary")
    else:
        binary = request.getfixturevalue("tandem_binary")
    srv = th.launch(binary, str(tmp_path / request.param))
    yield srv
    srv.stop()


def test_publish_reaches_channel_and_pattern_subscribers_in_order(server):
    sub = server.raw()
    psub = server.raw()
    pub = server.raw()
    assert sub.command("SUBSCRIBE", "news") == [b"subscribe", b"news", 1]
    assert psub.command("PSUBSCRIBE", "n*") == [b"psubscribe", b"n*", 1]
    assert pub.command("PUBSUB", "NUMSUB", "news") == [b"news", 1]
    assert pub.command("PUBSUB", "NUMPAT") == 1
    for i in range(5):
        assert pub.command("PUBLISH", "news", f"m{i}") == 2
    for i in range(5):
        assert th.parse(sub.read_reply()) == [b"message", b"news", f"m{i}".encode()]
        assert th.parse(psub.read_reply()) == [b"pmessage", b"n*", b"news", f"m{i}".encode()]
    assert pub.command("PUBLISH", "other", "x") == 0


def test_resp3_subscriber_gets_push_frames_and_can_run_commands(server):
    sub = server.raw()
    pub = server.raw()
    sub.command("HELLO", "3")
    sub.send_command("SUBSCRIBE", "ch")
    assert sub.read_reply() == b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    # RESP3 clients may run ordinary commands while subscribed.
    assert sub.command("SET", "k", "v") == b"OK"
    assert pub.command("PUBLISH", "ch", "hello") == 1
    assert sub.read_reply() == b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n"


def test_resp2_subscriber_is_restricted(server):
    sub = server.raw()
    sub.command("SUBSCRIBE", "ch")
    err = sub.command("GET", "k")
    assert isinstance(err, th.RespError)
    assert err.message.startswith(b"ERR Can't execute 'get': only (P|S)SUBSCRIBE")
    assert sub.command("PING") == [b"pong", b""]


def test_subscriber_disconnect_removes_its_subscriptions(server):
    sub = server.raw()
    pub = server.raw()
    sub.command("SUBSCRIBE", "gone")
    sub.close()
    th.wait_for(lambda: pub.command("PUBSUB", "NUMSUB", "gone") == [b"gone", 0], timeout=5,
                message="subscription removed after disconnect")
    assert pub.command("PUBLISH", "gone", "x") == 0


def test_keyspace_notifications(server):
    admin = server.raw()
    sub = server.raw()
    assert admin.command("CONFIG", "SET", "notify-keyspace-events", "KEA") == b"OK"
    sub.command("PSUBSCRIBE", "__key*__:*")
    admin.command("SET", "k", "v")
    admin.command("EXPIRE", "k", "100")
    admin.command("DEL", "k")
    want = [
        [b"pmessage", b"__key*__:*", b"__keyspace@0__:k", b"set"],
        [b"pmessage", b"__key*__:*", b"__keyevent@0__:set", b"k"],
        [b"pmessage", b"__key*__:*", b"__keyspace@0__:k", b"expire"],
        [b"pmessage", b"__key*__:*", b"__keyevent@0__:expire", b"k"],
        [b"pmessage", b"__key*__:*", b"__keyspace@0__:k", b"del"],
        [b"pmessage", b"__key*__:*", b"__keyevent@0__:del", b"k"],
    ]
    for w in want:
        assert th.parse(sub.read_reply()) == w


def test_new_key_events(server):
    """Class n (not part of A): "new" when a command creates a key, not when it overwrites."""
    admin = server.raw()
    sub = server.raw()
    assert admin.command("CONFIG", "SET", "notify-keyspace-events", "En") == b"OK"
    sub.command("SUBSCRIBE", "__keyevent@0__:new")
    admin.command("SET", "fresh", "1")
    admin.command("SET", "fresh", "2")  # overwrite: no event
    admin.command("RPUSH", "list", "a")
    admin.command("HSET", "h", "f", "v")
    got = [th.parse(sub.read_reply()) for _ in range(3)]
    assert got == [[b"message", b"__keyevent@0__:new", k] for k in (b"fresh", b"list", b"h")]
    admin.command("CONFIG", "SET", "notify-keyspace-events", "")
    admin.command("SET", "quiet", "1")
    assert admin.command("PUBSUB", "NUMSUB", "__keyevent@0__:new") == [b"__keyevent@0__:new", 1]


def test_expired_event_from_active_expiry(server):
    admin = server.raw()
    sub = server.raw()
    admin.command("CONFIG", "SET", "notify-keyspace-events", "Ex")
    sub.command("SUBSCRIBE", "__keyevent@0__:expired")
    admin.command("SET", "short", "v", "PX", "50")
    # Bounded: the active cycle (hz 10) finds it within a few hundred ms.
    msg = th.parse(sub.read_reply(timeout=5))
    assert msg == [b"message", b"__keyevent@0__:expired", b"short"]


def test_watch_is_broken_by_another_client(server):
    a = server.raw()
    b = server.raw()
    a.command("SET", "balance", "10")
    assert a.command("WATCH", "balance") == b"OK"
    b.command("INCRBY", "balance", "5")
    assert a.command("MULTI") == b"OK"
    assert a.command("DECRBY", "balance", "10") == b"QUEUED"
    assert a.command("EXEC") is None
    assert a.command("GET", "balance") == b"15"
    # Not broken when nobody touches the key.
    a.command("WATCH", "balance")
    a.command("MULTI")
    a.command("DECRBY", "balance", "10")
    assert a.command("EXEC") == [5]


def test_watch_is_broken_by_expiry(server):
    a = server.raw()
    a.command("SET", "lease", "x", "PX", "100")
    a.command("WATCH", "lease")
    th.wait_for(lambda: server.raw().command("EXISTS", "lease") == 0, timeout=5,
                message="lease expired")
    a.command("MULTI")
    a.command("SET", "lease", "mine")
    assert a.command("EXEC") is None


def test_slow_subscriber_is_disconnected_by_pubsub_limit(server):
    admin = server.raw()
    assert admin.command("CONFIG", "SET", "client-output-buffer-limit",
                         "pubsub 256kb 128kb 60") == b"OK"
    slow = server.raw()
    slow.command("SUBSCRIBE", "firehose")
    slow.sock.setsockopt(th.socket.SOL_SOCKET, th.socket.SO_RCVBUF, 4096)
    good = server.raw()
    good.command("SUBSCRIBE", "firehose")
    payload = "x" * 10000
    published = 0
    # Bounded: 2,000 messages of 10 KB overfill a 256 KB hard limit many times over.
    for _ in range(2000):
        admin.command("PUBLISH", "firehose", payload)
        published += 1
        # The good subscriber keeps reading, so only the slow one falls behind.
        msg = th.parse(good.read_reply(timeout=5))
        assert msg[0] == b"message"
        numsub = admin.command("PUBSUB", "NUMSUB", "firehose")
        if numsub[1] == 1:
            break
    assert admin.command("PUBSUB", "NUMSUB", "firehose") == [b"firehose", 1]
    assert admin.command("PING") == b"PONG"
    assert admin.command("PUBLISH", "firehose", "after") == 1
    assert th.parse(good.read_reply(timeout=5)) == [b"message", b"firehose", b"after"]
