"""pytest fixtures for tandem wire tests.

tandem       -- tandem-server from env TANDEM_SERVER (skip if unset; FAIL if unset and CI is set).
                Point it at stock Redis to dry-run the suite:
                    TANDEM_SERVER=/usr/bin/redis-server /usr/bin/python3 -m pytest tests/integration
stock_redis  -- redis-server from env REDIS_SERVER (default /usr/bin/redis-server).

Both are started with
    --port <free> --bind 127.0.0.1 --save "" --appendonly no --daemonize no --dir <tmp_path>/...
and stopped (SIGTERM, then SIGKILL after 5 s, by PID) at teardown.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tandem_harness as th  # noqa: E402


def require_tandem_binary() -> str:
    path = th.tandem_binary()
    if not path:
        msg = "TANDEM_SERVER is not set (path to tandem-server)"
        if th.in_ci():
            pytest.fail(msg + " and CI is set", pytrace=False)
        pytest.skip(msg)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"TANDEM_SERVER={path!r} is not an executable file", pytrace=False)
    return path


def require_redis_binary() -> str:
    path = th.redis_binary()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"REDIS_SERVER={path!r} is not an executable file", pytrace=False)
    return path


@pytest.fixture
def tandem_binary() -> str:
    return require_tandem_binary()


@pytest.fixture
def redis_binary() -> str:
    return require_redis_binary()


@pytest.fixture
def tandem(tmp_path):
    binary = require_tandem_binary()
    srv = th.launch(binary, str(tmp_path / "tandem"))
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def stock_redis(tmp_path):
    binary = require_redis_binary()
    srv = th.launch(binary, str(tmp_path / "redis"))
    try:
        yield srv
    finally:
        srv.stop()
