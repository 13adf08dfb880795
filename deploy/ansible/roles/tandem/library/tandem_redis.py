#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""tandem_redis: talk RESP to a tandem-server / tandem-sentinel (or stock Redis) from Ansible.

No client library needed on the hosts: a small RESP2 client over a socket. Every action is
idempotent and reports `changed` only when it changed something.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: tandem_redis
short_description: Query and reconfigure a tandem server or Sentinel over RESP
description:
  - C(ping) tells whether something answers on host:port.
  - C(query) runs read-only commands and returns their replies.
  - C(command) runs one command that changes state (FAILOVER, SHUTDOWN, ...); changed=true.
  - C(server_config) compares a rendered server config with the one last applied (a stamp file)
    and applies changed settings live (CONFIG SET, then CONFIG REWRITE); it reports restart=true
    when a static setting changed (or CONFIG SET refused one) instead of touching the server.
  - C(sentinel_settings) reads the Sentinel's live state and changes only what differs
    (SENTINEL SET for the monitored master, SENTINEL CONFIG SET for the Sentinel itself).
  - C(sentinel_static) compares the static part of a rendered sentinel.conf (port, bind, paths,
    requirepass) with the stamp and, when it differs, rewrites those lines in the live file, keeping
    the state Sentinel wrote there (monitor, known replicas and Sentinels, epochs); restart=true.
  - C(sentinel_conf) reads the C(sentinel monitor) line of a Sentinel config file.
  - C(stamp) writes the stamp of a rendered config (C(kind) server - without replicaof, or
    sentinel - its static lines) after the playbook installed that config. The module writes it,
    not a copy task: a module result containing a no_log value (the password) comes back masked.
  - C(check) waits until the Sentinel's CKQUORUM is OK and the server's ROLE agrees with the
    master the Sentinels name.
options:
  action:
    description: What to do.
    type: str
    required: true
    choices: [ping, query, command, server_config, sentinel_settings, sentinel_static, sentinel_conf,
              check, stamp]
  host:
    description: Address to connect to.
    type: str
    default: 127.0.0.1
  port:
    description: Port to connect to.
    type: int
    default: 6379
  password:
    description: AUTH password ("" for none).
    type: str
    default: ""
    no_log: true
  timeout:
    description: Socket timeout in seconds.
    type: float
    default: 3.0
  commands:
    description: For C(query) a list of commands, for C(command) one command (list of args).
    type: list
    elements: raw
    default: []
  rendered:
    description: Path of the rendered config file (server_config, sentinel_static, stamp).
    type: path
  kind:
    description: stamp - which config C(rendered) is.
    type: str
    choices: [server, sentinel]
    default: server
  stamp:
    description: Path of the stamp file (what was applied last).
    type: path
  live_conf:
    description: Path of the live config file (sentinel_static, sentinel_conf, sentinel_settings).
    type: path
  static_keys:
    description: Server directives that need a restart to change.
    type: list
    elements: str
    default: []
  running:
    description: Whether the process is up (server_config applies changes live only then).
    type: bool
    default: true
  master_name:
    description: Sentinel monitor name.
    type: str
    default: ""
  settings:
    description: Per-master Sentinel settings (SENTINEL SET name key value).
    type: dict
    default: {}
  config_settings:
    description: Sentinel-wide settings (SENTINEL CONFIG SET key value).
    type: dict
    default: {}
  wait:
    description: Seconds to wait (sentinel_settings - for the Sentinel to know the master; check).
    type: float
    default: 0
  sentinel_port:
    description: check - the Sentinel's port on the same host.
    type: int
    default: 26379
  sentinel_password:
    description: check - the Sentinel's password.
    type: str
    default: ""
  expect:
    description: check - the master ("ip port") the Sentinels name.
    type: str
    default: ""
author: tandem maintainers
"""

EXAMPLES = r"""
- name: Is the server up
  tandem_redis:
    action: ping
    host: 127.0.0.11
    port: 6389
"""

RETURN = r"""
up:
  description: ping - something answered.
  type: bool
  returned: always
replies:
  description: >-
    query/command - the replies, decoded as text (not `results`, which Ansible reserves for a
    loop's per-item results: a None in it, SHUTDOWN's missing reply, crashed the controller).
  type: list
  returned: always
restart:
  description: server_config/sentinel_static - a restart is needed to apply the rendered config.
  type: bool
  returned: always
changed_keys:
  description: The directives or settings that differ.
  type: list
  returned: always
