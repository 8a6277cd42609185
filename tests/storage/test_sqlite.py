"""Runs the conformance suite against ``SqliteStore``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from roost.storage.interface import NewMessage
from roost.storage.sqlite import SqliteStore
from tests.storage.conformance import *  # noqa: F403
from tests.storage.helpers import mailbox, new_user, raw_message


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "data")
    yield s
    s.close()


def test_changes_since_reads_by_the_modseq_indexes(tmp_path: Path) -> None:
    """A sync after a change must not walk the whole mailbox by UID."""
    store = SqliteStore(tmp_path / "data")
    try:
        box = mailbox(store, new_user(store))
        store.append(box.id, [NewMessage(raw_message(n)) for n in range(50)])
        since = store.status(box.id).highestmodseq
        store.store_flags(box.id, [3], "+", ["\\Seen"])
        store.store_flags(box.id, [4], "+", ["\\Deleted"])
        store.expunge(box.id)
        statements: list[str] = []
        conn = store._db.conn()
        conn.set_trace_callback(statements.append)
        try:
            changes = store.changes_since(box.id, since)
        finally:
            conn.set_trace_callback(None)
        assert [m.uid for m in changes.changed] == [3] and changes.expunged == [4]
        plans = []
        for sql in statements:
            if "modseq >" in sql:
                plans += [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
        assert any("messages_modseq" in p for p in plans), plans
        assert any("expunged_modseq" in p for p in plans), plans
    finally:
        store.close()
