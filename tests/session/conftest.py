"""Fixtures: a real SqliteStore in tmp_path with user alice, and session clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from roost.storage.sqlite import SqliteStore

from .harness import Client, make_user


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "data")
    make_user(s)
    yield s
    s.close()


@pytest.fixture
def connect(store: SqliteStore) -> Callable[..., Client]:
    """A new logged-in client (another connection of alice)."""

    def make(*, login: bool = True, tls: bool = True) -> Client:
        client = Client(store, tls=tls)
        if login:
            client.login()
        return client

    return make


@pytest.fixture
def client(connect: Callable[..., Client]) -> Client:
    return connect()
