"""Self-test of the RESP framing/parsing in tandem_harness and the corpus parser
in tests/diff/difftest.py (no server needed)."""

import os
import sys

import pytest

import tandem_harness as th

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "diff"))
import difftest  # noqa: E402

FRAMES = [
    (b"+OK\r\n", b"OK"),
    (b"-ERR x y\r\n", th.RespError(b"ERR x y")),
    (b":-12\r\n", -12),
    (b"$3\r\na\r\n\r\n", b"a\r\n"),
    (b"$-1\r\n", None),
    (b"*-1\r\n", None),
    (b"*0\r\n", []),
    (b"*2\r\n$1\r\na\r\n*1\r\n:1\r\n", [b"a", [1]]),
    (b"_\r\n", None),
    (b",3.5\r\n", 3.5),
    (b",inf\r\n", float("inf")),
    (b"#t\r\n", True),
    (b"#f\r\n", False),
    (b"!5\r\nERR x\r\n", th.RespError(b"ERR x")),
    (b"=8\r\ntxt:abcd\r\n", b"abcd"),
    (b"(12345678901234567890\r\n", 12345678901234567890),
    (b"%2\r\n+a\r\n:1\r\n+b\r\n*1\r\n_\r\n", {b"a": 1, b"b": [None]}),
    (b"~2\r\n+a\r\n+b\r\n", [b"a", b"b"]),
    (b">2\r\n+message\r\n+x\r\n", [b"message", b"x"]),
    (b"|1\r\n+ttl\r\n:3\r\n*1\r\n:7\r\n", [7]),          # attribute, then the reply
    (b"$?\r\n;2\r\nab\r\n;1\r\nc\r\n;0\r\n", b"abc"),     # streamed string
    (b"*?\r\n:1\r\n:2\r\n.\r\n", [1, 2]),                  # streamed aggregate
]


@pytest.mark.parametrize("frame,value", FRAMES)
def test_frame_end_and_parse(frame, value):
    assert th.frame_end(frame + b"+NEXT\r\n") == len(frame)
    assert th.parse(frame) == value
    for cut in range(len(frame)):  # every strict prefix is incomplete
        with pytest.raises(th.Incomplete):
            th.frame_end(frame[:cut])


def test_bad_type_byte():
    with pytest.raises(th.ProtocolViolation):
        th.frame_end(b"?what\r\n")


def test_encode_command():
    assert th.encode_command("SET", b"k\x00", 5) == b"*3\r\n$3\r\nSET\r\n$2\r\nk\x00\r\n$1\r\n5\r\n"


@pytest.mark.parametrize("line,args", [
    ('SET k v', [b"SET", b"k", b"v"]),
    ('SET "a b" \'c d\'', [b"SET", b"a b", b"c d"]),
    (r'ECHO "\x00\xff\n\t\"q\\"', [b"ECHO", b"\x00\xff\n\t\"q\\"]),
    (r"ECHO 'it\'s' ''", [b"ECHO", b"it's", b""]),
    ('  PING   ', [b"PING"]),
])
def test_split_args(line, args):
    assert difftest.split_args(line) == args


@pytest.mark.parametrize("line", ['SET "a', "SET 'a", 'SET "a"b'])
def test_split_args_errors(line):
    with pytest.raises(difftest.SplitError):
        difftest.split_args(line)


def test_tags_and_normalisation():
    assert difftest.strip_tags("KEYS * #unordered") == ("KEYS *", {"unordered"})
    assert difftest.strip_tags("ECHO #notatag") == ("ECHO #notatag", set())
    a = b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\na\r\n"
    b = b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    assert difftest.unordered(a) == difftest.unordered(b)
    assert difftest.shape(b":123\r\n") == difftest.shape(b":99\r\n") != difftest.shape(b":-2\r\n")
    p1 = b"*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
    p2 = b"*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n"
    p3 = b"*4\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n"
    assert difftest.unordered_pairs(p1) == difftest.unordered_pairs(p2) != difftest.unordered_pairs(p3)
