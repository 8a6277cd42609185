"""Reads of messages in the SQLite store: flags, changes, FETCH metadata, STATUS, SEARCH.

Rules:
- The caller holds a read transaction, so every query of one call sees one snapshot.
- Big mailboxes are the norm (100,000 messages): a read selects only the
  columns it needs, makes no Python object per message it does not return, and
  shares one frozenset among the messages with the same flag text.
- STATUS reads the counters the triggers keep (``mailbox_counts``) and counts
  \\Recent over the primary key; nothing scans the mailbox.
- SEARCH runs in SQL when ``roost.search.sql`` can translate the key and every
  message of the mailbox has its header columns filled; otherwise it answers
  None and the caller evaluates the key itself.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterable
from datetime import datetime

from roost.search import sql as searchsql
from roost.storage import flags as flagset
from roost.storage import sqlite_mailboxes as mailboxes
from roost.storage.interface import (
    Changes,
    FlagTable,
    MailboxStatus,
    MessageFlags,
    MessageMeta,
    SearchKey,
)
from roost.storage.sqlite_db import json_list

_IN_UIDS = "uid IN (SELECT value FROM json_each(?))"

# Flag texts repeat (a mailbox has few distinct flag sets): one frozenset per text.
parse_flags = functools.lru_cache(maxsize=4096)(flagset.parse)


def flag_table(conn: sqlite3.Connection, mailbox_id: int) -> FlagTable:
    box = mailboxes.load(conn, mailbox_id)
    rows = conn.execute(
        "SELECT uid, flags FROM messages WHERE mailbox_id = ? ORDER BY uid", (box.id,)
    ).fetchall()
    return FlagTable(
        highestmodseq=box.highestmodseq,
        uids=[r[0] for r in rows],
        flags=[parse_flags(r[1]) for r in rows],
    )


def message_flags(conn: sqlite3.Connection, mailbox_id: int) -> list[MessageFlags]:
    mailboxes.load(conn, mailbox_id)
    rows = conn.execute(
        "SELECT uid, flags, modseq FROM messages WHERE mailbox_id = ? ORDER BY uid",
        (mailbox_id,),
    )
    return [MessageFlags(uid, parse_flags(text), modseq) for uid, text, modseq in rows]


def changes_since(conn: sqlite3.Connection, mailbox_id: int, modseq: int) -> Changes:
    box = mailboxes.load(conn, mailbox_id)
    if modseq >= box.highestmodseq:  # the common case of a sync: nothing happened
        return Changes(highestmodseq=box.highestmodseq, changed=[], expunged=[])
    # INDEXED BY: for ORDER BY uid the planner would walk the whole mailbox by
    # its primary key (10 ms at 100,000 messages) rather than sort the few rows
    # the MODSEQ index finds; a sync after any change paid that.
    changed = conn.execute(
        "SELECT uid, flags, modseq FROM messages INDEXED BY messages_modseq"
        " WHERE mailbox_id = ? AND modseq > ? ORDER BY uid",
        (box.id, modseq),
    ).fetchall()
    expunged = conn.execute(
        "SELECT uid FROM expunged INDEXED BY expunged_modseq"
        " WHERE mailbox_id = ? AND modseq > ? ORDER BY uid",
        (box.id, modseq),
    ).fetchall()
    return Changes(
        highestmodseq=box.highestmodseq,
        changed=[MessageFlags(u, parse_flags(t), m) for u, t, m in changed],
        expunged=[r[0] for r in expunged],
    )


def fetch_meta(conn: sqlite3.Connection, mailbox_id: int, uids: Iterable[int]) -> list[MessageMeta]:
    mailboxes.load(conn, mailbox_id)
    rows = conn.execute(
        "SELECT m.uid, m.flags, m.modseq, m.internaldate, m.size, b.envelope, b.body,"
        " b.bodystructure, b.structure, m.blob_id"
        " FROM messages AS m CROSS JOIN blobs AS b ON b.id = m.blob_id"
        f" WHERE m.mailbox_id = ? AND m.{_IN_UIDS} ORDER BY m.uid",
        (mailbox_id, json_list(sorted({int(u) for u in uids}))),
    ).fetchall()
    fromiso = datetime.fromisoformat
    return [
        MessageMeta(uid, parse_flags(text), modseq, fromiso(internaldate), size,
                    envelope, body, bodystructure, structure, blob_id)
        for uid, text, modseq, internaldate, size, envelope, body, bodystructure, structure, blob_id
        in rows
    ]  # fmt: skip


def status(conn: sqlite3.Connection, mailbox_id: int) -> MailboxStatus:
    box = mailboxes.load(conn, mailbox_id)
    counts = conn.execute(
        "SELECT messages, unseen, deleted, size FROM mailbox_counts WHERE mailbox_id = ?",
        (box.id,),
    ).fetchone()
    messages, unseen, deleted, size = counts if counts is not None else (0, 0, 0, 0)
    return MailboxStatus(
        messages=messages,
        recent=_recent(conn, box, messages),
        unseen=unseen,
        deleted=deleted,
        size=size,
        uidnext=box.uidnext,
        uidvalidity=box.uidvalidity,
        highestmodseq=box.highestmodseq,
    )


def _recent(conn: sqlite3.Connection, box: mailboxes.MailboxRow, messages: int) -> int:
    """Messages with uid >= first_recent_uid, counted over the shorter side of the
    primary key (all of a never-selected mailbox are recent: count none)."""
    floor = box.first_recent_uid
    if box.uidnext - floor <= floor:
        sql, sign, base = "SELECT count(*) FROM messages WHERE mailbox_id = ? AND uid >= ?", 1, 0
    else:
        sql, sign, base = (
            "SELECT count(*) FROM messages WHERE mailbox_id = ? AND uid < ?",
            -1,
            messages,
        )
    return base + sign * conn.execute(sql, (box.id, floor)).fetchone()[0]


def keywords(conn: sqlite3.Connection, mailbox_id: int) -> list[str]:
    mailboxes.load(conn, mailbox_id)
    rows = conn.execute(
        "SELECT name FROM keywords WHERE mailbox_id = ? ORDER BY name", (mailbox_id,)
    ).fetchall()
    return [r[0] for r in rows]


def search(
    conn: sqlite3.Connection, mailbox_id: int, key: SearchKey
) -> list[tuple[int, int]] | None:
    box = mailboxes.load(conn, mailbox_id)
    spellings: dict[str, list[str]] = {}
    for (name,) in conn.execute("SELECT name FROM keywords WHERE mailbox_id = ?", (box.id,)):
        spellings.setdefault(name.casefold(), []).append(name)
    condition = searchsql.translate(key, spellings)
    if condition is None:
        return None
    if condition.needs_headers:
        if not _all_indexed(conn, box.id):
            return None
        # The narrow search rows first; the message row only for those that pass.
        source = (
            "message_search AS s CROSS JOIN messages AS m"
            " ON m.mailbox_id = s.mailbox_id AND m.uid = s.uid WHERE s.mailbox_id = ?"
        )
    else:
        source = "messages AS m WHERE m.mailbox_id = ?"
    order = "s.uid" if condition.needs_headers else "m.uid"  # the outer table's key order
    return conn.execute(
        f"SELECT m.uid, m.modseq FROM {source} AND ({condition.sql}) ORDER BY {order}",
        (box.id, *condition.params),
    ).fetchall()


def _all_indexed(conn: sqlite3.Connection, mailbox_id: int) -> bool:
    """Has every message of the mailbox its search row (see ``sqlite_schema``)?"""
    row = conn.execute(
        "SELECT messages = indexed FROM mailbox_counts WHERE mailbox_id = ?", (mailbox_id,)
    ).fetchone()
    return row is None or bool(row[0])
