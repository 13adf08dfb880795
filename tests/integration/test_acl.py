"""ACL and authentication (issue #8): users, rules, permission checks, AUTH/HELLO, requirepass,
the ACL file and `user` directives, CONFIG REWRITE of users, ACL LOG, the auth matrix over the
whole command table, masterauth/masteruser replication and a tandem-sentinel monitoring with
Redis's documented least-privilege Sentinel user.

Every test that can runs against stock Redis 7.0.15 ("stock") AND tandem ("tandem") with the same
assertions, so each expectation is proven on Redis in the same run. Known, documented
differences: ACL LIST / GETUSER print the single commands after the categories in stock's dict
order (random per process), so those are compared as sets; INFO acl_access_denied_* exist in
tandem only (Redis 7.2 names; 7.0.15 has no such fields). Servers bind 127.0.0.1 only.
"""

import os
import subprocess
import time

import pytest

import sentinel_harness as sh
import tandem_harness as th

HOST = th.HOST


@pytest.fixture(params=["stock", "tandem"])
def binary(request):
    if request.param == "stock":
        return request.getfixturevalue("redis_binary")
    return request.getfixturevalue("tandem_binary")


@pytest.fixture
def spawn(binary, tmp_path):
    started = []

    def _spawn(*extra, name="srv", bin_=None):
        srv = th.launch(bin_ or binary, str(tmp_path / f"{name}{len(started)}"),
                        [str(a) for a in extra])
        started.append(srv)
        return srv

    yield _spawn
    for srv in started:
        srv.stop()


def cmd(conn, *args):
    """One command on a RawConn: the parsed reply, errors returned (not raised) as bytes."""
    conn.send_command(*args)
    raw = conn.read_reply()
    if raw.startswith(b"-"):
        return raw[1:-2]
    return th.parse(raw)


def rules_of(line):
    """An ACL LIST line split into (fixed prefix words, set of single-command words): the
    single commands after the categories come in stock's dict order."""
    words = line.split()
    fixed = [w for w in words if not (w[:1] in (b"+", b"-") and not w.startswith((b"+@", b"-@")))]
    single = {w for w in words if w not in fixed}
    return fixed, single


# --------------------------------------------------------------------------
# ACL SETUSER / GETUSER / LIST / USERS / DELUSER / WHOAMI / CAT / GENPASS / HELP
# --------------------------------------------------------------------------

def test_acl_user_management(spawn):
    srv = spawn()
    c = srv.raw()
    assert cmd(c, "ACL", "LIST") == [b"user default on nopass ~* &* +@all"]
    assert cmd(c, "ACL", "WHOAMI") == b"default"
    assert cmd(c, "ACL", "SETUSER", "bob") == b"OK"
    assert cmd(c, "ACL", "SETUSER", "bob", "%R~foo", "%W~bar", "%RW~baz", "~qux", "&ch", "+get",
               "+client|id", "-@all") == b"OK"
    assert cmd(c, "ACL", "LIST") == [
        b"user bob off %R~foo %W~bar ~baz ~qux resetchannels &ch -@all",
        b"user default on nopass ~* &* +@all"]
    assert cmd(c, "ACL", "SETUSER", "alice", "on", ">pw", "~k*", "&ch*", "+get", "+set") == b"OK"
    fixed, single = rules_of(cmd(c, "ACL", "LIST")[0])
    assert fixed == [b"user", b"alice", b"on",
                     b"#30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4",
                     b"~k*", b"resetchannels", b"&ch*", b"-@all"]
    assert single == {b"+get", b"+set"}
    assert cmd(c, "ACL", "SETUSER", "r3", "+@all", "-@dangerous", "+keys") == b"OK"
    fixed, single = rules_of(cmd(c, "ACL", "LIST")[3])
    assert fixed == [b"user", b"r3", b"off", b"resetchannels", b"+@all", b"-@admin"]
    assert single == {b"-restore", b"-info", b"-flushdb", b"-flushall", b"-migrate", b"-sort",
                      b"-restore-asking", b"-sort_ro", b"-swapdb"}
    assert cmd(c, "ACL", "SETUSER", "sel", "reset", "(+get ~a*)", "+ping") == b"OK"
    assert cmd(c, "ACL", "GETUSER", "sel") == [
        b"flags", [b"off", b"sanitize-payload"], b"passwords", [], b"commands", b"-@all +ping",
        b"keys", b"", b"channels", b"", b"selectors",
        [[b"commands", b"-@all +get", b"keys", b"~a*", b"channels", b""]]]
    assert cmd(c, "ACL", "GETUSER", "nobody") is None
    assert cmd(c, "ACL", "USERS") == [b"alice", b"bob", b"default", b"r3", b"sel"]
    assert cmd(c, "ACL", "DELUSER", "default") == b"ERR The 'default' user cannot be removed"
    assert cmd(c, "ACL", "DELUSER", "bob", "nosuch", "r3") == 2
    assert cmd(c, "ACL", "CAT")[:3] == [b"keyspace", b"read", b"write"]
    assert len(cmd(c, "ACL", "CAT")) == 21
    assert b"get" in cmd(c, "ACL", "CAT", "read")
    assert b"xadd" in cmd(c, "ACL", "CAT", "stream")  # Redis's whole command set
    assert cmd(c, "ACL", "CAT", "nosuch") == b"ERR Unknown category 'nosuch'"
    assert cmd(c, "ACL", "CAT", "a", "b") == (
        b"ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP.")
    assert len(cmd(c, "ACL", "GENPASS")) == 64
    assert len(cmd(c, "ACL", "GENPASS", "5")) == 2
    assert cmd(c, "ACL", "GENPASS", "0").startswith(b"ERR ACL GENPASS argument must be")
    assert cmd(c, "ACL", "GETUSER") == b"ERR wrong number of arguments for 'acl|getuser' command"
    assert cmd(c, "ACL", "NOSUCH") == b"ERR unknown subcommand 'NOSUCH'. Try ACL HELP."
    helptext = cmd(c, "ACL", "HELP")
    assert helptext[0].startswith(b"ACL <subcommand>") and helptext[-1] == b"    Prints this help."
    assert len(helptext) == 29


