"""Messages of a mailbox in the SQLite store: append, flags, copy/move, expunge.

Rules:
- Each write call takes one new MODSEQ per mailbox it changes (highest + 1) and
  gives it to every message it adds, changes or expunges there; so a mailbox's
  HIGHESTMODSEQ strictly increases and equals the largest modseq it holds.
- UIDs come from ``uidnext`` and are never reused; COPY/MOVE assign new UIDs in
  the order of the source UIDs.
- A message row points to a blob row (body file plus the ENVELOPE, BODY,
  BODYSTRUCTURE and part tree computed once at APPEND), so COPY shares both.
- Next to ``flags`` every write keeps ``sysflags`` (their system-flag bits),
  and each message has a ``message_search`` row with its header columns
  (``roost.search.sql``): written at APPEND, copied by COPY/MOVE, removed with
  the message (foreign-key cascade).
- Expunged UIDs are recorded with their MODSEQ for ``changes_since``.
- Only messages whose flags really change get a new MODSEQ (RFC 7162 3.1.3);
  with UNCHANGEDSINCE, messages modified after it are left alone and reported.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from roost.search import sql as searchsql
from roost.search.sql import HeaderIndex
from roost.storage import flags as flagset
from roost.storage import sqlite_mailboxes as mailboxes
from roost.storage.interface import (
    MessageFlags,
    StorageError,
    StorageErrorKind,
)
from roost.storage.sqlite_db import WriteTxn, json_list

# The reads live in ``sqlite_reads``; the store reaches messages through this module.
from roost.storage.sqlite_reads import (  # noqa: F401
    changes_since,
    fetch_meta,
    flag_table,
    keywords,
    message_flags,
    parse_flags,
    search,
    status,
)

_IN_UIDS = "uid IN (SELECT value FROM json_each(?))"
_INSERT_SEARCH = (
    "INSERT INTO message_search (mailbox_id, uid, "
    + ", ".join(searchsql.INDEX_COLUMNS)
    + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_DELETED = f"(sysflags & {searchsql.FLAG_BITS[flagset.DELETED]}) != 0"


@dataclass(frozen=True, slots=True)
class PreparedMessage:
    """An analysed message ready for its rows: its bytes are either in its body
    file, already on disk, or in ``data``, stored with the rows."""

    blob_id: str
    size: int
    flags: frozenset[str]
    internaldate: datetime
    envelope: bytes
    body: bytes
    bodystructure: bytes
    structure: str
    index: HeaderIndex | None = None  # SEARCH's header columns (None: searched without)
    data: bytes | None = None  # the message itself when it is kept in the database


def _keyword_map(conn: sqlite3.Connection, mailbox_id: int) -> dict[str, str]:
    rows = conn.execute("SELECT name FROM keywords WHERE mailbox_id = ?", (mailbox_id,))
    return {r[0].casefold(): r[0] for r in rows}


def _add_keywords(conn: sqlite3.Connection, mailbox_id: int, names: Iterable[str]) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO keywords (mailbox_id, name) VALUES (?, ?)",
        [(mailbox_id, n) for n in names],
    )


def _bump(txn: WriteTxn, box: mailboxes.MailboxRow, uidnext: int, modseq: int) -> None:
    txn.conn.execute(
        "UPDATE mailboxes SET uidnext = ?, highestmodseq = ? WHERE id = ?",
        (uidnext, modseq, box.id),
    )
    txn.touch(box.user_id, box.id)


def append(
    txn: WriteTxn, mailbox_id: int, prepared: Sequence[PreparedMessage]
) -> tuple[int, list[int]]:
    """Adds the messages; returns (the mailbox's UIDVALIDITY, their UIDs)."""
    box = mailboxes.load_selectable(txn.conn, mailbox_id)
    if not prepared:
        return box.uidvalidity, []
    modseq = box.highestmodseq + 1
    # Most APPENDs carry system flags only: no need to read the mailbox's keywords.
    wanted = any(flagset.is_keyword(f) for msg in prepared for f in msg.flags)
    known = _keyword_map(txn.conn, box.id) if wanted else {}
    uids = list(range(box.uidnext, box.uidnext + len(prepared)))
    new_keywords: list[str] = []
    rows = []
    for uid, msg in zip(uids, prepared, strict=True):
        canonical, new = flagset.canonical(msg.flags, known)
        new_keywords += new
        rows.append(
            (box.id, uid, msg.blob_id, flagset.format_flags(canonical), modseq,
             msg.internaldate.isoformat(), msg.size, searchsql.sysflags(canonical))
        )  # fmt: skip
    txn.conn.executemany(
        "INSERT INTO blobs (id, size, envelope, body, bodystructure, structure, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (m.blob_id, m.size, m.envelope, m.body, m.bodystructure, m.structure, m.data)
            for m in prepared
        ],
    )
    _insert_messages(txn.conn, rows)
    txn.conn.executemany(
        _INSERT_SEARCH,
        [
            (box.id, uid, *m.index.values())
            for uid, m in zip(uids, prepared, strict=True)
            if m.index is not None
        ],
    )
    if new_keywords:
        _add_keywords(txn.conn, box.id, new_keywords)
    _bump(txn, box, uids[-1] + 1, modseq)
    return box.uidvalidity, uids


