"""Test helpers: a real roost server in a background thread.

``running_server(data_dir, **config_overrides)`` starts a ``Server`` with its
own event loop in a thread, listening on 127.0.0.1 with ephemeral ports for
both listeners, and yields a ``ServerHandle``; leaving the block stops it
cleanly (BYE to clients, store closed). Defaults suit tests: plaintext logins
allowed (the caller may override), Argon2 with cheap parameters.

``server_fixture`` / ``user_server_fixture`` are plain generator functions, so
a conftest can turn them into pytest fixtures without this module importing
pytest: ``server = pytest.fixture(name="server")(server_fixture)``.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from roost.auth.passwords import hash_password
from roost.config import Config
from roost.server import tls
from roost.server.app import Server
from roost.server.loop import run as run_loop
from roost.storage.interface import MailStore, User

HOST = "127.0.0.1"
# Cheap Argon2 for tests: one pass over 8 MiB.
TEST_DEFAULTS: dict[str, Any] = {
    "imap": f"{HOST}:0",
    "imaps": f"{HOST}:0",
    "allow_plaintext_auth": True,
    "argon2_time_cost": 1,
    "argon2_memory_kib": 8192,
}
START_TIMEOUT = 30.0


@dataclass
class ServerHandle:
    """What a test needs to talk to a running server."""

    config: Config
    store: MailStore
    imap_port: int
    imaps_port: int
    cert_file: Path
    host: str = HOST

    def add_user(self, name: str, password: str) -> User:
        return self.store.create_user(name, hash_password(password, self.config))

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's certificate (hostname checks on)."""
        return tls.client_context(self.cert_file)


class _ServerThread(threading.Thread):
    """Runs the server's event loop; start/stop are called from the test's thread."""

    def __init__(self, config: Config) -> None:
        super().__init__(name="roost-test-server", daemon=True)
        self.config = config
        self.ready = threading.Event()
        self.server: Server | None = None
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None

    def run(self) -> None:
        try:
            run_loop(self._main(), self.config.event_loop)
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            self.error = exc
        finally:
            self.ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        server = Server(self.config)
        await server.start()
        self.server = server
        self.ready.set()
        await self._stop_event.wait()
        await server.stop()

    def request_stop(self) -> None:
        if self._loop is not None and self._stop_event is not None:
            with suppress(RuntimeError):  # the loop already ended (start failed)
                self._loop.call_soon_threadsafe(self._stop_event.set)


def make_test_config(data_dir: Path, **overrides: Any) -> Config:
    """The configuration ``running_server`` uses."""
    return Config(data_dir=Path(data_dir)).with_overrides(**{**TEST_DEFAULTS, **overrides})


@contextmanager
def running_server(data_dir: Path, **config_overrides: Any) -> Iterator[ServerHandle]:
    config = make_test_config(data_dir, **config_overrides)
    thread = _ServerThread(config)
    thread.start()
    if not thread.ready.wait(START_TIMEOUT):
        thread.request_stop()
        raise RuntimeError("roost test server did not start in time")
    server = thread.server
    if server is None or thread.error is not None:
        thread.join(START_TIMEOUT)
        raise RuntimeError("roost test server failed to start") from thread.error
    try:
        assert server.store is not None and server.cert_file is not None
        yield ServerHandle(
            config=config,
            store=server.store,
            imap_port=server.ports.get("imap", ("", 0))[1],
            imaps_port=server.ports.get("imaps", ("", 0))[1],
            cert_file=server.cert_file,
        )
    finally:
        thread.request_stop()
        thread.join(START_TIMEOUT)
        if thread.is_alive():
            raise RuntimeError("roost test server did not stop in time")
        if thread.error is not None:
            raise RuntimeError("roost test server failed while stopping") from thread.error


def server_fixture(tmp_path: Path) -> Iterator[ServerHandle]:
    """A fresh server in ``tmp_path / "roost-data"``."""
    with running_server(tmp_path / "roost-data") as handle:
        yield handle


def user_server_fixture(tmp_path: Path) -> Iterator[ServerHandle]:
    """A fresh server with the user ``alice`` (password ``secret``)."""
    with running_server(tmp_path / "roost-data") as handle:
        handle.add_user("alice", "secret")
        yield handle