def test_setuser_errors(spawn):
    c = spawn().raw()
    cases = {
        "%X~a": b"Syntax error",
        "bogus": b"Syntax error",
        "<nope": b"The password you are trying to remove from the user does not exist",
        "#abc": (b"The password hash must be exactly 64 characters and contain only lowercase "
                 b"hexadecimal characters"),
        "+nosuch": b"Unknown command or category name in ACL",
        "+@nosuch": b"Unknown command or category name in ACL",
        "+client|nosuch": b"Unknown command or category name in ACL",
        "+config|": b"Syntax error",
        "+client|id|x": b"Allowing first-arg of a subcommand is not supported",
        "-select|0": b"Unknown command or category name in ACL",
    }
    for rule, why in cases.items():
        assert cmd(c, "ACL", "SETUSER", "carol", rule) == (
            b"ERR Error in ACL SETUSER modifier '" + rule.encode() + b"': " + why), rule
    assert cmd(c, "ACL", "GETUSER", "carol") is None
    assert cmd(c, "ACL", "SETUSER", "carol", "allkeys", "~x").startswith(
        b"ERR Error in ACL SETUSER modifier '~x': Adding a pattern after the * pattern")
    assert cmd(c, "ACL", "SETUSER", "a b") == b"ERR Usernames can't contain spaces or null characters"
    assert cmd(c, "ACL", "SETUSER", "carol", "(+get") == (
        b"ERR Unmatched parenthesis in acl selector starting at '(+get'.")


# --------------------------------------------------------------------------
# Permission checks, MULTI, DRYRUN, ACL LOG, AUTH / HELLO
# --------------------------------------------------------------------------

