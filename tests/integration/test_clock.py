"""tandem-server's command clock (server/clock.h): commands read their time from the CPU's
timestamp counter only where the kernel keeps time with it, INFO says which in Redis's words,
and command times (TTLs, SLOWLOG) and durations (commandstats) stay right either way.

tandem only (INFO's monotonic_clock differs from Debian's Redis build by design). Servers bind
to 127.0.0.1; every wait is bounded.
"""

import platform
import re
import time

import pytest

import tandem_harness as th
from conftest import require_tandem_binary


def kernel_clocksource() -> str:
    try:
        with open("/sys/devices/system/clocksource/clocksource0/current_clocksource") as f:
            return f.read().strip()
    except OSError:
        return ""


@pytest.mark.parametrize("tsc_env", [None, "0"])
def test_command_clock_follows_the_kernel_clocksource(tmp_path, monkeypatch, tsc_env):
    if tsc_env is None:
        monkeypatch.delenv("TANDEM_TSC", raising=False)
    else:
        monkeypatch.setenv("TANDEM_TSC", tsc_env)
    srv = th.launch(require_tandem_binary(), str(tmp_path / "clock"),
                    extra_args=["--enable-debug-command", "local"])
    try:
        c = srv.client()
        clock = c.info("server")["monotonic_clock"]
        if tsc_env is None and platform.machine() == "x86_64" and kernel_clocksource() == "tsc":
            m = re.fullmatch(r"X86 TSC @ (\d+) ticks/us", clock)
            assert m and 100 <= int(m.group(1)) <= 10000, clock
        else:
            assert clock == "POSIX clock_gettime"
        # A command's time: a key set to expire in 3 s has at most 3 s left at once, and is
        # gone after them (bounded wait).
        t0 = time.monotonic()
        assert c.set("k", "v", px=3000)
        assert 0 < c.pttl("k") <= 3000
        th.wait_for(lambda: c.exists("k") == 0, timeout=15, message="k to expire")
        assert time.monotonic() - t0 >= 2.9
        # SLOWLOG's timestamp is the wall clock's; a command's duration is its own.
        c.config_set("slowlog-log-slower-than", "0")
        c.slowlog_reset()
        c.execute_command("DEBUG", "SLEEP", "0.1")
        entry = c.execute_command("SLOWLOG", "GET", "1")[0]
        assert abs(entry[1] - time.time()) < 5
        assert 90000 <= entry[2] < 2000000, entry
    finally:
        srv.stop()