monitor:
  description: sentinel_conf - [ip, port] of the `sentinel monitor` line ([] when none).
  type: list
  returned: always
"""

import os
import shlex
import socket
import time

from ansible.module_utils.basic import AnsibleModule


class RespError(Exception):
    pass


class Conn:
    def __init__(self, host, port, password, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        if password:
            self.call("AUTH", password)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        reply = self._read()
        if isinstance(reply, RespError):
            raise reply
        return reply

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"("):
            return rest.decode()
        if kind == b"-" or kind == b"!":
            return RespError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b",":
            return rest.decode()
        if kind == b"#":
            return rest == b"t"
        if kind == b"_":
            return None
        if kind in (b"$", b"="):
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode(errors="replace")
        if kind in (b"*", b"~", b">"):
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        if kind == b"%":
            n = int(rest)
            items = []
            for _ in range(n):
                items += [self._read(), self._read()]
            return items
        raise ConnectionError("unexpected reply %r" % line)


def parse_conf(text):
    """Directives of a redis.conf text as [(name, args)], comments and blank lines dropped."""
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            words = shlex.split(line, posix=True)
        except ValueError:
            words = line.split()
        if words:
            out.append((words[0].lower(), words[1:], line))
    return out


def read(path):
    with open(path, "r", encoding="utf-8") as f:
        return f.read()


# Directives that appear on several lines and are one setting (CONFIG SET joins them).
MULTI = ("save", "client-output-buffer-limit")
REPLICATION = ("replicaof", "slaveof")


def server_settings(text):
    """{name: [line args...]} of a server config, replication lines dropped (Sentinel owns them)."""
    settings = {}
    for name, args, _ in parse_conf(text):
        if name in REPLICATION:
            continue
        if name in MULTI:
            settings.setdefault(name, []).append(args)
        else:
            settings[name] = [args]
    return settings


def stamp_text(text, keep):
    lines = [line for name, args, line in parse_conf(text) if keep(name, args)]
    return "\n".join(lines) + "\n"


def server_stamp_line(name, args):
    return name not in REPLICATION


def is_up(p):
    try:
        conn = Conn(p["host"], p["port"], p["password"], p["timeout"])
        conn.call("PING")
        conn.close()
        return True
    except (OSError, RespError):
        return False


def action_server_config(module, p):
    rendered = read(p["rendered"])
    new_stamp = stamp_text(rendered, server_stamp_line)
    exists = bool(p["live_conf"]) and os.path.exists(p["live_conf"])
    if p["live_conf"]:
        p["running"] = is_up(p)
    res = dict(changed=False, restart=False, changed_keys=[], up=p["running"], exists=exists)
    if p["live_conf"] and not exists:
        return res  # first deploy: the playbook writes the file and the stamp
    old_stamp = read(p["stamp"]) if os.path.exists(p["stamp"]) else None
    if old_stamp == new_stamp:
        return res
    if old_stamp is None:
        # No record of what was applied: the live file cannot be trusted to match.
        res.update(restart=True, changed_keys=["(no stamp)"])
        return res
    old, new = server_settings(old_stamp), server_settings(new_stamp)
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    res["changed_keys"] = keys
    static = set(k.lower() for k in p["static_keys"])
    if any(k in static or k not in new for k in keys) or not p["running"]:
        res["restart"] = True
        return res
    res["changed"] = True
    if module.check_mode:
        return res
    conn = connect(module, p)
    try:
        for k in keys:
            value = " ".join(" ".join(args) for args in new[k])
            try:
                conn.call("CONFIG", "SET", k, value)
            except RespError as e:
                # Refused live (immutable, or unknown to this server): restart with the new file.
                res.update(restart=True, changed=False, refused="%s: %s" % (k, e))
                return res
        conn.call("CONFIG", "REWRITE")
    finally:
        conn.close()
    with open(p["stamp"], "w", encoding="utf-8") as f:
        f.write(new_stamp)
    return res


# sentinel.conf lines that only a restart changes; `sentinel ...` lines are state or live settings.
def sentinel_static_line(name, args):
    return name != "sentinel"


def action_sentinel_static(module, p):
    rendered = read(p["rendered"])
    new_stamp = stamp_text(rendered, sentinel_static_line)
    monitor = action_sentinel_conf(p)["monitor"]
    res = dict(changed=False, restart=False, changed_keys=[], up=is_up(p), monitor=monitor)
    if not monitor:
        return res  # no monitor configuration: the playbook writes the rendered file
    old_stamp = read(p["stamp"]) if os.path.exists(p["stamp"]) else ""
    if old_stamp == new_stamp:
        return res
    new = {n: line for n, _, line in parse_conf(new_stamp)}
    old = {n: line for n, _, line in parse_conf(old_stamp)}
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    res.update(changed=True, restart=True, changed_keys=keys)
    if module.check_mode:
        return res
    # Replace those directives in the live file; everything Sentinel wrote stays.
    out, seen = [], set()
    for raw in read(p["live_conf"]).splitlines():
        parsed = parse_conf(raw)
        name = parsed[0][0] if parsed else None
        if name in keys:
            if name in new and name not in seen:
                out.append(new[name])
            seen.add(name)
            continue
        out.append(raw)
    head = [new[k] for k in keys if k in new and k not in seen]
    text = "\n".join(head + out) + "\n"
    tmp = p["live_conf"] + ".tandem-tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    st = os.stat(p["live_conf"])
    os.chmod(tmp, st.st_mode & 0o7777)
    try:
        os.chown(tmp, st.st_uid, st.st_gid)
    except OSError:
        pass
    os.replace(tmp, p["live_conf"])
    with open(p["stamp"], "w", encoding="utf-8") as f:
        f.write(new_stamp)
    return res


def action_stamp(module, p):
    keep = sentinel_static_line if p["kind"] == "sentinel" else server_stamp_line
    new_stamp = stamp_text(read(p["rendered"]), keep)
    if os.path.exists(p["stamp"]) and read(p["stamp"]) == new_stamp:
        return dict(changed=False)
    if not module.check_mode:
        tmp = p["stamp"] + ".tandem-tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(new_stamp)
        os.chmod(tmp, 0o640)
        os.replace(tmp, p["stamp"])
    return dict(changed=True)


def pairs(reply):
    if isinstance(reply, list):
        return {str(reply[i]).lower(): reply[i + 1] for i in range(0, len(reply) - 1, 2)}
    return {}


def conf_auth_pass(path, name):
    if not path or not os.path.exists(path):
        return None
    for n, args, _ in parse_conf(read(path)):
        if n == "sentinel" and len(args) >= 3 and args[0].lower() == "auth-pass" and args[1] == name:
            return args[2]
    return ""


def action_sentinel_settings(module, p):
    name = p["master_name"]
    res = dict(changed=False, changed_keys=[])
    deadline = time.monotonic() + p["wait"]
    while True:
        try:
            conn = Conn(p["host"], p["port"], p["password"], p["timeout"])
            live = pairs(conn.call("SENTINEL", "MASTER", name))
            break
        except (OSError, RespError) as e:
            if time.monotonic() > deadline:
                module.fail_json(msg="%s:%s: SENTINEL MASTER %s: %s" % (p["host"], p["port"],
                                                                      name, e))
            time.sleep(0.5)
    try:
        want_set = []
        for k, v in sorted(p["settings"].items()):
            v = str(v)
            if k.lower() == "auth-pass":
                current = conf_auth_pass(p["live_conf"], name)
            else:
                current = live.get(k.lower())
            if current is None or str(current) != v:
                want_set.append((k, v))
        cfg = pairs(conn.call("SENTINEL", "CONFIG", "GET", "*"))
        want_cfg = [(k, str(v)) for k, v in sorted(p["config_settings"].items())
                    if str(cfg.get(k.lower(), "")) != str(v)]
        res["changed_keys"] = [k for k, _ in want_set] + [k for k, _ in want_cfg]
        res["changed"] = bool(res["changed_keys"])
        if module.check_mode:
            return res
        for k, v in want_set:
            conn.call("SENTINEL", "SET", name, k, v)
        for k, v in want_cfg:
            conn.call("SENTINEL", "CONFIG", "SET", k, v)
    finally:
        conn.close()
    return res


def action_sentinel_conf(p):
    monitor = []
    if p["live_conf"] and os.path.exists(p["live_conf"]):
        for n, args, _ in parse_conf(read(p["live_conf"])):
            if n == "sentinel" and len(args) >= 4 and args[0].lower() == "monitor" \
                    and args[1] == p["master_name"]:
                monitor = [args[2], args[3]]
    return dict(changed=False, monitor=monitor, exists=bool(p["live_conf"])
                and os.path.exists(p["live_conf"]))


def action_check(module, p):
    """Wait until the Sentinel's CKQUORUM is OK and the server's ROLE agrees with `expect`."""
    deadline = time.monotonic() + p["wait"]
    me = "%s %s" % (p["host"], p["port"])
    last = {}
    while True:
        try:
            conn = Conn(p["host"], p["sentinel_port"], p["sentinel_password"], p["timeout"])
            try:
                last["ckquorum"] = conn.call("SENTINEL", "CKQUORUM", p["master_name"])
            except RespError as e:
                last["ckquorum"] = "ERR " + str(e)
            finally:
                conn.close()
            conn = Conn(p["host"], p["port"], p["password"], p["timeout"])
            try:
                role = conn.call("ROLE")
            finally:
                conn.close()
            last["role"] = role[:4] if isinstance(role, list) else role
            if p["expect"] == me:
                role_ok = role[0] == "master"
            else:
                role_ok = (role[0] == "slave" and "%s %s" % (role[1], role[2]) == p["expect"]
                           and role[3] == "connected")
            if str(last["ckquorum"]).startswith("OK") and role_ok:
                return dict(changed=False, **last)
        except (OSError, RespError, IndexError) as e:
            last["error"] = str(e)
        if time.monotonic() > deadline:
            module.fail_json(msg="%s: CKQUORUM / ROLE not as expected (master %s) after %ss"
                             % (me, p["expect"], p["wait"]), **last)
        time.sleep(0.5)


def connect(module, p):
    try:
        return Conn(p["host"], p["port"], p["password"], p["timeout"])
    except RespError as e:
        module.fail_json(msg="%s:%s: AUTH: %s" % (p["host"], p["port"], e))
    except OSError as e:
        module.fail_json(msg="%s:%s: %s" % (p["host"], p["port"], e))
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            action=dict(type="str", required=True,
                        choices=["ping", "query", "command", "server_config", "sentinel_settings",
                                 "sentinel_static", "sentinel_conf", "check", "stamp"]),
            host=dict(type="str", default="127.0.0.1"),
            port=dict(type="int", default=6379),
            password=dict(type="str", default="", no_log=True),
            timeout=dict(type="float", default=3.0),
            commands=dict(type="list", elements="raw", default=[]),
            rendered=dict(type="path"),
            kind=dict(type="str", default="server", choices=["server", "sentinel"]),
            stamp=dict(type="path"),
            live_conf=dict(type="path"),
            static_keys=dict(type="list", elements="str", default=[], no_log=False),
            running=dict(type="bool", default=True),
            master_name=dict(type="str", default=""),
            settings=dict(type="dict", default={}),
            config_settings=dict(type="dict", default={}),
            wait=dict(type="float", default=0),
            sentinel_port=dict(type="int", default=26379),
            sentinel_password=dict(type="str", default="", no_log=True),
            expect=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    p = module.params
    action = p["action"]
    try:
        if action == "ping":
            try:
                conn = Conn(p["host"], p["port"], p["password"], p["timeout"])
                conn.call("PING")
                conn.close()
                module.exit_json(changed=False, up=True)
            except (OSError, RespError) as e:
                module.exit_json(changed=False, up=False, error=str(e))
        if action == "query":
            conn = connect(module, p)
            try:
                results = []
                for cmd in p["commands"]:
                    try:
                        results.append(conn.call(*cmd))
                    except RespError as e:
                        results.append("ERROR " + str(e))
            finally:
                conn.close()
            module.exit_json(changed=False, replies=results)
        if action == "command":
            if module.check_mode:
                module.exit_json(changed=True)
            conn = connect(module, p)
            try:
                reply = conn.call(*p["commands"])
            except RespError as e:
                module.fail_json(msg="%s: %s" % (" ".join(map(str, p["commands"][:2])), e))
            except ConnectionError:
                reply = None  # SHUTDOWN closes the connection
            finally:
                conn.close()
            module.exit_json(changed=True, replies=[reply])
        if action == "server_config":
            module.exit_json(**action_server_config(module, p))
        if action == "sentinel_static":
            module.exit_json(**action_sentinel_static(module, p))
        if action == "sentinel_settings":
            module.exit_json(**action_sentinel_settings(module, p))
        if action == "sentinel_conf":
            module.exit_json(**action_sentinel_conf(p))
        if action == "check":
            module.exit_json(**action_check(module, p))
        if action == "stamp":
            module.exit_json(**action_stamp(module, p))
    except RespError as e:
        module.fail_json(msg="%s:%s: %s" % (p["host"], p["port"], e))
    except (OSError, ValueError) as e:
        module.fail_json(msg="%s:%s: %s" % (p["host"], p["port"], e))


if __name__ == "__main__":
    main()