def test_permissions_multi_dryrun_log(spawn, binary):
    srv = spawn()
    admin = srv.raw()
    assert cmd(admin, "ACL", "SETUSER", "alice", "on", ">pw", "~k*", "%R~r*", "&ch*", "+get",
               "+set", "+publish", "+subscribe", "+psubscribe", "+multi", "+exec", "+client|id",
               "+select|0") == b"OK"
    c = srv.raw()
    assert cmd(c, "AUTH", "alice", "pw") == b"OK"
    assert cmd(c, "ACL", "WHOAMI") == (
        b"NOPERM this user has no permissions to run the 'acl|whoami' command")
    assert cmd(c, "GET", "k1") is None
    assert cmd(c, "GET", "x1") == (
        b"NOPERM this user has no permissions to access one of the keys used as arguments")
    assert cmd(c, "GET", "r1") is None
    assert cmd(c, "SET", "r1", "v") == (
        b"NOPERM this user has no permissions to access one of the keys used as arguments")
    assert cmd(c, "DEL", "k1") == b"NOPERM this user has no permissions to run the 'del' command"
    assert cmd(c, "CLIENT", "LIST") == (
        b"NOPERM this user has no permissions to run the 'client|list' command")
    assert cmd(c, "SELECT", "0") == b"OK"
    assert cmd(c, "SELECT", "1") == (
        b"NOPERM this user has no permissions to run the 'select' command")
    assert cmd(c, "PUBLISH", "nope", "m") == (
        b"NOPERM this user has no permissions to access one of the channels used as arguments")
    assert cmd(c, "PSUBSCRIBE", "ch1*") == (
        b"NOPERM this user has no permissions to access one of the channels used as arguments")
    assert cmd(c, "PUBLISH", "ch1", "m") == 0
    # Inside MULTI the rejection comes at queue time and EXEC aborts.
    assert cmd(c, "MULTI") == b"OK"
    assert cmd(c, "GET", "k") == b"QUEUED"
    assert cmd(c, "DEL", "k1") == b"NOPERM this user has no permissions to run the 'del' command"
    assert cmd(c, "EXEC") == b"EXECABORT Transaction discarded because of previous errors."
    # Rules changed between queueing and EXEC.
    assert cmd(c, "MULTI") == b"OK"
    assert cmd(c, "GET", "k1") == b"QUEUED"
    assert cmd(admin, "ACL", "SETUSER", "alice", "-get") == b"OK"
    res = cmd(c, "EXEC")
    assert len(res) == 1 and isinstance(res[0], th.RespError)
    assert res[0].message == (
        b"NOPERM ACLs rules changed between the moment the transaction was accumulated and the "
        b"EXEC call. This command is no longer allowed for the following reason: no permission "
        b"to execute the command or subcommand")
    # DRYRUN
    assert cmd(admin, "ACL", "DRYRUN", "alice", "set", "k1", "v") == b"OK"
    assert cmd(admin, "ACL", "DRYRUN", "alice", "set", "x1", "v") == (
        b"This user has no permissions to access the 'x1' key")
    assert cmd(admin, "ACL", "DRYRUN", "alice", "del", "k1") == (
        b"This user has no permissions to run the 'del' command")
    assert cmd(admin, "ACL", "DRYRUN", "alice", "publish", "nope", "m") == (
        b"This user has no permissions to access the 'nope' channel")
    assert cmd(admin, "ACL", "DRYRUN", "alice", "nosuch") == b"ERR Command 'nosuch' not found"
    assert cmd(admin, "ACL", "DRYRUN", "nobody", "get", "a") == b"ERR User 'nobody' not found"
    assert cmd(admin, "ACL", "DRYRUN", "alice", "get") == (
        b"ERR wrong number of arguments for 'get' command")
    # AUTH failures
    assert cmd(c, "AUTH", "alice", "bad") == (
        b"WRONGPASS invalid username-password pair or user is disabled.")
    assert cmd(c, "AUTH", "nobody", "pw") == (
        b"WRONGPASS invalid username-password pair or user is disabled.")
    assert cmd(c, "AUTH", "pw") == (
        b"ERR AUTH <password> called without any password configured for the default user. "
        b"Are you sure your configuration is correct?")
    assert cmd(c, "HELLO", "3", "AUTH", "alice", "bad") == (
        b"WRONGPASS invalid username-password pair or user is disabled.")
    # ACL LOG: newest first, grouped.
    log = cmd(admin, "ACL", "LOG", "100")
    first = dict(zip(log[0][0::2], log[0][1::2]))
    assert first[b"reason"] == b"auth" and first[b"object"] == b"HELLO"
    assert first[b"username"] == b"alice" and first[b"context"] == b"toplevel"
    assert [k for k in log[0][0::2]] == [b"count", b"reason", b"context", b"object",
                                         b"username", b"age-seconds", b"client-info"]
    reasons = [dict(zip(e[0::2], e[1::2]))[b"reason"] for e in log]
    assert set(reasons) == {b"auth", b"command", b"key", b"channel"}
    assert len(cmd(admin, "ACL", "LOG", "1")) == 1
    assert cmd(admin, "ACL", "LOG", "x") == b"ERR value is not an integer or out of range"
    if binary != th.redis_binary():
        info = cmd(admin, "INFO", "stats").decode()
        fields = dict(line.split(":", 1) for line in info.split("\r\n") if ":" in line)
        assert int(fields["acl_access_denied_auth"]) == 3
        assert int(fields["acl_access_denied_cmd"]) >= 4
        assert int(fields["acl_access_denied_key"]) >= 2
        assert int(fields["acl_access_denied_channel"]) >= 2
    assert cmd(admin, "ACL", "LOG", "RESET") == b"OK"
    assert cmd(admin, "ACL", "LOG") == []


