#!/usr/bin/python3
"""Differential test: run a command corpus against two servers and compare the
raw reply bytes, once over RESP2 and once over RESP3.

Usage (use /usr/bin/python3):
    # default: start tandem ($TANDEM_SERVER) as A and stock redis ($REDIS_SERVER,
    # default /usr/bin/redis-server) as B, each on a free port bound to 127.0.0.1
    /usr/bin/python3 tests/diff/difftest.py
    # against servers that are already running on 127.0.0.1
    /usr/bin/python3 tests/diff/difftest.py --a-port 17100 --b-port 17101
    # extra corpora (e.g. the wrong-type cases that need lists/hashes)
    /usr/bin/python3 tests/diff/difftest.py --corpus tests/diff/commands.txt --corpus tests/diff/commands_types.txt

Ports can also come from env DIFF_A_PORT / DIFF_B_PORT.

Corpus format (tests/diff/commands.txt):
  * `## name` starts a section. Before each section the harness sends FLUSHALL
    and SELECT 0 to both servers (and HELLO 3 in the RESP3 run, HELLO 2 in the
    RESP2 run if the previous section used HELLO); their replies are discarded.
  * `# text` (one hash) and blank lines are comments.
  * Other lines are one command in redis-cli quoting (sdssplitargs rules:
    "double quotes" with \\n \\r \\t \\b \\a \\\\ \\" \\xHH escapes, 'single quotes'
    with \\' only).
  * Trailing tags (whitespace then #tag, possibly several):
      #unordered  compare after sorting every aggregate (arrays/sets element-wise,
                  maps pair-wise), recursively: KEYS, SCAN, ...
      #pairs      the reply is a map, or a RESP2 flat array of key/value pairs
                  (CONFIG GET with several patterns): compare the pairs as a multiset.
      #shape      compare only the shape: type bytes, aggregate sizes, integer
                  sign (negative integers exactly), string empty/non-empty, null.
      #noreply    the command produces no reply (CLIENT REPLY OFF/SKIP ...).
      #resp2 / #resp3  only run the line in that protocol run.

A mismatch report gives section, file:line, command, both raw replies (repr).
The last line is `N passed, M failed`. Exit status 1 on any failure.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import tandem_harness as th  # noqa: E402

KNOWN_TAGS = {"unordered", "pairs", "shape", "noreply", "resp2", "resp3"}
TIMEOUT_MARK = b"<TIMEOUT: no complete reply>"
CLOSED_MARK = b"<CONNECTION CLOSED>"
UNREACHABLE_MARK = b"<SERVER UNREACHABLE>"
MARKS = (TIMEOUT_MARK, CLOSED_MARK, UNREACHABLE_MARK)


# --------------------------------------------------------------------------
# Corpus parsing
# --------------------------------------------------------------------------

class SplitError(ValueError):
    pass


def _hexval(c: str) -> int:
    return int(c, 16)


def split_args(line: str) -> List[bytes]:
    """Python port of Redis' sdssplitargs(). Returns the arguments as bytes
    (non-ASCII characters in the line are encoded as UTF-8)."""
    p, n = 0, len(line)
    out: List[bytes] = []
    while True:
        while p < n and line[p].isspace():
            p += 1
        if p >= n:
            return out
        inq = insq = done = False
        cur = bytearray()
        while not done:
            c = line[p] if p < n else None
            if inq:
                if c is None:
                    raise SplitError("unterminated double quote")
                if (c == "\\" and p + 3 < n and line[p + 1] == "x"
                        and all(ch in "0123456789abcdefABCDEF" for ch in line[p + 2:p + 4])):
                    cur.append(_hexval(line[p + 2:p + 4]))
                    p += 3
                elif c == "\\" and p + 1 < n:
                    p += 1
                    e = line[p]
                    cur += {"n": b"\n", "r": b"\r", "t": b"\t", "b": b"\b",
                            "a": b"\a"}.get(e, e.encode())
                elif c == '"':
                    if p + 1 < n and not line[p + 1].isspace():
                        raise SplitError("closing quote must be followed by a space")
                    done = True
                else:
                    cur += c.encode()
            elif insq:
                if c is None:
                    raise SplitError("unterminated single quote")
                if c == "\\" and p + 1 < n and line[p + 1] == "'":
                    p += 1
                    cur += b"'"
                elif c == "'":
                    if p + 1 < n and not line[p + 1].isspace():
                        raise SplitError("closing quote must be followed by a space")
                    done = True
                else:
                    cur += c.encode()
            else:
                if c is None or c in " \n\r\t\0":
                    done = True
                elif c == '"':
                    inq = True
                elif c == "'":
                    insq = True
                else:
                    cur += c.encode()
            if p < n:
                p += 1
        out.append(bytes(cur))


@dataclass
class Case:
    file: str
    lineno: int
    section: str
    text: str
    args: List[bytes]
    tags: set = field(default_factory=set)


@dataclass
class Section:
    name: str
    cases: List[Case]

    @property
    def uses_hello(self) -> bool:
        return any(c.args and c.args[0].upper() == b"HELLO" for c in self.cases)


def strip_tags(line: str) -> Tuple[str, set]:
    tags = set()
    while True:
        s = line.rstrip()
        idx = s.rfind("#")
        if idx <= 0 or not s[idx - 1].isspace():
            return s, tags
        tag = s[idx + 1:]
        if tag not in KNOWN_TAGS:
            return s, tags
        tags.add(tag)
        line = s[:idx]


def load_corpus(path: str) -> List[Section]:
    sections: List[Section] = []
    current: Optional[Section] = None
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            stripped = line.strip()
            if not stripped:
                continue
            if stripped.startswith("##"):
                current = Section(stripped[2:].strip(), [])
                sections.append(current)
                continue
            if stripped.startswith("#"):
                continue
            if current is None:
                raise SystemExit(f"{path}:{lineno}: command before the first '## section' line")
            text, tags = strip_tags(stripped)
            try:
                args = split_args(text)
            except SplitError as e:
                raise SystemExit(f"{path}:{lineno}: {e}: {text}")
            if not args:
                raise SystemExit(f"{path}:{lineno}: empty command")
            current.cases.append(Case(path, lineno, current.name, text, args, tags))
    return sections


# --------------------------------------------------------------------------
# Reply normalisation
# --------------------------------------------------------------------------

def _split_frame(buf: bytes, pos: int):
    """(type, header_line, children_raw, end) of the frame at pos."""
    t = buf[pos:pos + 1]
    end = th.frame_end(buf, pos)
    nl = buf.index(b"\r\n", pos)
    header = buf[pos + 1:nl]
    children: List[bytes] = []
    if t in (b"*", b"~", b">", b"%", b"|") and header not in (b"?",) and int(header) >= 0:
        p = nl + 2
        count = int(header) * (2 if t in (b"%", b"|") else 1)
        for _ in range(count):
            e = th.frame_end(buf, p)
            children.append(buf[p:e])
            p = e
        if t == b"|":  # attribute, then the value
            children.append(buf[p:end])
    return t, header, children, end


def unordered(frame: bytes) -> bytes:
    t, header, children, _ = _split_frame(frame, 0)
    if not children:
        return frame
    norm = [unordered(c) for c in children]
    if t in (b"*", b"~", b">"):
        norm.sort()
    elif t == b"%":
        pairs = sorted(zip(norm[0::2], norm[1::2]))
        norm = [x for pr in pairs for x in pr]
    return t + header + b"\r\n" + b"".join(norm)


def unordered_pairs(frame: bytes) -> bytes:
    t, header, children, _ = _split_frame(frame, 0)
    if t not in (b"*", b"%") or len(children) % 2:
        return frame
    pairs = sorted(zip(children[0::2], children[1::2]))
    return t + header + b"\r\n" + b"".join(x for pr in pairs for x in pr)


def shape(frame: bytes) -> str:
    if frame in (TIMEOUT_MARK, CLOSED_MARK, UNREACHABLE_MARK):
        return frame.decode()
    t, header, children, end = _split_frame(frame, 0)
    ts = t.decode("latin-1")
    if t in (b"*", b"~", b">", b"%", b"|"):
        if int(header) < 0:
            return ts + "null"
        return ts + "[" + ",".join(shape(c) for c in children) + "]"
    if t in (b":", b"("):
        v = int(header)
        return ts + (str(v) if v < 0 else ("0" if v == 0 else "pos"))
    if t in (b"$", b"=", b"!"):
        n = int(header)
        return ts + ("null" if n < 0 else "empty" if n == 0 else "str")
    if t in (b"+", b"-"):
        # errors keep their code (first word) for a meaningful shape
        if t == b"-":
            return ts + header.split(b" ", 1)[0].decode("latin-1")
        return ts + ("empty" if not header else "str")
    if t == b"#":
        return ts + header.decode()
    return ts


def normalise(frame: bytes, tags: set):
    if frame in (TIMEOUT_MARK, CLOSED_MARK, UNREACHABLE_MARK, b""):
        return frame
    try:
        if "shape" in tags:
            return shape(frame)
        if "unordered" in tags:
            return unordered(frame)
        if "pairs" in tags:
            return unordered_pairs(frame)
    except Exception as e:  # noqa: BLE001 - a broken frame is just a mismatch
        return b"<UNPARSEABLE: %r> " % (e,) + frame
    return frame


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------

class Endpoint:
    def __init__(self, name: str, port: int, proto: int, timeout: float):
        self.name, self.port, self.proto, self.timeout = name, port, proto, timeout
        self.conn: Optional[th.RawConn] = None
        self.connect()

    def connect(self) -> None:
        if self.conn:
            self.conn.close()
            self.conn = None
        try:
            self.conn = th.RawConn(th.HOST, self.port, timeout=self.timeout)
        except OSError:
            self.conn = None
            return
        if self.proto == 3:
            self.call([b"HELLO", b"3"])

    def call(self, args: List[bytes], expect_reply: bool = True) -> bytes:
        if self.conn is None:
            self.connect()
            if self.conn is None:
                return UNREACHABLE_MARK
        try:
            self.conn.send_command(*args)
            if not expect_reply:
                return b""
            return self.conn.read_reply()
        except (socket.timeout, TimeoutError):
            self.connect()
            return TIMEOUT_MARK
        except (th.ConnectionClosed, OSError):
            self.connect()
            return CLOSED_MARK

    def close(self) -> None:
        if self.conn:
            self.conn.close()


@dataclass
class Failure:
    proto: int
    case: Case
    a: bytes
    b: bytes
    na: object
    nb: object


def run(sections: List[Section], a_port: int, b_port: int, protos=(2, 3),
        timeout: float = 5.0, verbose: bool = False,
        a_name: str = "A", b_name: str = "B") -> Tuple[int, List[Failure]]:
    passed, failures = 0, []
    for proto in protos:
        a = Endpoint(a_name, a_port, proto, timeout)
        b = Endpoint(b_name, b_port, proto, timeout)
        try:
            prev_hello = False
            for sec in sections:
                for ep in (a, b):
                    if proto == 3 or prev_hello:
                        ep.call([b"HELLO", str(proto).encode()])
                    ep.call([b"SELECT", b"0"])
                    ep.call([b"FLUSHALL"])
                prev_hello = sec.uses_hello
                for case in sec.cases:
                    if "resp2" in case.tags and proto != 2:
                        continue
                    if "resp3" in case.tags and proto != 3:
                        continue
                    expect = "noreply" not in case.tags
                    ra = a.call(case.args, expect)
                    rb = b.call(case.args, expect)
                    na, nb = normalise(ra, case.tags), normalise(rb, case.tags)
                    broken = ra in MARKS or rb in MARKS  # never a pass, even if both
                    if na == nb and not broken:
                        passed += 1
                        if verbose:
                            print(f"ok   RESP{proto} [{sec.name}] {case.text} -> {ra!r}")
                    else:
                        failures.append(Failure(proto, case, ra, rb, na, nb))
        finally:
            a.close()
            b.close()
    return passed, failures


def format_failure(f: Failure, a_name: str = "A", b_name: str = "B") -> str:
    rel = os.path.relpath(f.case.file)
    lines = [f"MISMATCH RESP{f.proto} section [{f.case.section}] {rel}:{f.case.lineno}",
             f"  command: {f.case.text}" + (f"   tags: {sorted(f.case.tags)}" if f.case.tags else ""),
             f"  {a_name}: {f.a!r}",
             f"  {b_name}: {f.b!r}"]
    if f.case.tags & {"shape", "unordered", "pairs"}:
        lines.append(f"  {a_name} normalised: {f.na!r}")
        lines.append(f"  {b_name} normalised: {f.nb!r}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a-port", type=int, default=int(os.environ.get("DIFF_A_PORT", "0")) or None,
                    help="port of server A on 127.0.0.1 (default: start $TANDEM_SERVER)")
    ap.add_argument("--b-port", type=int, default=int(os.environ.get("DIFF_B_PORT", "0")) or None,
                    help="port of server B on 127.0.0.1 (default: start $REDIS_SERVER)")
    ap.add_argument("--a-name", default=None)
    ap.add_argument("--b-name", default=None)
    ap.add_argument("--corpus", action="append", default=None,
                    help="corpus file (repeatable; default tests/diff/commands.txt)")
    ap.add_argument("--proto", choices=["2", "3", "both"], default="both")
    ap.add_argument("--timeout", type=float, default=5.0, help="per-reply timeout (s)")
    ap.add_argument("--section", action="append", default=None, help="only run these sections")
    ap.add_argument("-v", "--verbose", action="store_true")
    opts = ap.parse_args(argv)

    corpora = opts.corpus or [os.path.join(HERE, "commands.txt")]
    sections: List[Section] = []
    for c in corpora:
        sections += load_corpus(c)
    if opts.section:
        sections = [s for s in sections if s.name in opts.section]
    protos = (2, 3) if opts.proto == "both" else (int(opts.proto),)

    started: List[th.Server] = []
    tmp = None
    try:
        a_port, b_port = opts.a_port, opts.b_port
        a_name = opts.a_name or ("A" if a_port else "tandem")
        b_name = opts.b_name or ("B" if b_port else "redis")
        if a_port is None or b_port is None:
            tmp = tempfile.TemporaryDirectory(prefix="tandem-diff-")
        if a_port is None:
            binary = th.tandem_binary()
            if not binary:
                print("TANDEM_SERVER is not set and --a-port not given", file=sys.stderr)
                return 2
            srv = th.launch(binary, os.path.join(tmp.name, "a"))
            started.append(srv)
            a_port = srv.port
        if b_port is None:
            srv = th.launch(th.redis_binary(), os.path.join(tmp.name, "b"))
            started.append(srv)
            b_port = srv.port
        print(f"# A={a_name} 127.0.0.1:{a_port}  B={b_name} 127.0.0.1:{b_port}  "
              f"corpus={','.join(os.path.relpath(c) for c in corpora)}  "
              f"{sum(len(s.cases) for s in sections)} commands in {len(sections)} sections, "
              f"RESP{'/'.join(map(str, protos))}")
        try:
            passed, failures = run(sections, a_port, b_port, protos, opts.timeout, opts.verbose,
                                   a_name, b_name)
        except OSError as e:
            print(f"cannot talk to a server: {e!r}", file=sys.stderr)
            return 2
    finally:
        for s in started:
            s.stop()
        if tmp:
            tmp.cleanup()
    for f in failures:
        print(format_failure(f, a_name, b_name))
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
