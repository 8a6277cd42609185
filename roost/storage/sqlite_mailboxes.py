"""Mailboxes and subscriptions of one user in the SQLite store.

Rules (RFC 9051 6.3):
- Names are exact UTF-8 strings with "/" as delimiter; no empty level and no
  control characters. Every mailbox's parent exists (CREATE and RENAME make
  missing parents, DELETE of a parent leaves a ``\\Noselect`` placeholder).
- A new mailbox row always gets a fresh UIDVALIDITY from a store-wide counter
  seeded by the clock, so a name deleted and created again never reuses one.
  Turning a placeholder back into a mailbox, or deleting a mailbox that has
  children, replaces its row (new id): sessions that had the old one selected
  see it gone.
- INBOX cannot be deleted; renaming it is done by the store (it moves messages).
- Subscriptions are names, independent of mailboxes; they follow renames.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

from roost.storage.interface import (
    DELIMITER,
    MailboxInfo,
    StorageError,
    StorageErrorKind,
)
from roost.storage.sqlite_db import WriteTxn

INBOX = "INBOX"
SPECIAL_USE = frozenset(
    ("\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash")
)
_MAX_UIDVALIDITY = 2**32 - 1

_COLUMNS = (
    "id, user_id, name, uidvalidity, uidnext, highestmodseq, first_recent_uid,"
    " special_use, noselect"
)

_M_COLUMNS = ", ".join("m." + c.strip() for c in _COLUMNS.split(","))


@dataclass(frozen=True, slots=True)
class MailboxRow:
    id: int
    user_id: int
    name: str
    uidvalidity: int
    uidnext: int
    highestmodseq: int
    first_recent_uid: int
    special_use: str
    noselect: bool


def _row(values: tuple) -> MailboxRow:
    return MailboxRow(*values[:8], noselect=bool(values[8]))


def load(conn: sqlite3.Connection, mailbox_id: int) -> MailboxRow:
    """The mailbox with that id, or NONEXISTENT."""
    values = conn.execute(
        f"SELECT {_COLUMNS} FROM mailboxes WHERE id = ?", (mailbox_id,)
    ).fetchone()
    if values is None:
        raise StorageError(StorageErrorKind.NONEXISTENT, "no such mailbox")
    return _row(values)


def load_selectable(conn: sqlite3.Connection, mailbox_id: int) -> MailboxRow:
    """A mailbox that can hold messages; a placeholder counts as missing (TRYCREATE)."""
    row = load(conn, mailbox_id)
    if row.noselect:
        raise StorageError(StorageErrorKind.NONEXISTENT, "mailbox is \\Noselect")
    return row


def find(conn: sqlite3.Connection, user_id: int, name: str) -> MailboxRow | None:
    values = conn.execute(
        f"SELECT {_COLUMNS} FROM mailboxes WHERE user_id = ? AND name = ?", (user_id, name)
    ).fetchone()
    return None if values is None else _row(values)


def info(conn: sqlite3.Connection, row: MailboxRow) -> MailboxInfo:
    subscribed = conn.execute(
        "SELECT 1 FROM subscriptions WHERE user_id = ? AND name = ?", (row.user_id, row.name)
    ).fetchone()
    return _info(row, subscribed is not None)


def _info(row: MailboxRow, subscribed: bool) -> MailboxInfo:
    return MailboxInfo(
        id=row.id,
        name=row.name,
        uidvalidity=row.uidvalidity,
        uidnext=row.uidnext,
        highestmodseq=row.highestmodseq,
        subscribed=subscribed,
        special_use=tuple(row.special_use.split()),
        noselect=row.noselect,
    )


def list_all(conn: sqlite3.Connection, user_id: int) -> list[MailboxInfo]:
    rows = conn.execute(
        f"SELECT {_M_COLUMNS}, s.name IS NOT NULL FROM mailboxes AS m"
        " LEFT JOIN subscriptions AS s ON s.user_id = m.user_id AND s.name = m.name"
        " WHERE m.user_id = ? ORDER BY m.name",
        (user_id,),
    ).fetchall()
    return [_info(_row(values[:9]), bool(values[9])) for values in rows]


def check_name(name: str) -> None:
    levels = name.split(DELIMITER)
    if any(not level for level in levels) or any(ord(c) < 0x20 or c == "\x7f" for c in name):
        raise StorageError(StorageErrorKind.CANNOT, "invalid mailbox name")


def parents(name: str) -> list[str]:
    """``a/b/c`` -> ``["a", "a/b"]``."""
    levels = name.split(DELIMITER)
    return [DELIMITER.join(levels[:i]) for i in range(1, len(levels))]


def has_children(conn: sqlite3.Connection, user_id: int, name: str) -> bool:
    prefix = name + DELIMITER
    row = conn.execute(
        "SELECT 1 FROM mailboxes WHERE user_id = ? AND substr(name, 1, ?) = ? LIMIT 1",
        (user_id, len(prefix), prefix),
    ).fetchone()
    return row is not None


def _next_uidvalidity(conn: sqlite3.Connection) -> int:
    last = conn.execute("SELECT value FROM meta WHERE key = 'uidvalidity'").fetchone()[0]
    value = max(int(last) + 1, int(time.time()))
    if value > _MAX_UIDVALIDITY:
        raise StorageError(StorageErrorKind.LIMIT, "UIDVALIDITY space exhausted")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'uidvalidity'", (value,))
    return value


def insert(
    txn: WriteTxn, user_id: int, name: str, special_use: Sequence[str] = (), noselect: bool = False
) -> int:
    """A new mailbox row (the caller has checked the name is free)."""
    cursor = txn.conn.execute(
        "INSERT INTO mailboxes (user_id, name, uidvalidity, special_use, noselect)"
        " VALUES (?, ?, ?, ?, ?)",
        (user_id, name, _next_uidvalidity(txn.conn), " ".join(special_use), int(noselect)),
    )
    mailbox_id = int(cursor.lastrowid or 0)
    txn.touch(user_id, mailbox_id)
    return mailbox_id


def create(txn: WriteTxn, user_id: int, name: str, special_use: Sequence[str] = ()) -> int:
    """CREATE (RFC 9051 6.3.4): missing parents too; a placeholder becomes real."""
    if name.endswith(DELIMITER) and name != DELIMITER:
        name = name[:-1]  # "foo/" declares intent to create children: same as "foo"
    check_name(name)
    unknown = set(special_use) - SPECIAL_USE
    if unknown:
        raise StorageError(StorageErrorKind.CANNOT, f"unsupported special use {sorted(unknown)}")
    existing = find(txn.conn, user_id, name)
    if existing is not None and not existing.noselect:
        raise StorageError(StorageErrorKind.ALREADYEXISTS, "mailbox already exists")
    _create_parents(txn, user_id, name)
    if existing is not None:
        _drop(txn, existing)
    return insert(txn, user_id, name, special_use)


def _create_parents(txn: WriteTxn, user_id: int, name: str) -> None:
    for parent in parents(name):
        if find(txn.conn, user_id, parent) is None:
            insert(txn, user_id, parent)


def _drop(txn: WriteTxn, row: MailboxRow) -> None:
    # Messages, expunge records and keywords go by cascade; blobs by trigger.
    txn.conn.execute("DELETE FROM mailboxes WHERE id = ?", (row.id,))
    txn.touch(row.user_id, row.id)


def delete(txn: WriteTxn, user_id: int, name: str) -> None:
    """DELETE (RFC 9051 6.3.5)."""
    if name == INBOX:
        raise StorageError(StorageErrorKind.CANNOT, "INBOX cannot be deleted")
    row = find(txn.conn, user_id, name)
    if row is None:
        raise StorageError(StorageErrorKind.NONEXISTENT, "no such mailbox")
    children = has_children(txn.conn, user_id, name)
    if children and row.noselect:
        raise StorageError(StorageErrorKind.HASCHILDREN, "mailbox has children")
    _drop(txn, row)
    if children:
        insert(txn, user_id, name, noselect=True)


def check_rename(conn: sqlite3.Connection, user_id: int, old: str, new: str) -> MailboxRow:
    """The mailbox to rename, after the checks RENAME needs (RFC 9051 6.3.6)."""
    row = find(conn, user_id, old)
    if row is None:
        raise StorageError(StorageErrorKind.NONEXISTENT, "no such mailbox")
    check_name(new)
    if new in (old, INBOX) or find(conn, user_id, new) is not None:
        raise StorageError(StorageErrorKind.ALREADYEXISTS, "target mailbox exists")
    if old != INBOX and new.startswith(old + DELIMITER):
        raise StorageError(StorageErrorKind.CANNOT, "cannot move a mailbox into itself")
    return row


def rename(txn: WriteTxn, user_id: int, old: str, new: str) -> None:
    """RENAME of a mailbox other than INBOX: it and all its children."""
    check_rename(txn.conn, user_id, old, new)
    prefix = old + DELIMITER
    rows = txn.conn.execute(
        "SELECT id, name FROM mailboxes WHERE user_id = ? AND (name = ? OR substr(name, 1, ?) = ?)",
        (user_id, old, len(prefix), prefix),
    ).fetchall()
    for mailbox_id, name in rows:
        target = new + name[len(old) :]
        if find(txn.conn, user_id, target) is not None:
            raise StorageError(StorageErrorKind.ALREADYEXISTS, f"{target} exists")
        txn.conn.execute("UPDATE mailboxes SET name = ? WHERE id = ?", (target, mailbox_id))
        txn.touch(user_id, mailbox_id)
    _create_parents(txn, user_id, new)
    _rename_subscriptions(txn.conn, user_id, old, new)


def create_for_rename(txn: WriteTxn, user_id: int, new: str) -> int:
    """The target of RENAME INBOX: a fresh mailbox (and its missing parents)."""
    _create_parents(txn, user_id, new)
    return insert(txn, user_id, new)


def _rename_subscriptions(conn: sqlite3.Connection, user_id: int, old: str, new: str) -> None:
    prefix = old + DELIMITER
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM subscriptions"
            " WHERE user_id = ? AND (name = ? OR substr(name, 1, ?) = ?)",
            (user_id, old, len(prefix), prefix),
        )
    ]
    for name in names:
        conn.execute("DELETE FROM subscriptions WHERE user_id = ? AND name = ?", (user_id, name))
    conn.executemany(
        "INSERT OR IGNORE INTO subscriptions (user_id, name) VALUES (?, ?)",
        [(user_id, new + name[len(old) :]) for name in names],
    )


def set_subscribed(conn: sqlite3.Connection, user_id: int, name: str, subscribed: bool) -> None:
    if subscribed:
        check_name(name)
        conn.execute(
            "INSERT OR IGNORE INTO subscriptions (user_id, name) VALUES (?, ?)", (user_id, name)
        )
    else:
        # RFC 9051 6.3.8: unsubscribing a name that is not subscribed is OK too.
        conn.execute("DELETE FROM subscriptions WHERE user_id = ? AND name = ?", (user_id, name))


def subscriptions(conn: sqlite3.Connection, user_id: int) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM subscriptions WHERE user_id = ? ORDER BY name", (user_id,)
    ).fetchall()
    return [r[0] for r in rows]