def _insert_messages(conn: sqlite3.Connection, rows: list[tuple]) -> None:
    conn.executemany(
        "INSERT INTO messages"
        " (mailbox_id, uid, blob_id, flags, modseq, internaldate, size, sysflags)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def store_flags(
    txn: WriteTxn,
    mailbox_id: int,
    uids: Iterable[int],
    mode: str,
    flags: Iterable[str],
    unchangedsince: int | None,
) -> tuple[list[MessageFlags], list[int]]:
    if mode not in ("+", "-", ""):
        raise ValueError(f"invalid STORE mode {mode!r}")
    box = mailboxes.load(txn.conn, mailbox_id)
    known = _keyword_map(txn.conn, box.id)
    wanted, new_keywords = flagset.canonical(flags, known)
    modseq = box.highestmodseq + 1
    changed: list[MessageFlags] = []
    failed: list[int] = []
    for uid, text, old_modseq in _select(txn.conn, box.id, uids, "uid, flags, modseq"):
        if unchangedsince is not None and old_modseq > unchangedsince:
            failed.append(uid)
            continue
        old = parse_flags(text)
        new = old | wanted if mode == "+" else old - wanted if mode == "-" else wanted
        if new != old:
            changed.append(MessageFlags(uid, new, modseq))
    if changed:
        txn.conn.executemany(
            "UPDATE messages SET flags = ?, sysflags = ?, modseq = ?"
            " WHERE mailbox_id = ? AND uid = ?",
            [
                (flagset.format_flags(m.flags), searchsql.sysflags(m.flags), modseq, box.id, m.uid)
                for m in changed
            ],
        )
        if mode != "-":
            _add_keywords(txn.conn, box.id, new_keywords)
        _bump(txn, box, box.uidnext, modseq)
    return changed, failed


def _select(
    conn: sqlite3.Connection, mailbox_id: int, uids: Iterable[int], columns: str
) -> list[tuple]:
    return conn.execute(
        f"SELECT {columns} FROM messages WHERE mailbox_id = ? AND {_IN_UIDS} ORDER BY uid",
        (mailbox_id, json_list(sorted({int(u) for u in uids}))),
    ).fetchall()


def copy(
    txn: WriteTxn, mailbox_id: int, uids: Iterable[int], dest_id: int
) -> tuple[list[int], list[int]]:
    """Copies in source-UID order; returns (source uids, destination uids).

    The rows are copied by SQL (``INSERT ... SELECT``); Python only looks at
    each distinct flag text once, for the destination's keyword spellings."""
    source = mailboxes.load(txn.conn, mailbox_id)
    dest = mailboxes.load_selectable(txn.conn, dest_id)
    if dest.user_id != source.user_id:
        raise StorageError(StorageErrorKind.NONEXISTENT, "no such mailbox")
    found = _select(txn.conn, source.id, uids, "uid, flags")
    if not found:
        return [], []
    modseq = dest.highestmodseq + 1
    source_uids = [r[0] for r in found]
    first = dest.uidnext
    # json_each's key is the position in the list: the n-th source UID gets first + n.
    pairs = json_list(source_uids)
    txn.conn.execute(
        "INSERT INTO messages"
        " (mailbox_id, uid, blob_id, flags, modseq, internaldate, size, sysflags)"
        " SELECT ?, ? + j.key, m.blob_id, m.flags, ?, m.internaldate, m.size, m.sysflags"
        " FROM json_each(?) AS j CROSS JOIN messages AS m"
        " ON m.mailbox_id = ? AND m.uid = j.value",
        (dest.id, first, modseq, pairs, source.id),
    )
    # The copies get the source's search rows (a missing one stays missing).
    columns = ", ".join(searchsql.INDEX_COLUMNS)
    txn.conn.execute(
        f"INSERT INTO message_search (mailbox_id, uid, {columns})"
        f" SELECT ?, ? + j.key, {columns} FROM json_each(?) AS j CROSS JOIN message_search AS s"
        " ON s.mailbox_id = ? AND s.uid = j.value",
        (dest.id, first, pairs, source.id),
    )
    _respell_keywords(txn.conn, dest.id, first, dict.fromkeys(r[1] for r in found))
    dest_uids = list(range(first, first + len(found)))
    _bump(txn, dest, dest_uids[-1] + 1, modseq)
    return source_uids, dest_uids