def test_deluser_kills_clients_off_does_not_revoked_channel_does(spawn):
    srv = spawn()
    admin = srv.raw()
    assert cmd(admin, "ACL", "SETUSER", "carol", "on", ">pw", "+ping", "+subscribe", "&ch1",
               "allkeys") == b"OK"
    c = srv.raw()
    assert cmd(c, "AUTH", "carol", "pw") == b"OK"
    assert cmd(admin, "ACL", "SETUSER", "carol", "off") == b"OK"
    assert cmd(c, "PING") == b"PONG"  # off only refuses new AUTHs (7.0)
    assert cmd(c, "AUTH", "carol", "pw") == (
        b"WRONGPASS invalid username-password pair or user is disabled.")
    assert cmd(admin, "ACL", "SETUSER", "carol", "on") == b"OK"
    sub = srv.raw()
    assert cmd(sub, "AUTH", "carol", "pw") == b"OK"
    assert cmd(sub, "SUBSCRIBE", "ch1") == [b"subscribe", b"ch1", 1]
    assert cmd(admin, "ACL", "SETUSER", "carol", "resetchannels", "&ch2") == b"OK"
    assert sub.is_closed_by_peer(timeout=3)
    assert cmd(c, "PING") == b"PONG"
    assert cmd(admin, "ACL", "DELUSER", "carol") == 1
    assert c.is_closed_by_peer(timeout=3)


# --------------------------------------------------------------------------
# requirepass, CONFIG SET requirepass, the auth matrix
# --------------------------------------------------------------------------

def test_requirepass_is_the_default_users_password(spawn):
    srv = spawn()
    c = srv.raw()
    assert cmd(c, "CONFIG", "SET", "requirepass", "foo") == b"OK"
    assert cmd(c, "ACL", "LIST") == [
        b"user default on #2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae "
        b"~* &* +@all"]
    n = srv.raw()
    assert cmd(n, "GET", "x") == b"NOAUTH Authentication required."
    assert cmd(n, "AUTH", "bad") == b"WRONGPASS invalid username-password pair or user is disabled."
    assert cmd(n, "AUTH", "default", "foo") == b"OK"
    assert cmd(c, "CONFIG", "SET", "requirepass", "") == b"OK"
    assert cmd(c, "ACL", "LIST") == [b"user default on nopass ~* &* +@all"]
    assert cmd(srv.raw(), "GET", "x") is None


def _matrix(srv):
    """First byte of every command's reply (and the whole error) sent unauthenticated."""
    admin = srv.raw()
    names = sorted(n.decode() for n in cmd(admin, "COMMAND", "LIST"))
    assert cmd(admin, "CONFIG", "SET", "requirepass", "secret") == b"OK"
    out = {}
    for name in names:
        if name in ("shutdown", "quit", "monitor", "sync", "psync", "debug", "subscribe",
                    "psubscribe", "ssubscribe"):
            continue
        c = srv.raw(timeout=5)
        # Arity-correct dummy arguments so the auth check, not the arity check, answers.
        c.send_command(name, "a", "b", "c", "d", "e")
        reply = c.read_reply()
        out[name] = reply
        c.close()
    return out


def test_auth_matrix_noauth_for_every_command(tmp_path, tandem_binary, redis_binary):
    srvs = [th.launch(b, str(tmp_path / k)) for k, b in (("t", tandem_binary),
                                                          ("s", redis_binary))]
    try:
        tandem_out = _matrix(srvs[0])
        stock_out = _matrix(srvs[1])
    finally:
        for s in srvs:
            s.stop()
    checked = 0
    let_through = set()
    for name, reply in tandem_out.items():
        if name not in stock_out:
            continue  # tandem lacks the command (stock has more)
        checked += 1
        if reply.startswith(b"-NOAUTH") or stock_out[name].startswith(b"-NOAUTH"):
            assert reply == stock_out[name], name
        else:
            # AUTH / HELLO answer; containers reject the unknown subcommand before the auth
            # check, in both servers with the same text.
            let_through.add(name)
            assert reply[:1] == stock_out[name][:1], name
            if name not in ("auth", "hello"):
                assert reply == stock_out[name], name
    assert {"auth", "hello"} <= let_through
    assert checked > 150
    # Arity is checked before authentication (GET with 5 arguments), as in Redis.
    assert tandem_out["get"] == b"-ERR wrong number of arguments for 'get' command\r\n"
    assert sum(r.startswith(b"-NOAUTH") for r in tandem_out.values()) > 80


