"""User accounts in the SQLite store.

Rules:
- User names are unique and compared exactly.
- A new user gets INBOX and the RFC 6154 special-use mailboxes, all subscribed,
  in the same transaction (a user never exists without an INBOX).
- Deleting a user removes every mailbox, message, subscription and (through
  the blob reference counts) every body file that only this user referenced.
"""

from __future__ import annotations

import sqlite3

from roost.storage import sqlite_mailboxes as mailboxes
from roost.storage.interface import StorageError, StorageErrorKind, User
from roost.storage.sqlite_db import WriteTxn

DEFAULT_MAILBOXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (mailboxes.INBOX, ()),
    ("Drafts", ("\\Drafts",)),
    ("Sent", ("\\Sent",)),
    ("Trash", ("\\Trash",)),
    ("Junk", ("\\Junk",)),
    ("Archive", ("\\Archive",)),
)


def get(conn: sqlite3.Connection, name: str) -> User | None:
    row = conn.execute(
        "SELECT id, name, password_hash FROM users WHERE name = ?", (name,)
    ).fetchone()
    return None if row is None else User(*row)


def list_all(conn: sqlite3.Connection) -> list[User]:
    rows = conn.execute("SELECT id, name, password_hash FROM users ORDER BY name").fetchall()
    return [User(*row) for row in rows]


def require(conn: sqlite3.Connection, user_id: int) -> None:
    if conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is None:
        raise StorageError(StorageErrorKind.NONEXISTENT, "no such user")


def create(txn: WriteTxn, name: str, password_hash: str) -> User:
    if not name or any(ord(c) < 0x20 or c == "\x7f" for c in name):
        raise StorageError(StorageErrorKind.CANNOT, "invalid user name")
    if get(txn.conn, name) is not None:
        raise StorageError(StorageErrorKind.ALREADYEXISTS, "user already exists")
    cursor = txn.conn.execute(
        "INSERT INTO users (name, password_hash) VALUES (?, ?)", (name, password_hash)
    )
    user = User(int(cursor.lastrowid or 0), name, password_hash)
    for mailbox, special_use in DEFAULT_MAILBOXES:
        mailboxes.insert(txn, user.id, mailbox, special_use)
        mailboxes.set_subscribed(txn.conn, user.id, mailbox, True)
    return user


def set_password(txn: WriteTxn, name: str, password_hash: str) -> None:
    cursor = txn.conn.execute(
        "UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name)
    )
    if cursor.rowcount == 0:
        raise StorageError(StorageErrorKind.NONEXISTENT, "no such user")


def delete(txn: WriteTxn, name: str) -> None:
    user = get(txn.conn, name)
    if user is None:
        raise StorageError(StorageErrorKind.NONEXISTENT, "no such user")
    for (mailbox_id,) in txn.conn.execute(
        "SELECT id FROM mailboxes WHERE user_id = ?", (user.id,)
    ).fetchall():
        txn.touch(user.id, mailbox_id)  # wake its sessions: their mailboxes are gone
    txn.conn.execute("DELETE FROM users WHERE id = ?", (user.id,))
