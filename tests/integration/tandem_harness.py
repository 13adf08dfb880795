"""Small library for wire-level tests of tandem-server (and stock redis-server).

Everything here is bounded in time: process start-up waits at most 10 s, reads
time out, `wait_for` gives up with a message. Servers are always bound to
127.0.0.1 and only the PIDs we started are ever signalled.

Use /usr/bin/python3 (it has redis-py 4.3.4 and pytest 7.2).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from typing import Any, Callable, List, Optional, Sequence

HOST = "127.0.0.1"
DEFAULT_REDIS_SERVER = "/usr/bin/redis-server"


# --------------------------------------------------------------------------
# Locating binaries
# --------------------------------------------------------------------------

def tandem_binary() -> Optional[str]:
    """Path of tandem-server from env TANDEM_SERVER, or None if unset/empty."""
    path = os.environ.get("TANDEM_SERVER", "").strip()
    return path or None


def redis_binary() -> str:
    return os.environ.get("REDIS_SERVER", "").strip() or DEFAULT_REDIS_SERVER


def in_ci() -> bool:
    return bool(os.environ.get("CI", "").strip())


def light_under_asan() -> bool:
    """True in the sanitizer pass (tests/run-all.sh sets ASAN_OPTIONS) unless
    TANDEM_SLOW_UNDER_ASAN=1: pairings with stock Redis in a role tandem also plays in a
    tandem-only case run in the normal build only, to keep CI under 20 minutes."""
    return bool(os.environ.get("ASAN_OPTIONS")) and not os.environ.get("TANDEM_SLOW_UNDER_ASAN")


def skip_mixed_under_asan(*kinds: str) -> None:
    if light_under_asan() and "stock" in kinds:
        import pytest
        pytest.skip("pairings with stock Redis run in the normal build only")


# --------------------------------------------------------------------------
# Ports, waiting
# --------------------------------------------------------------------------

def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def unused_port() -> int:
    """A port nobody listens on (for e.g. --slaveof to a dead master)."""
    return free_port()


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0,
             interval: float = 0.05, message: str = "condition") -> Any:
    """Poll `predicate` until it returns a truthy value; return that value.

    Raises TimeoutError naming `message` (and the last exception raised by the
    predicate, if any) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_exc: Optional[BaseException] = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last_exc = None
        except Exception as exc:  # noqa: BLE001 - reported below
            last_exc = exc
        if time.monotonic() >= deadline:
            extra = f" (last error: {last_exc!r})" if last_exc else ""
            raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {message}{extra}")
        time.sleep(interval)