# --------------------------------------------------------------------------
# aclfile, user directives, CONFIG REWRITE
# --------------------------------------------------------------------------

def test_user_directives_and_config_rewrite(binary, tmp_path):
    port = th.free_port()
    conf = tmp_path / "r.conf"
    conf.write_text(f"port {port}\nbind 127.0.0.1\nsave \"\"\ndir {tmp_path}\n"
                    "user bob on >x ~* +get\nuser default on nopass ~* &* +@all\n")
    proc = th.start_server(binary, [str(conf)], cwd=str(tmp_path), port=port,
                           logfile=str(tmp_path / "log"))
    try:
        c = th.RawConn(HOST, port)
        assert cmd(c, "ACL", "LIST") == [
            b"user bob on #2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 ~* "
            b"resetchannels -@all +get",
            b"user default on nopass sanitize-payload ~* &* +@all"]  # declared: reset first
        assert cmd(c, "ACL", "SETUSER", "zed", "on", ">z") == b"OK"
        assert cmd(c, "ACL", "SAVE").startswith(b"ERR This Redis instance is not configured")
        assert cmd(c, "CONFIG", "REWRITE") == b"OK"
        text = conf.read_text()
        users = [line for line in text.splitlines() if line.startswith("user ")]
        assert users == [
            "user bob on #2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 ~* "
            "resetchannels -@all +get",
            "user default on nopass sanitize-payload ~* &* +@all",
            "user zed on #594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06 "
            "resetchannels -@all"]
        c.close()
    finally:
        proc.stop()
    # A duplicate user stops the start with Redis's error.
    bad = tmp_path / "bad.conf"
    bad.write_text(f"port {port}\nbind 127.0.0.1\nuser x on\nuser x off\n")
    r = subprocess.run([binary, str(bad)], capture_output=True, timeout=10)
    assert r.returncode == 1
    assert (b"Error in user declaration 'x': Duplicate user found. A user can only be defined "
            b"once in config files") in r.stdout + r.stderr


def test_aclfile_load_save(binary, tmp_path):
    port = th.free_port()
    acl = tmp_path / "users.acl"
    acl.write_text("user default on nopass ~* &* +@all\nuser ann on >a +get ~*\n")
    proc = th.start_server(binary, ["--port", port, "--aclfile", str(acl), "--save", "",
                                    "--dir", str(tmp_path)], cwd=str(tmp_path),
                           logfile=str(tmp_path / "log"))
    try:
        c = th.RawConn(HOST, port)
        assert cmd(c, "ACL", "LIST") == [
            b"user ann on #ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb ~* "
            b"resetchannels -@all +get",
            b"user default on nopass ~* &* +@all"]
        assert cmd(c, "ACL", "SETUSER", "zed", "on") == b"OK"
        assert cmd(c, "ACL", "SAVE") == b"OK"
        assert acl.read_text().splitlines()[-1] == "user zed on resetchannels -@all"
        ann = th.RawConn(HOST, port)
        assert cmd(ann, "AUTH", "ann", "a") == b"OK"
        acl.write_text("bogus line\nuser x on +nosuch\nuser x on\n")
        assert cmd(c, "ACL", "LOAD") == (
            f"ERR {acl}:1 should start with user keyword followed by the username. "
            f"{acl}:2: Error in applying operation '+nosuch': Unknown command or category name "
            f"in ACL. WARNING: Duplicate user 'x' found on line 3. WARNING: ACL errors "
            f"detected, no change to the previously active ACL rules was performed"
        ).encode()
        assert cmd(c, "ACL", "USERS") == [b"ann", b"default", b"zed"]
        acl.write_text("user default on nopass ~* &* +@all\nuser q on\n")
        assert cmd(c, "ACL", "LOAD") == b"OK"
        assert cmd(c, "ACL", "USERS") == [b"default", b"q"]
        assert ann.is_closed_by_peer(timeout=3)  # its user was replaced
        c.close()
    finally:
        proc.stop()


