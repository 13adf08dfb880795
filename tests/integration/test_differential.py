"""Differential test (tests/diff/difftest.py) as a pytest test: tandem vs stock Redis,
RESP2 and RESP3, byte-for-byte, over every tests/diff/commands*.txt corpus."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DIFF_DIR = os.path.join(HERE, "..", "diff")
sys.path.insert(0, DIFF_DIR)

import difftest  # noqa: E402


def corpora():
    # commands.txt, then one corpus per family (commands_lists.txt, commands_types.txt with the
    # cross-type WRONGTYPE cases, ...).
    files = [os.path.join(DIFF_DIR, "commands.txt")]
    for name in sorted(os.listdir(DIFF_DIR)):
        if name.startswith("commands_") and name.endswith(".txt"):
            files.append(os.path.join(DIFF_DIR, name))
    return files


def test_corpus_is_large_enough():
    sections = difftest.load_corpus(os.path.join(DIFF_DIR, "commands.txt"))
    assert sum(len(s.cases) for s in sections) >= 450


def test_differential_tandem_vs_redis(tandem, stock_redis):
    sections = []
    for f in corpora():
        sections += difftest.load_corpus(f)
    passed, failures = difftest.run(sections, tandem.port, stock_redis.port,
                                    a_name="tandem", b_name="redis")
    report = "\n".join(difftest.format_failure(f, "tandem", "redis") for f in failures)
    assert not failures, f"{len(failures)} mismatches ({passed} passed):\n{report}"
