"""CONDSTORE (RFC 7162 section 3.1) through real Sessions and a real SqliteStore.

Each test checks exact server output; the RFC's examples are replayed with this
store's own numbers (its MODSEQs start at 1 per mailbox).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from roost.storage.sqlite import SqliteStore
from tests.session.harness import Client, add_messages


def modseqs(store: SqliteStore, client: Client, name: str = "INBOX") -> dict[int, int]:
    return {m.uid: m.modseq for m in store.message_flags(client.mailbox_id(name))}


def highest(store: SqliteStore, client: Client, name: str = "INBOX") -> int:
    return store.status(client.mailbox_id(name)).highestmodseq


@pytest.fixture
def rev2(connect: Callable[..., Client]) -> Client:
    """An IMAP4rev2 session (no \\Recent to keep the lines short)."""
    client = connect()
    assert client.run("e ENABLE IMAP4rev2")[-1] == "e OK ENABLE completed"
    return client


@pytest.fixture
def box(rev2: Client, store: SqliteStore) -> Client:
    """INBOX with messages 1-9 (UIDs 1-9), selected, CONDSTORE not yet enabled."""
    add_messages(store, rev2.mailbox_id(), 9)
    assert rev2.run("s SELECT INBOX")[-1] == "s OK [READ-WRITE] SELECT completed"
    return rev2


# ---------------------------------------------------------------- enabling


def test_enable_condstore_and_qresync(connect: Callable[..., Client]) -> None:
    a = connect()
    assert a.run("a ENABLE CONDSTORE") == ["* ENABLED CONDSTORE", "a OK ENABLE completed"]
    assert a.session.condstore and not a.session.qresync
    b = connect()
    # RFC 7162 3.2.3: QRESYNC implies CONDSTORE; ENABLED lists what was asked for.
    assert b.run("b ENABLE QRESYNC") == ["* ENABLED QRESYNC", "b OK ENABLE completed"]
    assert b.session.condstore and b.session.qresync
    c = connect()
    assert c.run("c ENABLE qresync condstore") == [
        "* ENABLED QRESYNC CONDSTORE",
        "c OK ENABLE completed",
    ]


def test_capabilities_after_login_only(connect: Callable[..., Client]) -> None:
    client = connect(login=False)
    assert "CONDSTORE" not in client.session.capabilities()
    client.login()
    caps = client.session.capabilities()
    assert "CONDSTORE" in caps and "QRESYNC" in caps


def test_select_condstore_parameter_sends_highestmodseq(
    connect: Callable[..., Client], store: SqliteStore
) -> None:
    client = connect()
    add_messages(store, client.mailbox_id(), 2)
    st = store.status(client.mailbox_id())
    plain = client.run("a SELECT INBOX")
    assert not any("HIGHESTMODSEQ" in line for line in plain)
    assert not client.session.condstore
    # RFC 7162 3.1.2.1 example 1, in this server's words and numbers.
    assert client.run("b EXAMINE INBOX (CONDSTORE)") == [
        "* OK [CLOSED] Previous mailbox is now closed",
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
        "* OK [PERMANENTFLAGS ()] Read-only mailbox",
        "* 2 EXISTS",
        "* 0 RECENT",
        "* OK [UNSEEN 1] First unseen",
        f"* OK [UIDVALIDITY {st.uidvalidity}] UIDs valid",
        "* OK [UIDNEXT 3] Predicted next UID",
        f"* OK [HIGHESTMODSEQ {st.highestmodseq}] Highest",
        "b OK [READ-ONLY] EXAMINE completed",
    ]
    assert client.session.condstore
    # From now on every SELECT says it, with or without the parameter; never NOMODSEQ.
    out = client.run("c SELECT INBOX")
    assert f"* OK [HIGHESTMODSEQ {st.highestmodseq}] Highest" in out
    assert not any("NOMODSEQ" in line for line in out)


def test_enable_then_select_and_empty_mailbox(rev2: Client, store: SqliteStore) -> None:
    rev2.run("a ENABLE CONDSTORE")
    out = rev2.run("b SELECT Drafts")
    # A mailbox that never changed still has a positive HIGHESTMODSEQ (its grammar
    # is mod-sequence-value, 1 or more).
    assert f"* OK [HIGHESTMODSEQ {highest(store, rev2, 'Drafts')}] Highest" in out
    assert highest(store, rev2, "Drafts") >= 1


@pytest.mark.parametrize(
    "command",
    [
        "FETCH 1 (MODSEQ)",
        "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)",
        "SEARCH MODSEQ 1",
        "SEARCH NOT (OR SEEN MODSEQ 5)",
        "UID SEARCH RETURN (COUNT) MODSEQ 2",
        "STORE 1 (UNCHANGEDSINCE 100) +FLAGS.SILENT (\\Seen)",
        "STATUS Drafts (HIGHESTMODSEQ)",
        'LIST "" "*" RETURN (STATUS (HIGHESTMODSEQ))',
    ],
)
def test_condstore_enabling_commands(box: Client, command: str) -> None:
    assert not box.session.condstore
    assert box.run("a " + command)[-1].startswith("a OK")
    assert box.session.condstore


@pytest.mark.parametrize(
    "command",
    [
        "FETCH 1 (FLAGS UID)",
        "SEARCH ALL",
        "STORE 1 +FLAGS (\\Seen)",
        "STATUS Drafts (MESSAGES UIDNEXT)",
        'LIST "" "*" RETURN (STATUS (MESSAGES))',
        "NOOP",
    ],
)
def test_other_commands_do_not_enable(box: Client, command: str) -> None:
    assert box.run("a " + command)[-1].startswith("a OK")
    assert not box.session.condstore


# ---------------------------------------------------------------- FETCH


def test_fetch_modseq_item_and_flags_carry_modseq(box: Client, store: SqliteStore) -> None:
    ms = modseqs(store, box)
    assert box.run("a FETCH 1:2 (FLAGS)") == [
        "* 1 FETCH (FLAGS ())",
        "* 2 FETCH (FLAGS ())",
        "a OK FETCH completed",
    ]
    # RFC 7162 3.1.4.2 example 13 (MODSEQ alone)
    assert box.run("b FETCH 1:2 (MODSEQ)") == [
        f"* 1 FETCH (MODSEQ ({ms[1]}))",
        f"* 2 FETCH (MODSEQ ({ms[2]}))",
        "b OK FETCH completed",
    ]
    # Enabled now: FLAGS never travels without its MODSEQ.
    assert box.run("c UID FETCH 3 (FLAGS)") == [
        f"* 3 FETCH (UID 3 FLAGS () MODSEQ ({ms[3]}))",
        "c OK FETCH completed",
    ]
    # ... but items without FLAGS are left alone.
    assert box.run("d FETCH 3 (RFC822.SIZE)")[0].startswith("* 3 FETCH (RFC822.SIZE ")
    assert "MODSEQ" not in box.run("d FETCH 3 (RFC822.SIZE)")[0]


def test_fetch_changedsince(box: Client, store: SqliteStore, connect) -> None:
    other = connect()
    other.run("s SELECT INBOX")
    since = highest(store, box)
    other.run("a STORE 2,5 +FLAGS ($Done)")
    ms = modseqs(store, box)
    # RFC 7162 3.1.4.1 example 12: only the messages changed since, MODSEQ implied.
    assert box.run(f"b FETCH 1:* (FLAGS) (CHANGEDSINCE {since})") == [
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Done)",
        f"* 2 FETCH (FLAGS ($Done) MODSEQ ({ms[2]}))",
        f"* 5 FETCH (FLAGS ($Done) MODSEQ ({ms[5]}))",
        "b OK FETCH completed",
    ]
    # Told already: the sync after the command repeats nothing.
    assert box.run("c NOOP") == ["c OK NOOP completed"]
    assert box.run(f"d UID FETCH 1:4 (UID) (CHANGEDSINCE {ms[2]})") == ["d OK FETCH completed"]


def test_fetch_that_sets_seen_shows_uid_and_modseq(box: Client, store: SqliteStore) -> None:
    box.run("a FETCH 1 (MODSEQ)")
    out = box.run("b FETCH 1 (BODY[TEXT])")
    ms = modseqs(store, box)
    assert out[0].startswith("* 1 FETCH (BODY[TEXT] {")
    assert out[0].endswith(f" FLAGS (\\Seen) UID 1 MODSEQ ({ms[1]}))")
    assert out[1:] == ["b OK FETCH completed"]
    assert box.run("c NOOP") == ["c OK NOOP completed"]


# ---------------------------------------------------------------- unsolicited FETCH


def test_other_sessions_changes_carry_modseq(box: Client, store: SqliteStore, connect) -> None:
    other = connect()
    other.run("s SELECT INBOX")
    other.run("a STORE 3 +FLAGS (\\Flagged)")
    assert box.run("b NOOP") == ["* 3 FETCH (FLAGS (\\Flagged) UID 3)", "b OK NOOP completed"]
    box.run("c FETCH 1 (MODSEQ)")
    other.run("d STORE 4 +FLAGS (\\Flagged)")
    assert box.run("e NOOP") == [
        f"* 4 FETCH (FLAGS (\\Flagged) UID 4 MODSEQ ({modseqs(store, box)[4]}))",
        "e OK NOOP completed",
    ]


def test_flag_set_and_cleared_elsewhere_is_reported_under_condstore(
    box: Client, store: SqliteStore, connect
) -> None:
    other = connect()
    other.run("s SELECT INBOX")
    other.run("a STORE 6 +FLAGS.SILENT (\\Flagged)")
    other.run("b STORE 6 -FLAGS.SILENT (\\Flagged)")
    # The flags look the same: without CONDSTORE nothing to say ...
    assert box.run("c NOOP") == ["c OK NOOP completed"]
    box.run("d FETCH 1 (MODSEQ)")
    other.run("e STORE 6 +FLAGS.SILENT (\\Flagged)")
    other.run("f STORE 6 -FLAGS.SILENT (\\Flagged)")
    # ... with it the MODSEQ moved, and the client's cache must learn it.
    assert box.run("g NOOP") == [
        f"* 6 FETCH (FLAGS () UID 6 MODSEQ ({modseqs(store, box)[6]}))",
        "g OK NOOP completed",
    ]


# ---------------------------------------------------------------- STORE


def test_store_under_condstore_reports_modseq_once(box: Client, store: SqliteStore) -> None:
    box.run("a FETCH 1 (MODSEQ)")
    out = box.run("b STORE 1:2 +FLAGS (\\Answered)")
    ms = modseqs(store, box)
    assert out == [
        f"* 1 FETCH (FLAGS (\\Answered) MODSEQ ({ms[1]}))",
        f"* 2 FETCH (FLAGS (\\Answered) MODSEQ ({ms[2]}))",
        "b OK STORE completed",
    ]
    assert box.run("c NOOP") == ["c OK NOOP completed"]


def test_silent_store_under_condstore_still_sends_modseq(box: Client, store: SqliteStore) -> None:
    box.run("a FETCH 1 (MODSEQ)")
    assert box.run("b STORE 1 +FLAGS.SILENT (\\Answered)") == [
        f"* 1 FETCH (MODSEQ ({modseqs(store, box)[1]}))",
        "b OK STORE completed",
    ]
    assert box.run("c NOOP") == ["c OK NOOP completed"]
    # Nothing changed (already set): nothing to report for a plain .SILENT STORE.
    assert box.run("d STORE 1 +FLAGS.SILENT (\\Answered)") == ["d OK STORE completed"]
    assert box.run("e UID STORE 1 +FLAGS.SILENT (\\Seen)") == [
        f"* 1 FETCH (UID 1 MODSEQ ({modseqs(store, box)[1]}))",
        "e OK STORE completed",
    ]


def test_silent_store_with_concurrent_change_gets_flags_from_the_sync(
    box: Client, store: SqliteStore, connect
) -> None:
    box.run("a FETCH 1 (MODSEQ)")
    other = connect()
    other.run("s SELECT INBOX")
    other.run("b STORE 1 +FLAGS ($Other)")
    # This session has not heard of $Other when it stores: the result differs
    # from what it expects, so the sync tells it the real flags.
    out = box.run("c STORE 1 +FLAGS.SILENT (\\Answered)")
    ms = modseqs(store, box)
    assert out == [
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Other)",
        f"* 1 FETCH (MODSEQ ({ms[1]}))",
        f"* 1 FETCH (FLAGS (\\Answered $Other) UID 1 MODSEQ ({ms[1]}))",
        "c OK STORE completed",
    ]


def test_unchangedsince_rfc_example(box: Client, store: SqliteStore, connect) -> None:
    """RFC 7162 3.1.3 example 7: ``STORE 7,5,9 (UNCHANGEDSINCE x) +FLAGS.SILENT``
    where 7 and 9 changed after x: 5 is stored and reported, 7 and 9 are MODIFIED."""
    since = highest(store, box)
    other = connect()
    other.run("s SELECT INBOX")
    other.run("a STORE 7,9 +FLAGS.SILENT ($Seen2)")
    out = box.run(f"d105 STORE 7,5,9 (UNCHANGEDSINCE {since}) +FLAGS.SILENT (\\Deleted)")
    ms = modseqs(store, box)
    assert out[:2] == [
        f"* 5 FETCH (MODSEQ ({ms[5]}))",
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Seen2)",
    ]
    # The failed messages changed since this session last heard: the sync says how.
    assert out[3:] == [
        f"* 7 FETCH (FLAGS ($Seen2) UID 7 MODSEQ ({ms[7]}))",
        f"* 9 FETCH (FLAGS ($Seen2) UID 9 MODSEQ ({ms[9]}))",
        "d105 OK [MODIFIED 7,9] conditional STORE failed",
    ]
    assert modseqs(store, box)[5] > since
    assert "\\Deleted" not in store.message_flags(box.mailbox_id())[6].flags


def test_unchangedsince_uid_form_reports_unchanged_messages_too(
    box: Client, store: SqliteStore
) -> None:
    """RFC 7162 3.1.3 example 4 shape: every message that passed gets a FETCH
    with MODSEQ, one that already had the flag with its old MODSEQ."""
    box.run("a STORE 4 +FLAGS.SILENT (\\Deleted)")
    before = modseqs(store, box)
    out = box.run(
        f"a103 UID STORE 6,4,8 (UNCHANGEDSINCE {highest(store, box)}) +FLAGS.SILENT (\\Deleted)"
    )
    ms = modseqs(store, box)
    assert ms[4] == before[4]  # no change, no new MODSEQ (RFC 7162 3.1.11)
    assert out == [
        f"* 4 FETCH (UID 4 MODSEQ ({ms[4]}))",
        f"* 6 FETCH (UID 6 MODSEQ ({ms[6]}))",
        f"* 8 FETCH (UID 8 MODSEQ ({ms[8]}))",
        "a103 OK STORE completed",
    ]
    assert box.run("b NOOP") == ["b OK NOOP completed"]


def test_unchangedsince_without_silent_shows_flags(box: Client, store: SqliteStore) -> None:
    box.run("a STORE 1 +FLAGS.SILENT (\\Seen)")
    since = modseqs(store, box)[2]
    out = box.run(f"b STORE 1:3 (UNCHANGEDSINCE {since}) +FLAGS (\\Flagged)")
    ms = modseqs(store, box)
    assert out == [
        f"* 2 FETCH (FLAGS (\\Flagged) MODSEQ ({ms[2]}))",
        f"* 3 FETCH (FLAGS (\\Flagged) MODSEQ ({ms[3]}))",
        "b OK [MODIFIED 1] conditional STORE failed",
    ]


def test_unchangedsince_zero_always_fails(box: Client, store: SqliteStore) -> None:
    before = modseqs(store, box)
    assert box.run("a STORE 1:3 (UNCHANGEDSINCE 0) +FLAGS (\\Seen)") == [
        "a OK [MODIFIED 1:3] conditional STORE failed"
    ]
    assert box.run("b UID STORE 2,1 (UNCHANGEDSINCE 0) -FLAGS.SILENT (\\Seen)") == [
        "b OK [MODIFIED 1:2] conditional STORE failed"
    ]
    assert modseqs(store, box) == before


# ---------------------------------------------------------------- SEARCH


def test_search_modseq_rev1_form(connect: Callable[..., Client], store: SqliteStore) -> None:
    client = connect()
    add_messages(store, client.mailbox_id(), 5)
    client.run("s SELECT INBOX")
    client.run("a STORE 2,5 +FLAGS (\\Draft)")
    ms = modseqs(store, client)
    # RFC 7162 3.1.5 example 15 / 3.1.6: the highest MODSEQ of the messages returned.
    assert client.run(f"b SEARCH MODSEQ {ms[2]}") == [
        f"* SEARCH 2 5 (MODSEQ {ms[5]})",
        "b OK SEARCH completed",
    ]
    assert client.run(f'c UID SEARCH MODSEQ "/flags/\\\\draft" all {ms[1]} NOT DRAFT') == [
        f"* SEARCH 1 3 4 (MODSEQ {max(ms[1], ms[3], ms[4])})",
        "c OK SEARCH completed",
    ]
    # An empty result has no MODSEQ part; a SEARCH without MODSEQ none either.
    assert client.run(f"d SEARCH MODSEQ {ms[5] + 1}") == ["* SEARCH", "d OK SEARCH completed"]
    assert client.run("e SEARCH DRAFT") == ["* SEARCH 2 5", "e OK SEARCH completed"]


def test_search_modseq_esearch_forms(box: Client, store: SqliteStore) -> None:
    box.run("a STORE 3 +FLAGS (\\Flagged)")
    box.run("b STORE 7 +FLAGS (\\Flagged)")
    ms = modseqs(store, box)
    assert box.run("c SEARCH MODSEQ 1 FLAGGED") == [
        f'* ESEARCH (TAG "c") ALL 3,7 MODSEQ {ms[7]}',
        "c OK SEARCH completed",
    ]
    assert box.run("d UID SEARCH RETURN (MIN) MODSEQ 1 FLAGGED") == [
        f'* ESEARCH (TAG "d") UID MIN 3 MODSEQ {ms[3]}',
        "d OK SEARCH completed",
    ]
    assert box.run("e SEARCH RETURN (MIN MAX) MODSEQ 1 FLAGGED") == [
        f'* ESEARCH (TAG "e") MIN 3 MAX 7 MODSEQ {ms[7]}',
        "e OK SEARCH completed",
    ]
    assert box.run("f SEARCH RETURN (COUNT) MODSEQ 1 ALL") == [
        f'* ESEARCH (TAG "f") COUNT 9 MODSEQ {max(ms.values())}',
        "f OK SEARCH completed",
    ]
    assert box.run(f"g SEARCH RETURN (COUNT) MODSEQ {max(ms.values()) + 1}") == [
        '* ESEARCH (TAG "g") COUNT 0',
        "g OK SEARCH completed",
    ]
    assert box.run("h SEARCH RETURN (SAVE) MODSEQ 1") == ["h OK SEARCH completed"]


# ---------------------------------------------------------------- STATUS, LIST-STATUS


def test_status_and_list_status_highestmodseq(rev2: Client, store: SqliteStore) -> None:
    add_messages(store, rev2.mailbox_id(), 2)
    value = highest(store, rev2)
    assert rev2.run("a STATUS INBOX (HIGHESTMODSEQ MESSAGES)") == [
        f"* STATUS INBOX (HIGHESTMODSEQ {value} MESSAGES 2)",
        "a OK STATUS completed",
    ]
    out = rev2.run('b LIST "" "INBOX" RETURN (STATUS (UIDNEXT HIGHESTMODSEQ))')
    assert out == [
        '* LIST (\\HasNoChildren) "/" INBOX',
        f"* STATUS INBOX (UIDNEXT 3 HIGHESTMODSEQ {value})",
        "b OK LIST completed",
    ]


# ---------------------------------------------------------------- EXPUNGE and MOVE


def test_expunge_tagged_ok_has_highestmodseq_under_condstore(
    box: Client, store: SqliteStore
) -> None:
    box.run("a STORE 2,4 +FLAGS.SILENT (\\Deleted)")
    assert box.run("b EXPUNGE") == ["* 2 EXPUNGE", "* 3 EXPUNGE", "b OK EXPUNGE completed"]
    box.run("c FETCH 1 (MODSEQ)")
    box.run("d STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert box.run("e UID EXPUNGE 1:3") == [
        "* 1 EXPUNGE",
        f"e OK [HIGHESTMODSEQ {highest(store, box)}] UID EXPUNGE completed",
    ]
    # Nothing expunged: no code.
    assert box.run("f EXPUNGE") == ["f OK EXPUNGE completed"]


def test_move_under_condstore(box: Client, store: SqliteStore) -> None:
    box.run("a FETCH 1 (MODSEQ)")
    out = box.run("b UID MOVE 2 Archive")
    assert out[1:] == ["* 2 EXPUNGE", f"b OK [HIGHESTMODSEQ {highest(store, box)}] MOVE completed"]
    assert out[0].startswith("* OK [COPYUID ")


def test_fetch_that_sets_seen_with_flags_asked_adds_uid(box: Client, store: SqliteStore) -> None:
    box.run("a FETCH 1 (MODSEQ)")
    out = box.run("b FETCH 2 (FLAGS BODY[TEXT])")
    ms = modseqs(store, box)
    assert out[0].startswith("* 2 FETCH (FLAGS (\\Seen) BODY[TEXT] {")
    assert out[0].endswith(f" UID 2 MODSEQ ({ms[2]}))")
    # Already \Seen: nothing set, nothing added but MODSEQ (FLAGS is shown).
    out = box.run("c FETCH 2 (FLAGS BODY[TEXT])")
    assert out[0].startswith("* 2 FETCH (FLAGS (\\Seen) BODY[TEXT] {")
    assert out[0].endswith(f" MODSEQ ({ms[2]}))") and "UID" not in out[0]