def _respell_keywords(
    conn: sqlite3.Connection, dest_id: int, first_uid: int, texts: Iterable[str]
) -> None:
    """Give the copies (UIDs from ``first_uid``) the destination's keyword
    spellings (both mailboxes compare keywords caselessly) and record the
    keywords it did not have. System flags are already canonical, so the
    copied ``sysflags`` stay right."""
    known = _keyword_map(conn, dest_id)
    new_keywords: list[str] = []
    for text in texts:  # in the order the messages first show them
        canonical, new = flagset.canonical(parse_flags(text), known)
        new_keywords += new
        respelled = flagset.format_flags(canonical)
        if respelled != text:
            conn.execute(
                "UPDATE messages SET flags = ? WHERE mailbox_id = ? AND uid >= ? AND flags = ?",
                (respelled, dest_id, first_uid, text),
            )
    _add_keywords(conn, dest_id, new_keywords)


def remove(txn: WriteTxn, mailbox_id: int, uids: Sequence[int]) -> None:
    """Expunge exactly these (existing) UIDs, recording them with a new MODSEQ."""
    if not uids:
        return
    box = mailboxes.load(txn.conn, mailbox_id)
    modseq = box.highestmodseq + 1
    txn.conn.execute(
        f"DELETE FROM messages WHERE mailbox_id = ? AND {_IN_UIDS}", (box.id, json_list(uids))
    )
    txn.conn.executemany(
        "INSERT OR REPLACE INTO expunged (mailbox_id, uid, modseq) VALUES (?, ?, ?)",
        [(box.id, uid, modseq) for uid in uids],
    )
    _bump(txn, box, box.uidnext, modseq)


def move(
    txn: WriteTxn, mailbox_id: int, uids: Iterable[int], dest_id: int
) -> tuple[list[int], list[int]]:
    source_uids, dest_uids = copy(txn, mailbox_id, uids, dest_id)
    remove(txn, mailbox_id, source_uids)
    return source_uids, dest_uids


def expunge(txn: WriteTxn, mailbox_id: int, uids: Iterable[int] | None) -> list[int]:
    box = mailboxes.load(txn.conn, mailbox_id)
    if uids is None:
        rows = txn.conn.execute(
            f"SELECT uid FROM messages WHERE mailbox_id = ? AND {_DELETED} ORDER BY uid",
            (box.id,),
        ).fetchall()
    else:
        rows = [r for r in _select(txn.conn, box.id, uids, f"uid, {_DELETED}") if r[1]]
    gone = [r[0] for r in rows]
    remove(txn, box.id, gone)
    return gone


def all_uids(conn: sqlite3.Connection, mailbox_id: int) -> list[int]:
    rows = conn.execute(
        "SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid", (mailbox_id,)
    ).fetchall()
    return [r[0] for r in rows]


def take_recent(txn: WriteTxn, mailbox_id: int) -> int:
    box = mailboxes.load(txn.conn, mailbox_id)
    if box.first_recent_uid != box.uidnext:  # else nothing to claim: no write at all
        txn.conn.execute("UPDATE mailboxes SET first_recent_uid = uidnext WHERE id = ?", (box.id,))
    return box.first_recent_uid
