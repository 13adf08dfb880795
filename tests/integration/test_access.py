"""Access control that is not ACL (issue #8), each case against tandem and stock Redis 7.0.15 with
the replies compared byte for byte:

- protected mode in the server and in a Sentinel: only 127.0.0.1 and ::1 count as local (a
  client from 127.0.0.2 is refused with -DENIED and closed, as Redis 7.0 does); a password or
  `protected-mode no` lets it in; `enable-debug-command local` uses the same rule;
- `rename-command` in the server: the old name is unknown, the new one works, "" removes it;
- Sentinels with `requirepass` talking to each other with `sentinel sentinel-pass`: a mixed
  group (tandem and stock Sentinels) finds each other and reports nothing down, and a Sentinel
  with the wrong sentinel-pass sees its peers as down (their answer is -NOAUTH, not PONG).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import List

import pytest
import redis

import sentinel_harness as sh
import tandem_harness as th

LOCAL, OTHER = "127.0.0.1", "127.0.0.2"  # OTHER is loopback too, but not "local" to Redis


def kinds():
    return ["tandem", "stock"]


def server_bin(kind: str) -> str:
    if kind == "stock":
        return sh.STOCK_SERVER
    path = th.tandem_binary()
    if not path:
        pytest.skip("TANDEM_SERVER is not set")
    return path


def sentinel_bin(kind: str) -> str:
    if kind == "stock":
        return sh.STOCK_SENTINEL
    path = sh.tandem_sentinel_binary()
    if not path:
        pytest.skip("TANDEM_SENTINEL is not set")
    return path


def start(kind: str, what: str, d: str, lines: List[str], port: int) -> th.Proc:
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "node.conf")
    with open(conf, "w") as f:
        f.write("\n".join(lines + [f"port {port}", f"dir {d}", "daemonize no"]) + "\n")
    binary = sentinel_bin(kind) if what == "sentinel" else server_bin(kind)
    return sh.start_process([binary, conf], LOCAL, port, os.path.join(d, "log.txt"), d)


def exchange(src: str, port: int, payload: bytes, dst: str = OTHER) -> bytes:
    """Connects from `src` to dst:port, sends payload, returns what arrives within 2 s or until
    the server closes the connection."""
    with socket.socket() as s:
        s.settimeout(2)
        s.bind((src, 0))
        s.connect((dst, port))
        s.sendall(payload)
        out = b""
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                return out + b"<closed>"
            if not chunk:
                return out + b"<closed>"
            out += chunk
            if out.endswith(b"\r\n") and payload.count(b"\r\n") <= out.count(b"\r\n"):
                s.settimeout(0.3)  # complete: is the connection closed after it?
                try:
                    if s.recv(65536) == b"":
                        return out + b"<closed>"
                except ConnectionResetError:  # closed with our request unread: RST
                    return out + b"<closed>"
                except socket.timeout:
                    pass
                break
        return out


def free_port() -> int:
    return th.free_port()


def both(transcript, *args):
    """(tandem's, stock's) result of transcript(kind, *args)."""
    return transcript("tandem", *args), transcript("stock", *args)


# --------------------------------------------------------------------------
# Protected mode
# --------------------------------------------------------------------------

def protected_mode_transcript(kind: str, base: str) -> List[bytes]:
    port = free_port()
    p = start(kind, "server", os.path.join(base, kind),
              [f"bind {LOCAL} {OTHER}", 'save ""', "enable-debug-command local"], port)
    try:
        out = [exchange(OTHER, port, b"PING\r\n"),                    # refused, closed
               exchange(LOCAL, port, b"PING\r\n"),                    # served
               exchange(LOCAL, port, b"DEBUG SLEEP 0\r\n")]
        with redis.Redis(host=LOCAL, port=port) as c:
            c.config_set("protected-mode", "no")
        out += [exchange(OTHER, port, b"PING\r\n"),                   # served
                exchange(OTHER, port, b"DEBUG SLEEP 0\r\n")]          # not local: refused
        with redis.Redis(host=LOCAL, port=port) as c:
            c.config_set("protected-mode", "yes")
            c.config_set("requirepass", "pw")
        out += [exchange(OTHER, port, b"PING\r\n"),                   # -NOAUTH, not DENIED
                exchange(OTHER, port, b"AUTH pw\r\nPING\r\n")]
        return out
    finally:
        p.stop()


def test_protected_mode_server_matches_stock(tmp_path):
    tandem, stock = both(protected_mode_transcript, str(tmp_path))
    assert stock[0].startswith(b"-DENIED Redis is running in protected mode")
    assert stock[0].endswith(b"\r\n<closed>")
    assert stock[1] == b"+PONG\r\n" and stock[3] == b"+PONG\r\n"
    assert stock[5].startswith(b"-NOAUTH")
    assert tandem == stock


def sentinel_protected_transcript(kind: str, base: str, protected: bool) -> List[bytes]:
    port = free_port()
    lines = [f"bind {LOCAL} {OTHER}"] + (["protected-mode yes"] if protected else [])
    p = start(kind, "sentinel", os.path.join(base, f"{kind}-{protected}"), lines, port)
    try:
        return [exchange(OTHER, port, b"PING\r\n"), exchange(LOCAL, port, b"PING\r\n")]
    finally:
        p.stop()


@pytest.mark.parametrize("protected", [False, True])
def test_protected_mode_sentinel_matches_stock(tmp_path, protected):
    tandem, stock = both(sentinel_protected_transcript, str(tmp_path), protected)
    # A Sentinel is exposed by default; `protected-mode yes` in sentinel.conf turns it on.
    assert stock[0].startswith(b"-DENIED") == protected, stock
    assert stock[1] == b"+PONG\r\n"
    assert tandem == stock


# --------------------------------------------------------------------------
# rename-command
# --------------------------------------------------------------------------

def rename_transcript(kind: str, base: str) -> List[bytes]:
    port = free_port()
    p = start(kind, "server", os.path.join(base, f"rename-{kind}"),
              [f"bind {LOCAL}", 'save ""', "rename-command CONFIG cfg",
               'rename-command FLUSHALL ""', "rename-command set SetAlias"], port)
    try:
        script = [b"CONFIG GET maxmemory-policy", b"cfg GET maxmemory-policy",
                  b"CFG get maxmemory-policy", b"FLUSHALL", b"SET k v", b"setalias k v",
                  b"GET k", b"MULTI", b"set k w", b"SETALIAS k w", b"EXEC",
                  b"COMMAND COUNT", b"COMMAND INFO config flushall", b"FLUSHDB"]
        out = []
        with socket.create_connection((LOCAL, port), timeout=5) as s:
            for line in script:
                s.sendall(line + b"\r\n")
                data = b""
                deadline = time.monotonic() + 2
                while time.monotonic() < deadline:
                    try:
                        s.settimeout(0.1 if data else 2)
                        chunk = s.recv(65536)
                    except socket.timeout:
                        break
                    if not chunk:
                        break
                    data += chunk
                out.append(data)
        return out
    finally:
        p.stop()


def test_rename_command_matches_stock(tmp_path):
    tandem, stock = both(rename_transcript, str(tmp_path))
    assert stock[0].startswith(b"-ERR unknown command 'CONFIG'")
    assert stock[1] == b"*2\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n"
    # COMMAND COUNT differs (tandem implements fewer commands); everything else is equal.
    for i, (a, b) in enumerate(zip(tandem, stock)):
        if i != 11:
            assert a == b, (i, a, b)


# --------------------------------------------------------------------------
# requirepass + sentinel-pass between Sentinels
# --------------------------------------------------------------------------

def test_sentinel_pass_between_mixed_sentinels(tmp_path):
    base = str(tmp_path)
    mport = free_port()
    master = start("tandem", "server", os.path.join(base, "master"),
                   [f"bind {LOCAL}", 'save ""', "requirepass mpw"], mport)
    procs = [master]
    try:
        def sconf(pw: str) -> List[str]:
            return [f"bind {LOCAL}", "requirepass spw", f"sentinel sentinel-pass {pw}",
                    f"sentinel monitor m {LOCAL} {mport} 2", "sentinel auth-pass m mpw",
                    "sentinel down-after-milliseconds m 1000"]
        group = []
        for i, kind in enumerate(["tandem", "stock", "tandem"]):
            port = free_port()
            procs.append(start(kind, "sentinel", os.path.join(base, f"s{i}"), sconf("spw"),
                               port))
            group.append(redis.Redis(host=LOCAL, port=port, password="spw", socket_timeout=5,
                                     decode_responses=True))
        for c in group:
            c.execute_command("SENTINEL", "DEBUG", *sh.FAST_DEBUG)

        def all_known():
            return all(c.sentinel_master("m")["num-other-sentinels"] == 2 for c in group)
        sh.wait_for(all_known, timeout=20, message="the three Sentinels discover each other")
        time.sleep(2.5)  # two down-after periods: a peer refusing AUTH would be s_down by now
        for c in group:
            peers = c.execute_command("SENTINEL", "SENTINELS", "m")
            assert len(peers) == 2
            for p in peers:
                info = dict(zip(p[::2], p[1::2]))
                assert info["flags"] == "sentinel", info
            assert c.sentinel_master("m")["flags"] == "master"
            # Unauthenticated clients of a Sentinel with requirepass: -NOAUTH, as stock.
            with redis.Redis(host=LOCAL, port=c.connection_pool.connection_kwargs["port"]) as n:
                with pytest.raises(redis.AuthenticationError):
                    n.ping()

        # A fourth Sentinel of each kind with the wrong sentinel-pass: it learns the others from
        # their hellos on the master, but they refuse its AUTH, so in its view they are down.
        for kind in ("tandem", "stock"):
            port = free_port()
            procs.append(start(kind, "sentinel", os.path.join(base, f"wrong-{kind}"),
                               sconf("wrong"), port))
            c = redis.Redis(host=LOCAL, port=port, password="spw", socket_timeout=5,
                            decode_responses=True)
            c.execute_command("SENTINEL", "DEBUG", *sh.FAST_DEBUG)

            def peers_down():
                peers = c.execute_command("SENTINEL", "SENTINELS", "m")
                flags = [dict(zip(p[::2], p[1::2]))["flags"] for p in peers]
                return len(flags) >= 3 and all("s_down" in f for f in flags) and flags
            sh.wait_for(peers_down, timeout=20,
                        message=f"{kind} Sentinel with a wrong sentinel-pass sees peers down")
    finally:
        for p in reversed(procs):
            p.stop()


# --------------------------------------------------------------------------
# Brute-force AUTH
# --------------------------------------------------------------------------

def brute_force(kind: str, base: str) -> dict:
    """4 clients send 100 pipelines of 200 wrong AUTHs each (80,000 attempts) while another
    client PINGs: every attempt gets -WRONGPASS, the right password still works, the PING
    latency is recorded. Then an unauthenticated pipeline whose replies exceed 16 KB: closed
    with nothing sent (stock 7.0.15 carries the fix for CVE-2025-21605)."""
    port = free_port()
    p = start(kind, "server", os.path.join(base, f"brute-{kind}"),
              [f"bind {LOCAL}", 'save ""', "requirepass right"], port)
    rounds, depth, clients = 100, 200, 4
    try:
        ok: List[bool] = []
        lock = threading.Lock()

        def attacker():
            good = True
            with socket.create_connection((LOCAL, port), timeout=30) as s:
                for _ in range(rounds):
                    s.sendall(b"AUTH wrong\r\n" * depth)
                    want = len(WRONGPASS) * depth
                    data = b""
                    while len(data) < want:
                        chunk = s.recv(1 << 20)
                        if not chunk:
                            break
                        data += chunk
                    good = good and data == WRONGPASS * depth
            with lock:
                ok.append(good)

        threads = [threading.Thread(target=attacker) for _ in range(clients)]
        lat = []
        with socket.create_connection((LOCAL, port), timeout=5) as ping:
            ping.sendall(b"AUTH right\r\n")
            assert ping.recv(100) == b"+OK\r\n"
            for t in threads:
                t.start()
            while any(t.is_alive() for t in threads) and len(lat) < 100000:
                t0 = time.perf_counter()
                ping.sendall(b"PING\r\n")
                assert ping.recv(100) == b"+PONG\r\n"
                lat.append(time.perf_counter() - t0)
            for t in threads:
                t.join(timeout=30)
            ping.sendall(b"ACL LOG 1\r\n")
            time.sleep(0.2)
            log = ping.recv(65536)
        assert ok == [True] * clients
        deep = exchange(LOCAL, port, b"AUTH wrong\r\n" * 300, dst=LOCAL)
        noauth = exchange(LOCAL, port, b"PING\r\n" * 2000, dst=LOCAL)
        with redis.Redis(host=LOCAL, port=port, password="right") as c:
            assert c.ping()
        lat.sort()
        return {"p50_ms": 1000 * lat[len(lat) // 2] if lat else None,
                "p99_ms": 1000 * lat[int(len(lat) * 0.99)] if lat else None,
                "pings": len(lat), "log": log, "deep": deep, "noauth": noauth}
    finally:
        p.stop()


WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"


def test_brute_force_auth_is_counted_and_slows_nobody(tmp_path):
    results = {kind: brute_force(kind, str(tmp_path)) for kind in kinds()}
    for kind, r in results.items():
        print(f"brute-force AUTH, 80,000 attempts, {kind}: other client's PING p50 "
              f"{r['p50_ms']:.3f} ms, p99 {r['p99_ms']:.3f} ms over {r['pings']} PINGs")
        assert r["p99_ms"] < 1000  # sanity only: a failed AUTH never sleeps or blocks the loop
        # ACL LOG groups the 80,000 failures into one entry, as Redis does.
        assert b"$5\r\ncount\r\n:80000\r\n" in r["log"], (kind, r["log"][:200])
        assert r["deep"] == b"<closed>" and r["noauth"] == b"<closed>", (kind, r["deep"][:100])
    # tandem also counts them in INFO (Redis 7.2's field; 7.0.15 has none).
    port = free_port()
    p = start("tandem", "server", os.path.join(str(tmp_path), "count"),
              [f"bind {LOCAL}", 'save ""', "requirepass right"], port)
    try:
        for _ in range(5):
            assert exchange(LOCAL, port, b"AUTH wrong\r\n" * 200, dst=LOCAL) == WRONGPASS * 200
        with redis.Redis(host=LOCAL, port=port, password="right") as c:
            assert c.info("stats")["acl_access_denied_auth"] == 1000
    finally:
        p.stop()
