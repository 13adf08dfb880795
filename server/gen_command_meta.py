#!/usr/bin/env python3
"""Regenerates server/command_meta.inc: COMMAND INFO and COMMAND DOCS of Redis 7.0.15 for the
commands tandem implements, as RESP3 bytes. These replies are the commands' specification (Redis
builds them from src/commands/*.json); tandem serves them for the commands it has, filtered to the
subcommands it has, and a unit test checks that tandem's own command table (arity, flags, keys)
agrees with them.

It also writes server/acl_commands.inc: every command and subcommand of Redis 7.0.15 with its
ACL categories and whether it is no_auth. ACL rules (+@read, +xadd, ACL CAT, the categories
ACL LIST derives) work on that full command set, as stock Redis's do, so an ACL file written
for Redis loads unchanged and ACL LIST describes a user as Redis would.

Usage: gen_command_meta.py PORT_OF_STOCK_REDIS [NAME ...]
Without names, it takes every top-level command registered in server/cmd_*.cc (t.Add rows), so
any run regenerates the complete file.
"""
import os
import socket
import sys


def read_reply(sock, buf):
    """Returns (raw_bytes_of_one_reply, rest)."""
    def need(n):
        nonlocal buf
        while len(buf) < n:
            d = sock.recv(65536)
            if not d:
                raise EOFError
            buf += d

    def line(pos):
        nonlocal buf
        while True:
            i = buf.find(b"\r\n", pos)
            if i >= 0:
                return i
            d = sock.recv(65536)
            if not d:
                raise EOFError
            buf += d

    def one(pos):
        nonlocal buf
        end = line(pos)
        t = buf[pos:pos + 1]
        body = buf[pos + 1:end]
        nxt = end + 2
        if t in b"+-:_,#(":
            return nxt
        if t in b"$=!":
            n = int(body)
            if n < 0:
                return nxt
            need(nxt + n + 2)
            return nxt + n + 2
        if t in b"*~>":
            n = int(body)
            for _ in range(max(n, 0)):
                nxt = one(nxt)
            return nxt
        if t in b"%|":
            n = int(body)
            for _ in range(2 * n):
                nxt = one(nxt)
            return nxt
        raise ValueError(t)

    end = one(0)
    return buf[:end], buf[end:]


def command(sock, *args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)
    raw, rest = read_reply(sock, b"")
    assert not rest
    return raw


def strip_header(raw):
    # "*1\r\n<entry>" or "%1\r\n<name><docs>": drop the one-element header.
    return raw[raw.index(b"\r\n") + 2:]


def c_literal(blob):
    # One C string literal per RESP line, with escapes, so the bytes survive any editor.
    out = []
    for part in blob.decode().split("\r\n")[:-1]:
        esc = part.replace("\\", "\\\\").replace('"', '\\"')
        out.append('  "%s\\r\\n"' % esc)
    return "\n".join(out)


def parse(raw):
    """Decodes one RESP3 reply into Python values (maps as lists of pairs)."""
    def one(pos):
        end = raw.index(b"\r\n", pos)
        t = raw[pos:pos + 1]
        body = raw[pos + 1:end]
        nxt = end + 2
        if t in b"+-":
            return body.decode(), nxt
        if t == b":":
            return int(body), nxt
        if t == b"_":
            return None, nxt
        if t in b"$=":
            n = int(body)
            return raw[nxt:nxt + n].decode(), nxt + n + 2
        if t in b"*~>":
            out = []
            for _ in range(int(body)):
                v, nxt = one(nxt)
                out.append(v)
            return out, nxt
        if t == b"%":
            out = []
            for _ in range(int(body)):
                k, nxt = one(nxt)
                v, nxt = one(nxt)
                out.append((k, v))
            return out, nxt
        raise ValueError(t)
    return one(0)[0]


def acl_rows(sock):
    rows = []

    def add(entry):
        name, flags, cats = entry[0], entry[2], entry[6]
        noauth = "true" if "no_auth" in flags else "false"
        rows.append('{"%s", "%s", %s},' % (name, " ".join(cats), noauth))
        for sub in sorted(entry[9], key=lambda e: e[0]):
            add(sub)

    for entry in sorted(parse(command(sock, "COMMAND", "INFO")), key=lambda e: e[0]):
        add(entry)
    return rows


def main():
    port = int(sys.argv[1])
    names = sorted(set(sys.argv[2:]))
    if not names:
        import glob
        import os
        import re
        here = os.path.dirname(os.path.abspath(__file__))
        for path in glob.glob(os.path.join(here, "cmd_*.cc")):
            names += re.findall(r'\bt\.Add\(\{"([a-z_-]+)"', open(path).read())
        names = sorted(set(names))
    s = socket.create_connection(("127.0.0.1", port))
    command(s, "HELLO", "3")
    rows = []
    for n in names:
        info = strip_header(command(s, "COMMAND", "INFO", n))
        docs = strip_header(command(s, "COMMAND", "DOCS", n))
        rows.append('{"%s",\n%s,\n%s},' % (n, c_literal(info), c_literal(docs)))
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "command_meta.inc")
    with open(out, "w") as f:
        f.write("// Generated by gen_command_meta.py from Redis 7.0.15 (COMMAND INFO / COMMAND DOCS,\n"
                "// RESP3). Do not edit by hand.\n")
        f.write("\n".join(rows))
        f.write("\n")
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "acl_commands.inc")
    with open(out, "w") as f:
        f.write("// Generated by gen_command_meta.py from Redis 7.0.15 (COMMAND INFO): every command\n"
                "// and subcommand, its ACL categories and whether it is no_auth. Do not edit by hand.\n")
        f.write("\n".join(acl_rows(s)))
        f.write("\n")


if __name__ == "__main__":
    main()