def ping_raw(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    """True if a server on host:port answers an inline PING with +PONG (or a
    -LOADING/-MASTERDOWN style error, which still means it is up)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"PING\r\n")
            data = b""
            while b"\r\n" not in data and len(data) < 4096:
                chunk = s.recv(4096)
                if not chunk:
                    return False
                data += chunk
            return data.startswith(b"+PONG")
    except OSError:
        return False


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------

SANITIZER_MARKERS = ("runtime error:", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer")


class Proc:
    """A server process we started. stop() signals only this PID."""

    def __init__(self, popen: subprocess.Popen, port: Optional[int], logfile: Optional[str],
                 argv: List[str]):
        self.popen = popen
        self.pid = popen.pid
        self.port = port
        self.logfile = logfile
        self.argv = argv

    def alive(self) -> bool:
        return self.popen.poll() is None

    @property
    def returncode(self) -> Optional[int]:
        return self.popen.poll()

    def log_text(self, limit: int = 20000) -> str:
        if not self.logfile or not os.path.exists(self.logfile):
            return ""
        with open(self.logfile, "rb") as f:
            data = f.read()
        return data[-limit:].decode("utf-8", "replace")

    def stop(self, grace: float = 5.0) -> Optional[int]:
        """SIGTERM, wait up to `grace` s, then SIGKILL. Returns the exit status."""
        if self.popen.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait(timeout=5)
        self.check_sanitizers()
        return self.popen.returncode

    def check_sanitizers(self) -> None:
        """A sanitizer report in the server's output is a bug even when every reply was right
        (the sanitizer build keeps running after UBSan reports only if told to; leaks are
        reported at exit). Fails the test that started the server."""
        text = self.log_text(limit=200000)
        for marker in SANITIZER_MARKERS:
            if marker in text:
                start = text.index(marker)
                raise AssertionError(f"sanitizer report from {self.argv[0]}:\n"
                                     f"{text[max(0, start - 200):start + 3000]}")

    def __enter__(self) -> "Proc":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Proc(pid={self.pid}, port={self.port}, argv={self.argv!r})"


def _port_from_args(args: Sequence[str]) -> Optional[int]:
    port = None
    for i, a in enumerate(args):
        if a == "--port" and i + 1 < len(args):
            port = int(args[i + 1])
    return port


def start_server(binary: str, args: Sequence[str], cwd: Optional[str] = None,
                 logfile: Optional[str] = None, timeout: float = 10.0,
                 port: Optional[int] = None) -> Proc:
    """Start `binary args... --bind 127.0.0.1` and wait (<= timeout s, at most
    10 s) until it answers PING on 127.0.0.1:port (port taken from `--port`
    in args unless given). stdout+stderr go to `logfile` (or /dev/null)."""
    args = [str(a) for a in args]
    for i, a in enumerate(args):
        if a == "--bind" and (i + 1 >= len(args) or args[i + 1] != HOST):
            raise ValueError(f"refusing to bind anywhere but {HOST}: {args!r}")
    if "--bind" not in args:
        args += ["--bind", HOST]
    if port is None:
        port = _port_from_args(args)
    if port is None:
        raise ValueError("start_server needs a --port argument (or port=)")
    argv = [binary] + args
    out = open(logfile, "ab") if logfile else open(os.devnull, "wb")
    try:
        popen = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        out.close()
    proc = Proc(popen, port, logfile, argv)
    deadline = time.monotonic() + min(timeout, 10.0)
    while True:
        if popen.poll() is not None:
            raise RuntimeError(f"server exited with status {popen.returncode} before answering "
                               f"PING: {argv!r}\n--- log ---\n{proc.log_text(4000)}")
        if ping_raw(port):
            return proc
        if time.monotonic() >= deadline:
            proc.stop()
            raise TimeoutError(f"server did not answer PING on {HOST}:{port} within "
                               f"{min(timeout, 10.0):.0f}s: {argv!r}\n--- log ---\n{proc.log_text(4000)}")
        time.sleep(0.05)


def standard_args(port: int, directory: str) -> List[str]:
    """The argument list used for both tandem and stock redis in tests."""
    return ["--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", str(directory)]


# --------------------------------------------------------------------------
# RESP
# --------------------------------------------------------------------------

class RespError(Exception):
    """A `-` or `!` reply. .message is the bytes after the type byte."""

    def __init__(self, message: bytes):
        super().__init__(message.decode("utf-8", "replace"))
        self.message = message

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RespError) and other.message == self.message

    def __hash__(self) -> int:
        return hash(self.message)


class Verbatim(bytes):
    """A `=` verbatim string; the value is the text, .format the 3-letter format."""
    format: bytes = b""


class Push(list):
    """A `>` push frame."""


class RespSet(list):
    """A `~` set (kept as a list: elements may be unhashable)."""


class Incomplete(Exception):
    pass


class ProtocolViolation(Exception):
    pass


_STREAMED_END = object()


def _line(buf: bytes, pos: int) -> tuple:
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise Incomplete()
    return buf[pos:end], end + 2


def frame_end(buf: bytes, pos: int = 0) -> int:
    """Index just past the complete RESP2/RESP3 frame starting at `pos`.

    Raises Incomplete if more data is needed and ProtocolViolation if the data
    cannot be a valid frame. An attribute `|` is part of the frame of the
    value that follows it."""
    if pos >= len(buf):
        raise Incomplete()
    t = buf[pos:pos + 1]
    line, nxt = _line(buf, pos + 1)
    if t in (b"+", b"-", b":", b",", b"#", b"(", b"_"):
        return nxt
    if t in (b"$", b"!", b"="):
        if line == b"?":  # streamed string: ;len\r\ndata\r\n ... ;0\r\n
            p = nxt
            while True:
                if p >= len(buf):
                    raise Incomplete()
                if buf[p:p + 1] != b";":
                    raise ProtocolViolation(f"bad streamed string chunk at {p}")
                l, p = _line(buf, p + 1)
                n = int(l)
                if n == 0:
                    return p
                if len(buf) < p + n + 2:
                    raise Incomplete()
                p += n + 2
        try:
            n = int(line)
        except ValueError:
            raise ProtocolViolation(f"bad bulk length {line!r}")
        if n < 0:
            return nxt
        if len(buf) < nxt + n + 2:
            raise Incomplete()
        if buf[nxt + n:nxt + n + 2] != b"\r\n":
            raise ProtocolViolation("bulk string not terminated by CRLF")
        return nxt + n + 2
    if t in (b"*", b"~", b">", b"%", b"|"):
        if line == b"?":  # streamed aggregate terminated by ".\r\n"
            p = nxt
            while True:
                if p >= len(buf):
                    raise Incomplete()
                if buf[p:p + 3] == b".\r\n":
                    return p + 3
                p = frame_end(buf, p)
        try:
            n = int(line)
        except ValueError:
            raise ProtocolViolation(f"bad aggregate length {line!r}")
        if n < 0:
            return nxt
        count = n * 2 if t in (b"%", b"|") else n
        p = nxt
        for _ in range(count):
            p = frame_end(buf, p)
        if t == b"|":  # attribute: the real reply follows
            return frame_end(buf, p)
        return p
    raise ProtocolViolation(f"unknown RESP type byte {t!r} at offset {pos}")


def parse(data: bytes) -> Any:
    """Parse ONE complete frame (as returned by read_reply) to a Python value.

    + -> bytes, - / ! -> RespError (returned, not raised), : and ( -> int,
    $ -> bytes or None, * -> list or None, _ -> None, , -> float, # -> bool,
    = -> Verbatim, % -> dict (list of pairs if keys are unhashable),
    ~ -> RespSet, > -> Push. Attributes are dropped."""
    value, end = _parse_at(data, 0)
    if end != len(data):
        raise ProtocolViolation(f"trailing data after frame: {data[end:]!r}")
    return value


def _parse_at(buf: bytes, pos: int) -> tuple:
    t = buf[pos:pos + 1]
    line, nxt = _line(buf, pos + 1)
    if t == b"+":
        return bytes(line), nxt
    if t == b"-":
        return RespError(bytes(line)), nxt
    if t == b":":
        return int(line), nxt
    if t == b"(":
        return int(line), nxt
    if t == b"_":
        return None, nxt
    if t == b",":
        s = line.decode().lower()
        return float(s), nxt
    if t == b"#":
        return line == b"t", nxt
    if t in (b"$", b"!", b"="):
        if line == b"?":
            parts, p = [], nxt
            while True:
                l, p = _line(buf, p + 1)
                n = int(l)
                if n == 0:
                    break
                parts.append(buf[p:p + n])
                p += n + 2
            raw, end = b"".join(parts), p
        else:
            n = int(line)
            if n < 0:
                return None, nxt
            raw, end = bytes(buf[nxt:nxt + n]), nxt + n + 2
        if t == b"!":
            return RespError(raw), end
        if t == b"=":
            v = Verbatim(raw[4:])
            v.format = raw[:3]
            return v, end
        return raw, end
    if t in (b"*", b"~", b">", b"%", b"|"):
        items, p = [], nxt
        if line == b"?":
            while buf[p:p + 3] != b".\r\n":
                v, p = _parse_at(buf, p)
                items.append(v)
            p += 3
        else:
            n = int(line)
            if n < 0:
                return None, nxt
            for _ in range(n * 2 if t in (b"%", b"|") else n):
                v, p = _parse_at(buf, p)
                items.append(v)
        if t == b"*":
            return items, p
        if t == b"~":
            return RespSet(items), p
        if t == b">":
            return Push(items), p
        pairs = list(zip(items[0::2], items[1::2]))
        if t == b"|":
            return _parse_at(buf, p)  # drop the attribute, return the value
        try:
            return dict(pairs), p
        except TypeError:
            return pairs, p
    raise ProtocolViolation(f"unknown RESP type byte {t!r}")


def encode_command(*args: Any) -> bytes:
    """RESP2 multibulk encoding of args (str -> utf-8, int/float -> str)."""
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, (int, float)):
            a = str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


class ConnectionClosed(Exception):
    """The peer closed the connection; .partial holds unconsumed bytes."""

    def __init__(self, partial: bytes):
        super().__init__(f"connection closed by server (unconsumed bytes: {partial[:200]!r})")
        self.partial = partial


class RawConn:
    """A raw socket client. read_reply() returns the bytes of exactly one frame;
    bytes after it stay buffered for the next call."""

    def __init__(self, host: str = HOST, port: int = 6379, timeout: float = 10.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_command(self, *args: Any) -> None:
        self.sock.sendall(encode_command(*args))

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout(f"no complete reply within {self.timeout}s; buffered {self.buf[:200]!r}")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(1 << 16)
        except socket.timeout:
            raise socket.timeout(f"no complete reply within {self.timeout}s; buffered {self.buf[:200]!r}")
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise ConnectionClosed(self.buf)
        self.buf += chunk

    def read_reply(self, timeout: Optional[float] = None) -> bytes:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            if self.buf:
                try:
                    end = frame_end(self.buf, 0)
                    frame, self.buf = self.buf[:end], self.buf[end:]
                    return frame
                except Incomplete:
                    pass
            self._fill(deadline)

    def read_replies(self, n: int, timeout: Optional[float] = None) -> List[bytes]:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        out = []
        for _ in range(n):
            out.append(self.read_reply(timeout=max(0.001, deadline - time.monotonic())))
        return out

    def command(self, *args: Any) -> Any:
        """send_command + read_reply + parse."""
        self.send_command(*args)
        return parse(self.read_reply())

    def read_until_close(self, timeout: Optional[float] = None, limit: int = 1 << 24) -> bytes:
        """All bytes until the server closes the connection (bounded by time
        and size). Raises socket.timeout if the connection stays open."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while len(self.buf) < limit:
            try:
                self._fill(deadline)
            except ConnectionClosed:
                data, self.buf = self.buf, b""
                return data
        raise AssertionError(f"more than {limit} bytes without close")

    def is_closed_by_peer(self, timeout: float = 2.0) -> bool:
        try:
            self.read_until_close(timeout=timeout)
            return True
        except (socket.timeout, TimeoutError):
            return False

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "RawConn":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --------------------------------------------------------------------------
# A started server bundled for fixtures
# --------------------------------------------------------------------------

class Server:
    def __init__(self, proc: Proc, port: int, directory: str, binary: str):
        self.proc, self.port, self.dir, self.binary = proc, port, directory, binary
        self.host = HOST
        self._conns: List[Any] = []

    def raw(self, timeout: float = 10.0) -> RawConn:
        c = RawConn(HOST, self.port, timeout=timeout)
        self._conns.append(c)
        return c

    def client(self, **kw):
        import redis  # redis-py 4.3.4
        kw.setdefault("decode_responses", False)
        kw.setdefault("socket_timeout", 10)
        c = redis.Redis(host=HOST, port=self.port, **kw)
        self._conns.append(c)
        return c

    def stop(self) -> None:
        for c in self._conns:
            try:
                c.close()
            except Exception:  # noqa: BLE001
                pass
        self.proc.stop()


def launch(binary: str, directory: str, extra_args: Sequence[str] = (),
           logname: str = "server.log") -> Server:
    port = free_port()
    os.makedirs(directory, exist_ok=True)
    args = standard_args(port, directory) + list(extra_args)
    proc = start_server(binary, args, cwd=directory, logfile=os.path.join(directory, logname))
    return Server(proc, port, directory, binary)
