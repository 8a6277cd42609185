"""offlineimap3 mirrors roost into a Maildir and pushes local changes back.

1. ``offlineimap -o`` pulls every folder down: each Maildir file must equal the server's
   message byte for byte (modulo LF line endings) with its flags mapped to S/F/R/D.
2. Local changes (a new message in new/, one in cur/ with flags, flag changes, a removed
   file) go up with a second run; the server, read back over IMAP with imapclient, must
   hold exactly the expected messages, flags and bytes, and so must the Maildir.
3. A third run finds nothing to change on the server.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .mailsync import (
    PASSWORD,
    USER,
    State,
    assert_states,
    deliver,
    maildir_files,
    maildir_state,
    make_message,
    mid,
    msg,
    populate,
    server_state,
    with_flags,
)

SEEN, FLAGGED, ANSWERED, DRAFT = "\\Seen", "\\Flagged", "\\Answered", "\\Draft"
INITIAL: dict[str, list[tuple[str, set[str]]]] = {
    "INBOX": [("in-0", set()), ("in-1", {SEEN}), ("in-2", {SEEN, FLAGGED, ANSWERED})],
    "Work": [("w-0", {SEEN}), ("w-1", {FLAGGED})],
    "Work/Projects": [("p-0", set())],
    "Archive": [("a-0", {SEEN}), ("a-1", {SEEN})],
    "Drafts": [("d-0", {DRAFT})],
}


def offlineimaprc(tmp_path: Path, port: int) -> Path:
    """One account: a plaintext IMAP remote and a Maildir with '/' nesting."""
    path = tmp_path / "offlineimaprc"
    path.write_text(
        f"""[general]
accounts = roost
metadata = {tmp_path / "offlineimap-meta"}
ui = basic

[Account roost]
localrepository = local
remoterepository = remote

[Repository local]
type = Maildir
localfolders = {tmp_path / "Mail"}
sep = /

[Repository remote]
type = IMAP
remotehost = 127.0.0.1
remoteport = {port}
ssl = no
starttls = no
remoteuser = {USER}
remotepass = {PASSWORD}
auth_mechanisms = PLAIN, LOGIN
maxconnections = 2
"""
    )
    return path


@pytest.mark.timeout(60)
def test_offlineimap_pull_then_push(tmp_path, server, imap, require_tool, run_tool) -> None:
    offlineimap = require_tool("offlineimap", "offlineimap3")
    config = offlineimaprc(tmp_path, server.imap_port)
    local = tmp_path / "Mail"
    client = imap()
    expected = populate(client, INITIAL)
    # -d imap logs the IMAP exchange, so a failure shows what was said.
    command = [offlineimap, "-c", str(config), "-o", "-u", "basic", "-d", "imap"]

    run_tool(command)
    assert_states(expected, server_state(client), maildir_state(local))

    local_changes(local, expected)
    run_tool(command)
    assert_states(expected, server_state(client), maildir_state(local))

    # UIDNEXT and HIGHESTMODSEQ of every mailbox (MailboxInfo) tell whether anything changed.
    user = server.store.get_user(USER)
    before = server.store.list_mailboxes(user.id), maildir_state(local)
    run_tool(command)
    after = server.store.list_mailboxes(user.id), maildir_state(local)
    assert after == before, "a sync with nothing to do changed something"
    assert_states(expected, server_state(client), maildir_state(local))


def local_changes(local: Path, expected: State) -> None:
    """What a mail reader does to the Maildir between two syncs."""
    fresh = make_message(mid("local-new-0"), "written locally into new/")
    deliver(local / "Work", "1700000001.R1.roost-test", fresh)
    expected["Work"][mid("local-new-0")] = msg(set(), fresh)
    replied = make_message(mid("local-new-1"), "written locally into cur/ as answered")
    deliver(local / "INBOX", "1700000002.R2.roost-test", replied, {SEEN, ANSWERED})
    expected["INBOX"][mid("local-new-1")] = msg({SEEN, ANSWERED}, replied)

    changes = [
        ("INBOX", "in-0", {SEEN, FLAGGED}),  # added flags
        ("INBOX", "in-2", {SEEN}),  # removed flags
        ("Work", "w-1", set()),  # all flags removed
    ]
    for folder, name, flags in changes:
        with_flags(maildir_files(local / folder)[mid(name)], flags)
        expected[folder][mid(name)] = msg(flags, expected[folder][mid(name)].body)

    maildir_files(local / "Archive")[mid("a-0")].unlink()
    del expected["Archive"][mid("a-0")]
