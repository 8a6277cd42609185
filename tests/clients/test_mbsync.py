"""mbsync (isync) keeps a local Maildir and roost in two-way sync.

One scenario, three runs of ``mbsync -a`` against a real server:
1. pull several folders down (with ``Expunge None`` so a ``\\Deleted`` message arrives
   as ``T``); every body must equal the server's byte for byte (modulo LF and mbsync's
   X-TUID header) and the flags must map to S/F/R/T/D;
2. after changes on both sides (local new, flag change, removal, T flag; server APPEND,
   STORE, UID EXPUNGE, MOVE) sync with ``Expunge Both``: both sides must equal the
   expected model, not merely each other;
3. a last run must find nothing to do: no mutating command on the wire, and no
   mailbox's UIDNEXT, HIGHESTMODSEQ or message count, nor any local file, changes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from imapclient import IMAPClient

from roost.server.testing import ServerHandle

from .mailsync import (
    PASSWORD,
    USER,
    State,
    assert_states,
    deliver,
    maildir_files,
    maildir_listing,
    maildir_state,
    make_message,
    mid,
    msg,
    populate,
    server_state,
    server_uid,
    wire_form,
    with_flags,
)

SEEN, FLAGGED, ANSWERED, DELETED, DRAFT = (
    "\\Seen",
    "\\Flagged",
    "\\Answered",
    "\\Deleted",
    "\\Draft",
)
INITIAL: dict[str, list[tuple[str, set[str]]]] = {
    "INBOX": [("inbox-0", set()), ("inbox-1", {SEEN}), ("inbox-2", {SEEN, FLAGGED})]
    + [("inbox-3", {ANSWERED})],
    "Work": [("work-0", set()), ("work-1", {SEEN}), ("work-2", {SEEN, ANSWERED, FLAGGED})],
    "Work/Projects": [("proj-0", {SEEN}), ("proj-1", set())],
    "Lists": [("lists-0", {SEEN}), ("lists-1", {SEEN}), ("lists-2", {SEEN, DELETED})],
    "Drafts": [("draft-0", {DRAFT, SEEN})],
}
# Commands that change something on the server; the last run must send none of them.
# mbsync -Dn prints each command as ">>> tag ...", after "(n in progress) " when pipelined.
SENT = re.compile(r"(?:^|\) )>>> \S+ (.*)$")
MUTATING = re.compile(r"^(UID )?(STORE|APPEND|EXPUNGE|MOVE|COPY|CREATE|DELETE|RENAME)\b")


def mbsyncrc(tmp_path: Path, port: int, expunge: str) -> Path:
    """A config for isync 1.4 (SSLType; 1.5 renamed it TLSType) syncing every folder."""
    local = tmp_path / "Mail"
    path = tmp_path / f"mbsyncrc-{expunge}"
    path.write_text(
        f"""IMAPAccount roost
Host 127.0.0.1
Port {port}
User {USER}
Pass "{PASSWORD}"
SSLType None
AuthMechs LOGIN PLAIN

IMAPStore remote
Account roost

