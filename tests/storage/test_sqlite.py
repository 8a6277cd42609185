"""Runs the conformance suite against ``SqliteStore``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from roost.storage.sqlite import SqliteStore
from tests.storage.conformance import *  # noqa: F403


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "data")
    yield s
    s.close()
