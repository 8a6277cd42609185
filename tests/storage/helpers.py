"""Small builders shared by the storage tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from roost.storage import sqlite_schema
from roost.storage.interface import MailboxInfo, MailStore, NewMessage, User


def raw_message(n: int, body: str = "") -> bytes:
    text = body or f"Message number {n}.\r\n"
    return (
        f"From: Sender {n} <s{n}@example.org>\r\n"
        f"To: rcpt@example.com\r\n"
        f"Subject: test {n}\r\n"
        f"Message-ID: <{n}@example.org>\r\n"
        f"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
        f"\r\n{text}"
    ).encode()


def mixed_size_message(n: int) -> bytes:
    """``raw_message(n)``, every third one too big to be kept in the database
    (``sqlite.INLINE_MAX``), so a run covers both places a body can live."""
    return raw_message(n, "x" * 70 * 1024 + "\r\n" if n % 3 == 2 else "")


def new_user(store: MailStore, name: str = "alice") -> User:
    return store.create_user(name, "$argon2id$fake-hash")


def mailbox(store: MailStore, user: User, name: str = "INBOX") -> MailboxInfo:
    return store.get_mailbox(user.id, name)


def add(
    store: MailStore, mailbox_id: int, count: int = 1, flags: Iterable[str] = (), start: int = 0
) -> list[int]:
    """Append ``count`` distinct messages with ``flags``; returns their UIDs."""
    msgs = [NewMessage(raw_message(start + i), frozenset(flags)) for i in range(count)]
    return store.append(mailbox_id, msgs).uids


def flags_of(store: MailStore, mailbox_id: int) -> dict[int, frozenset[str]]:
    return {m.uid: m.flags for m in store.message_flags(mailbox_id)}


def old_schema(data_dir: Path, version: int) -> sqlite3.Connection:
    """A new data directory whose database has the schema of ``version``, as
    an older roost left it (its migrations up to there, nothing after), with
    user 1 ``alice`` and her INBOX, mailbox 1 (UIDVALIDITY 1, UIDNEXT 1)."""
    data_dir.mkdir()
    conn = sqlite_schema.connect(data_dir / "roost.db")
    conn.execute("PRAGMA journal_mode = WAL")
    for step in sqlite_schema.MIGRATIONS[:version]:
        step(conn)
    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (version,))
    conn.execute("INSERT INTO users (name, password_hash) VALUES ('alice', 'x')")
    conn.execute("INSERT INTO mailboxes (user_id, name, uidvalidity) VALUES (1, 'INBOX', 1)")
    return conn
