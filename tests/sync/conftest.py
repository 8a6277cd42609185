"""Fixtures for the multi-device sync tests.

One roost server per test module (``sync_server``, on 127.0.0.1 with
ephemeral ports); every test gets a fresh account (``account``) so tests never
see each other's mail, and ``connect(name, rev2=False)`` gives logged-in
``Client`` sessions on it that are closed after the test.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from roost.server.testing import ServerHandle, running_server

from .client import Client
from .truth import Account

PASSWORD = "sync-secret"
_numbers = itertools.count(1)


def new_account(server: ServerHandle) -> Account:
    name = f"user{next(_numbers)}"
    user = server.add_user(name, PASSWORD)
    return Account(name, PASSWORD, user.id)


def open_client(server: ServerHandle, account: Account, name: str, *, rev2: bool = False) -> Client:
    client = Client(server.host, server.imap_port, name, rev2=rev2)
    client.login(account.name, account.password)
    return client


@pytest.fixture(scope="module")
def sync_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    data_dir: Path = tmp_path_factory.mktemp("sync") / "roost-data"
    # A short keepalive would add "* OK Still here" lines to IDLE; the default
    # (minutes) keeps the pushes under test alone on the wire.
    with running_server(data_dir, auth_failure_delay=0.0) as handle:
        yield handle


@pytest.fixture
def account(sync_server: ServerHandle) -> Account:
    return new_account(sync_server)


@pytest.fixture
def connect(sync_server: ServerHandle, account: Account) -> Iterator[Callable[..., Client]]:
    clients: list[Client] = []

    def make(name: str, *, rev2: bool = False) -> Client:
        client = open_client(sync_server, account, name, rev2=rev2)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
