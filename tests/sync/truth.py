"""The server's truth about a mailbox, from two independent places.

- ``imap_truth``: a fresh session (new connection, LOGIN, EXAMINE so it
  claims no \\Recent, ``UID FETCH 1:* (UID FLAGS)``), read with the plain
  parser, not the mirror: the numbering it reports is the server's own.
- ``store_truth``: ``MailStore.message_flags`` of the running server.
Both give [(uid, flags)] in sequence-number order, flags without \\Recent.
"""

from __future__ import annotations

from dataclasses import dataclass

from roost.server.testing import ServerHandle

from .client import Client
from .mirror import RECENT, Snapshot
from .wire import parse_values


@dataclass(frozen=True)
class Account:
    name: str
    password: str
    user_id: int


def store_truth(server: ServerHandle, account: Account, mailbox: str) -> Snapshot:
    info = server.store.get_mailbox(account.user_id, mailbox)
    return [(m.uid, frozenset(m.flags) - {RECENT}) for m in server.store.message_flags(info.id)]


def store_uidnext(server: ServerHandle, account: Account, mailbox: str) -> int:
    info = server.store.get_mailbox(account.user_id, mailbox)
    return server.store.status(info.id).uidnext


def imap_truth(server: ServerHandle, account: Account, mailbox: str) -> Snapshot:
    client = Client(server.host, server.imap_port, "truth")
    try:
        client.login(account.name, account.password)
        result = client.command(f'EXAMINE "{mailbox}"').check("EXAMINE")
        exists = next(int(p.split()[0]) for p in result.untagged if p.upper().endswith(b" EXISTS"))
        if exists == 0:
            return []
        fetched = client.command("UID FETCH 1:* (UID FLAGS)").check("UID FETCH")
        rows: dict[int, tuple[int, frozenset[str]]] = {}
        for payload in fetched.untagged:
            seq, kind, items = parse_values(payload)
            assert str(kind).upper() == "FETCH", payload
            pairs = dict(zip(items[::2], items[1::2], strict=True))  # type: ignore[index]
            flags = frozenset(str(f) for f in pairs["FLAGS"]) - {RECENT}
            rows[int(seq)] = (int(pairs["UID"]), flags)  # type: ignore[arg-type]
        assert sorted(rows) == list(range(1, exists + 1)), (exists, sorted(rows))
        client.command("LOGOUT")
        return [rows[seq] for seq in sorted(rows)]
    finally:
        client.close()


def truth(server: ServerHandle, account: Account, mailbox: str) -> Snapshot:
    """The mailbox as the store has it, checked against what a fresh session sees."""
    stored = store_truth(server, account, mailbox)
    seen = imap_truth(server, account, mailbox)
    assert seen == stored, f"fresh session {seen} != storage {stored}"
    return stored