# --------------------------------------------------------------------------
# Replication: masterauth / masteruser
# --------------------------------------------------------------------------

def _info(conn, section):
    text = cmd(conn, "INFO", section).decode()
    return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)


def test_replica_needs_masterauth_and_a_limited_masteruser_works(spawn, binary):
    master = spawn(name="master")
    m = master.raw()
    assert cmd(m, "ACL", "SETUSER", "repl", "on", ">rpw", "+psync", "+replconf", "+ping") == b"OK"
    assert cmd(m, "CONFIG", "SET", "requirepass", "mpw") == b"OK"
    assert cmd(m, "SET", "k", "v") == b"OK"
    replica = spawn("--replicaof", HOST, master.port, name="replica")
    r = replica.raw()
    time.sleep(1.5)
    assert _info(r, "replication")["master_link_status"] == "down"
    assert cmd(r, "CONFIG", "SET", "masteruser", "repl", "masterauth", "rpw") == b"OK"
    th.wait_for(lambda: _info(r, "replication")["master_link_status"] == "up", timeout=15,
                message="replica link up with masteruser")
    th.wait_for(lambda: cmd(r, "GET", "k") == b"v", timeout=5, message="data replicated")
    assert int(_info(m, "replication")["connected_slaves"]) == 1


# --------------------------------------------------------------------------
# tandem-sentinel with the least-privilege Sentinel user Redis documents
# --------------------------------------------------------------------------

SENTINEL_USER_RULES = ["on", ">spw", "allchannels", "+multi", "+slaveof", "+ping", "+exec",
                       "+subscribe", "+config|rewrite", "+role", "+publish", "+info",
                       "+client|setname", "+client|kill", "+script|kill"]


def test_sentinel_with_least_privilege_user(tmp_path, tandem_binary):
    sentinel_bin = sh.tandem_sentinel_binary()
    if not sentinel_bin:
        pytest.skip("TANDEM_SENTINEL is not set")
    master = th.launch(tandem_binary, str(tmp_path / "m"))
    replica = th.launch(tandem_binary, str(tmp_path / "r"), ["--replicaof", HOST, master.port,
                                                              "--masteruser", "repl",
                                                              "--masterauth", "rpw"])
    sentinel = None
    try:
        m = master.raw()
        assert cmd(m, "ACL", "SETUSER", "sentinel-user", *SENTINEL_USER_RULES) == b"OK"
        assert cmd(m, "ACL", "SETUSER", "repl", "on", ">rpw", "+psync", "+replconf",
                   "+ping") == b"OK"
        assert cmd(m, "ACL", "SETUSER", "default", "resetpass", ">mpw") == b"OK"
        th.wait_for(lambda: _info(replica.raw(), "replication")["master_link_status"] == "up",
                    timeout=15, message="replica up")
        sport = th.free_port()
        sdir = tmp_path / "s"
        sdir.mkdir()
        conf = sdir / "sentinel.conf"
        conf.write_text("\n".join([
            f"port {sport}", f"bind {HOST}", "daemonize no", f"dir {sdir}",
            f"logfile {sdir / 'sentinel.log'}",
            f"sentinel monitor mymaster {HOST} {master.port} 1",
            "sentinel auth-user mymaster sentinel-user",
            "sentinel auth-pass mymaster spw",
            "sentinel down-after-milliseconds mymaster 5000"]) + "\n")
        sentinel = sh.start_process([sentinel_bin, str(conf)], HOST, sport,
                                    str(sdir / "stdout.log"), str(sdir))
        s = th.RawConn(HOST, sport)

        def master_state():
            reply = cmd(s, "SENTINEL", "MASTER", "mymaster")
            d = dict(zip(reply[0::2], reply[1::2]))
            return d if d.get(b"num-slaves") == b"1" else None

        state = th.wait_for(master_state, timeout=20, message="sentinel sees the replica")
        assert state[b"flags"] == b"master"
        log = cmd(m, "ACL", "LOG")
        assert not any(b"sentinel-user" in b"".join(x for x in e if isinstance(x, bytes))
                       for e in log), log
    finally:
        if sentinel:
            sentinel.stop()
        replica.stop()
        master.stop()
