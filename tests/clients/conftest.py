"""Fixtures for the real sync-client tests (mbsync, offlineimap) against a running roost.

The clients are Debian packages (isync, offlineimap3) that ``scripts/_debs.sh``
installs when the suite runs as root; without them the tests skip and say which
package is missing. Each client run is a subprocess with a timeout whose output is
printed, so a failing test shows the client's own account of what went wrong.

Fixtures: ``server`` (a roost with user alice / ``PASSWORD``), ``imap`` (a logged-in
imapclient factory), ``run_tool(argv, timeout)`` and ``require_tool(name, package)``.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient

from roost.server.testing import ServerHandle, running_server

from .mailsync import PASSWORD, USER

# Cheap Argon2 and no failure delay: the clients log in once per run.
SERVER_CONFIG = {
    "argon2_time_cost": 1,
    "argon2_memory_kib": 1024,
    "argon2_parallelism": 1,
    "auth_failure_delay": 0.0,
    "auth_failure_delay_max": 0.0,
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerHandle]:
    with running_server(tmp_path / "roost-data", **SERVER_CONFIG) as handle:
        handle.add_user(USER, PASSWORD)
        yield handle


@pytest.fixture
def imap(server: ServerHandle) -> Iterator[Callable[[], IMAPClient]]:
    """``imap()``: a new imapclient connection logged in as alice (closed after the test)."""
    opened: list[IMAPClient] = []

    def connect() -> IMAPClient:
        conn = IMAPClient(server.host, server.imap_port, ssl=False, timeout=15)
        conn.login(USER, PASSWORD)
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        with warnings.catch_warnings(), contextlib.suppress(Exception):
            warnings.simplefilter("ignore")
            conn.logout()


@pytest.fixture
def require_tool() -> Callable[[str, str], str]:
    """``require_tool(program, package)``: the program's path, or skip saying what to install."""

    def require(program: str, package: str) -> str:
        path = shutil.which(program)
        if path is None:
            pytest.skip(
                f"{program} not installed: install the Debian package {package} "
                "(scripts/test does so when run as root)"
            )
        return path

    return require


@pytest.fixture
def run_tool() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_tool(argv, timeout=30, check=True)``: run a client, print its output, check exit."""

    def run(
        argv: list[str], timeout: float = 30, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        print(f"$ {' '.join(argv)}")
        try:
            result = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            out = _text(exc.stdout) + _text(exc.stderr)
            print(out)
            pytest.fail(f"{argv[0]} did not finish in {timeout} s; output:\n{out}")
        print(result.stdout + result.stderr)  # shown by pytest when the test fails
        if check and result.returncode != 0:
            pytest.fail(
                f"{argv[0]} exited {result.returncode}; output:\n{result.stdout}{result.stderr}"
            )
        return result

    return run


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode(errors="replace")


@pytest.fixture(autouse=True)
def no_server_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test whose server logged an error (a crash the client may only see as EOF)."""
    caplog.set_level(logging.WARNING)
    yield
    records = [
        r
        for when in ("setup", "call", "teardown")
        for r in caplog.get_records(when)
        if r.levelno >= logging.ERROR and r.name.startswith("roost")
    ]
    assert not records, [f"{r.name}: {r.getMessage()}" for r in records]