MaildirStore local
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel everything
Far :remote:
Near :local:
Patterns *
Create Both
Expunge {expunge}
SyncState *
CopyArrivalDate yes
"""
    )
    return path


def server_counters(server: ServerHandle, client: IMAPClient) -> dict[str, tuple]:
    """UIDNEXT, HIGHESTMODSEQ and MESSAGES of every mailbox, from the store and over STATUS.

    The store always knows HIGHESTMODSEQ; STATUS reports it once roost offers CONDSTORE.
    """
    user = server.store.get_user(USER)
    assert user is not None
    items = [b"UIDNEXT", b"MESSAGES", b"UIDVALIDITY"]
    if client.has_capability("CONDSTORE"):
        items.append(b"HIGHESTMODSEQ")
    out = {}
    for box in server.store.list_mailboxes(user.id):
        status = server.store.status(box.id)
        over_imap = client.folder_status(box.name, items)
        out[box.name] = (status.uidnext, status.highestmodseq, status.messages, over_imap)
    return out


@pytest.mark.timeout(60)
def test_mbsync_two_way_sync(tmp_path, server, imap, require_tool, run_tool) -> None:
    mbsync = require_tool("mbsync", "isync")
    local = tmp_path / "Mail"
    local.mkdir()
    client = imap()
    expected = populate(client, INITIAL)

    # 1. First pull, keeping \Deleted messages so the T flag can be checked.
    run_tool([mbsync, "-V", "-c", str(mbsyncrc(tmp_path, server.imap_port, "None")), "-a"])
    assert_states(expected, server_state(client), maildir_state(local))

    # 2. Changes on both sides, then a sync that expunges on both.
    local_changes(local, expected)
    server_changes(client, expected)
    del expected["Lists"][mid("lists-2")]  # \Deleted since step 1: Expunge Both removes it
    both = mbsyncrc(tmp_path, server.imap_port, "Both")
    run_tool([mbsync, "-Dn", "-c", str(both), "-a"])
    assert_states(expected, server_state(client), maildir_state(local))

    # 3. Nothing left to do: no mutating command, nothing changed on either side.
    before = (server_counters(server, client), maildir_listing(local))
    result = run_tool([mbsync, "-Dn", "-c", str(both), "-a"])
    sent = [m.group(1) for m in map(SENT.search, result.stdout.splitlines()) if m]
    assert "LOGOUT" in sent, "mbsync -Dn printed no commands; cannot check the last run"
    assert [command for command in sent if MUTATING.match(command)] == []
    assert (server_counters(server, client), maildir_listing(local)) == before
    assert_states(expected, server_state(client), maildir_state(local))


def local_changes(local: Path, expected: State) -> None:
    """New messages, flag changes, a removal and a T flag in the Maildir."""
    inbox = local / "INBOX"
    folders = {"INBOX": inbox, "Work": local / "Work", "Lists": local / "Lists"}
    new_1 = make_message(mid("local-new-1"), "written locally into new/")
    deliver(folders["Work"], "1700000001.R1.roost-test", new_1)
    expected["Work"][mid("local-new-1")] = msg(set(), new_1)
    new_2 = make_message(mid("local-new-2"), "written locally into cur/, seen")
    deliver(inbox, "1700000002.R2.roost-test", new_2, {SEEN})
    expected["INBOX"][mid("local-new-2")] = msg({SEEN}, new_2)

    changes = [("INBOX", "inbox-0", {FLAGGED, SEEN}), ("Lists", "lists-1", {ANSWERED, SEEN})]
    changes.append(("Work", "work-1", {SEEN, DELETED}))  # T locally: expunged everywhere
    for folder, name, flags in changes:
        with_flags(maildir_files(folders[folder])[mid(name)], flags)
        expected[folder][mid(name)] = msg(flags, expected[folder][mid(name)].body)
    del expected["Work"][mid("work-1")]

    maildir_files(folders["Lists"])[mid("lists-0")].unlink()
    del expected["Lists"][mid("lists-0")]
    # The local copies round-trip to the server's bytes (a sanity check of wire_form).
    path = maildir_files(inbox)[mid("inbox-3")]
    assert wire_form(path.read_bytes()) == expected["INBOX"][mid("inbox-3")].body


def server_changes(client: IMAPClient, expected: State) -> None:
    """APPEND, STORE, UID EXPUNGE and MOVE over IMAP."""
    appends = [("Lists", "server-new-1", {FLAGGED}), ("Work/Projects", "server-new-2", set())]
    for folder, name, flags in appends:
        body = make_message(mid(name), f"appended on the server to {folder}")
        client.append(folder, body, flags=sorted(flags))
        expected[folder][mid(name)] = msg(flags, body)

    uid = server_uid(client, "Work", mid("work-0"))
    client.add_flags([uid], [SEEN])
    expected["Work"][mid("work-0")] = msg({SEEN}, expected["Work"][mid("work-0")].body)

    uid = server_uid(client, "INBOX", mid("inbox-1"))
    client.remove_flags([uid], [SEEN])
    client.add_flags([uid], [ANSWERED])
    expected["INBOX"][mid("inbox-1")] = msg({ANSWERED}, expected["INBOX"][mid("inbox-1")].body)

    uid = server_uid(client, "Work/Projects", mid("proj-0"))
    client.add_flags([uid], [DELETED])
    client.uid_expunge([uid])
    del expected["Work/Projects"][mid("proj-0")]

    uid = server_uid(client, "INBOX", mid("inbox-2"))
    client.move([uid], "Work/Projects")
    expected["Work/Projects"][mid("inbox-2")] = expected["INBOX"].pop(mid("inbox-2"))
    client.unselect_folder()
