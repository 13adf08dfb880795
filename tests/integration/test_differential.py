"""Differential test (tests/diff/difftest.py) as a pytest test: tandem vs stock Redis,
RESP2 and RESP3, byte-for-byte. Set DIFF_WITH_TYPES=1 to include
tests/diff/commands_types.txt (wrong-type cases that need lists/hashes)."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DIFF_DIR = os.path.join(HERE, "..", "diff")
sys.path.insert(0, DIFF_DIR)

import difftest  # noqa: E402


def corpora():
    # commands.txt, then one corpus per data-type family (commands_lists.txt, ...) as the
    # families are built; commands_types.txt (cross-type WRONGTYPE cases) stays opt-in until
    # every type exists.
    files = [os.path.join(DIFF_DIR, "commands.txt")]
    for name in sorted(os.listdir(DIFF_DIR)):
        if name.startswith("commands_") and name.endswith(".txt") and name != "commands_types.txt":
            files.append(os.path.join(DIFF_DIR, name))
    if os.environ.get("DIFF_WITH_TYPES", "").strip() not in ("", "0"):
        files.append(os.path.join(DIFF_DIR, "commands_types.txt"))
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
