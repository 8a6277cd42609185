"""STORE, COPY, MOVE, EXPUNGE, UID EXPUNGE, CLOSE, UNSELECT and CHECK.

RFC 9051 6.4.1-6.4.3, 6.4.6-6.4.9, RFC 4315 (UIDPLUS: COPYUID, UID EXPUNGE),
RFC 6851 (MOVE: COPYUID before the EXPUNGEs), RFC 3691 (UNSELECT).
"""

from __future__ import annotations

import pytest

from .conftest import append, appenduid
from .imapwire import apply_expunges, expand_set


def msg(n: int) -> bytes:
    return f"Subject: message {n}\r\nFrom: n{n}@example.org\r\n\r\nbody {n}\r\n".encode()


@pytest.fixture
def box(raw) -> list[int]:
    """Five messages in INBOX, selected read-write; returns their UIDs."""
    uids = [append(raw, "INBOX", msg(n)) for n in range(1, 6)]
    assert raw.command("SELECT INBOX").ok
    return uids


def flags_of(result, seq: int) -> set[str]:
    return set(result.fetches()[seq]["FLAGS"]) - {"\\Recent"}


def uids_in(raw) -> list[int]:
    return [int(e["UID"]) for _, e in sorted(raw.command("FETCH 1:* (UID)").fetches().items())]


# ---------------------------------------------------------------- STORE


def test_store_replace_add_remove(raw, box):
    result = raw.command("STORE 1 FLAGS (\\Seen \\Flagged)")
    assert result.ok and flags_of(result, 1) == {"\\Seen", "\\Flagged"}
    result = raw.command("STORE 1 +FLAGS (\\Answered $Work)")
    assert flags_of(result, 1) == {"\\Seen", "\\Flagged", "\\Answered", "$Work"}
    result = raw.command("STORE 1 -FLAGS (\\Seen $Work)")
    assert flags_of(result, 1) == {"\\Flagged", "\\Answered"}
    result = raw.command("STORE 1 FLAGS ()")
    assert flags_of(result, 1) == set()


def test_store_silent(raw, box):
    result = raw.command("STORE 1:3 +FLAGS.SILENT (\\Deleted)")
    assert result.ok and result.fetches() == {}
    result = raw.command("STORE 1 -FLAGS.SILENT (\\Deleted)")
    assert result.ok and result.fetches() == {}
    got = raw.command("FETCH 1:3 (FLAGS)").fetches()
    assert ["\\Deleted" in got[i]["FLAGS"] for i in (1, 2, 3)] == [False, True, True]


def test_store_range_reports_each(raw, box):
    raw.command("STORE 2 FLAGS (\\Seen)")
    result = raw.command("STORE 2:4 +FLAGS (\\Deleted)")
    assert sorted(result.fetches()) == [2, 3, 4]
    assert flags_of(result, 2) == {"\\Deleted", "\\Seen"}
    assert flags_of(result, 3) == {"\\Deleted"}


def test_uid_store_includes_uid(raw, box):
    result = raw.command(f"UID STORE {box[3]} +FLAGS (\\Flagged)")
    assert result.ok
    assert int(result.fetches()[4]["UID"]) == box[3]


def test_store_keywords_become_flags(raw, box):
    raw.command("STORE 1 +FLAGS (Custom1 $Label2)")
    result = raw.command("SELECT INBOX")
    (flags,) = result.named("FLAGS")
    assert {"Custom1", "$Label2"} <= set(flags[0])


def test_store_bad_syntax(raw, box):
    assert raw.command("STORE 1 +FLAGS (\\Seen").status == "BAD"
    assert raw.command("STORE 1 SETFLAGS (\\Seen)").status == "BAD"
    assert raw.command("STORE 1 +FLAGS (\\NotASystemFlag)").status in ("BAD", "NO")


def test_store_imapclient(client_connect, raw, box):
    client = client_connect("alice")
    client.select_folder("INBOX")
    changed = client.add_flags(box[:2], [b"\\Flagged", b"Important"])
    assert {uid: set(f) for uid, f in changed.items()} == {
        box[0]: {b"\\Flagged", b"Important"},
        box[1]: {b"\\Flagged", b"Important"},
    }
    client.remove_flags([box[0]], [b"Important"])
    client.set_flags([box[2]], [b"\\Seen"])
    got = client.get_flags(box[:3])
    assert set(got[box[0]]) == {b"\\Flagged"}
    assert set(got[box[1]]) == {b"\\Flagged", b"Important"}
    assert set(got[box[2]]) == {b"\\Seen"}


def test_store_imaplib(imap, box):
    imap.select("INBOX")
    typ, data = imap.store("1:2", "+FLAGS", "(\\Answered)")
    assert typ == "OK" and len(data) == 2
    assert all(b"\\Answered" in line for line in data)


# ---------------------------------------------------------------- COPY / MOVE


def test_copy_with_copyuid(raw, box):
    raw.command("CREATE Target")
    raw.command("STORE 2 +FLAGS (\\Flagged)")
    result = raw.command("COPY 2:3 Target")
    assert result.ok
    word, validity, source, dest = result.code.split()
    assert word.upper() == "COPYUID"
    assert expand_set(source) == box[1:3]
    status = raw.command("STATUS Target (UIDVALIDITY MESSAGES)").named("STATUS")[0][1]
    assert int(validity) == int(status[1]) and status[3] == "2"
    raw.command("SELECT Target")
    copied = raw.command(f"UID FETCH {dest} (FLAGS BODY.PEEK[])").fetches()
    assert [e["BODY[]"] for e in copied.values()] == [msg(2), msg(3)]
    assert "\\Flagged" in copied[1]["FLAGS"]
    raw.command("SELECT INBOX")
    assert uids_in(raw) == box  # the source is untouched


def test_uid_copy(raw, box):
    result = raw.command(f"UID COPY {box[4]},{box[0]} Drafts")
    assert result.ok
    _, _, source, dest = result.code.split()
    assert expand_set(source) == [box[0], box[4]]
    assert len(expand_set(dest)) == 2


def test_copy_to_missing_mailbox(raw, box):
    result = raw.command("COPY 1 Nowhere")
    assert result.status == "NO" and result.code == "TRYCREATE"


def test_move_sends_copyuid_before_expunge(raw, box):
    raw.command("CREATE Target")
    result = raw.command("MOVE 2:3 Target")
    assert result.ok
    copyuid = [i for i, line in enumerate(result.untagged) if b"[COPYUID " in line.upper()]
    expunges = [i for i, line in enumerate(result.untagged) if line.endswith(b"EXPUNGE")]
    assert copyuid and len(expunges) == 2
    assert copyuid[0] < expunges[0]
    seqs = [seq for seq, _ in result.numbered("EXPUNGE")]
    assert apply_expunges(box, seqs) == [box[0], box[3], box[4]]
    assert uids_in(raw) == [box[0], box[3], box[4]]
    status = raw.command("STATUS Target (MESSAGES)").named("STATUS")[0][1]
    assert status == ["MESSAGES", "2"]


def test_uid_move(raw, box):
    raw.command("CREATE Target")
    result = raw.command(f"UID MOVE {box[4]} Target")
    assert result.ok
    assert [seq for seq, _ in result.numbered("EXPUNGE")] == [5]
    raw.command("SELECT Target")
    assert raw.command("FETCH 1 (BODY.PEEK[])").fetches()[1]["BODY[]"] == msg(5)


def test_move_to_missing_mailbox_keeps_messages(raw, box):
    result = raw.command("MOVE 1 Nowhere")
    assert result.status == "NO" and result.code == "TRYCREATE"
    assert uids_in(raw) == box


def test_move_read_only(raw, box):
    raw.command("EXAMINE INBOX")
    assert raw.command("MOVE 1 Drafts").status == "NO"


def test_copy_move_imapclient(client):
    client.create_folder("Kept")
    uids = [appenduid(client.append("INBOX", msg(n))) for n in (1, 2)]
    client.select_folder("INBOX")
    client.copy([uids[0]], "Kept")
    client.move([uids[1]], "Kept")
    assert client.search("ALL") == [uids[0]]
    assert client.folder_status("Kept", ["MESSAGES"])[b"MESSAGES"] == 2


def test_copy_imaplib(imap, box):
    imap.select("INBOX")
    typ, data = imap.copy("1:2", "Archive")
    assert typ == "OK" and b"COPYUID" in data[0].upper()
    typ, data = imap.uid("MOVE", str(box[2]), "Archive")
    assert typ == "OK"


# ---------------------------------------------------------------- EXPUNGE family


def test_expunge_rfc_numbering(raw):
    uids = [append(raw, "INBOX", msg(n)) for n in range(1, 12)]
    raw.command("SELECT INBOX")
    assert raw.command("STORE 3:4,7,11 +FLAGS.SILENT (\\Deleted)").ok
    result = raw.command("EXPUNGE")
    assert result.ok
    seqs = [seq for seq, _ in result.numbered("EXPUNGE")]
    assert len(seqs) == 4
    remaining = [u for i, u in enumerate(uids, 1) if i not in (3, 4, 7, 11)]
    assert apply_expunges(uids, seqs) == remaining
    assert uids_in(raw) == remaining


def test_expunge_nothing_deleted(raw, box):
    result = raw.command("EXPUNGE")
    assert result.ok and result.numbered("EXPUNGE") == []


def test_expunge_read_only(raw, box):
    raw.command("STORE 1 +FLAGS (\\Deleted)")
    raw.command("EXAMINE INBOX")
    result = raw.command("EXPUNGE")
    assert result.status == "NO" or result.numbered("EXPUNGE") == []
    assert len(uids_in(raw)) == 5


def test_uid_expunge_only_listed(raw, box):
    raw.command("STORE 1:3 +FLAGS.SILENT (\\Deleted)")
    result = raw.command(f"UID EXPUNGE {box[1]}:{box[4]}")
    assert result.ok
    assert apply_expunges(box, [seq for seq, _ in result.numbered("EXPUNGE")]) == [
        box[0],
        box[3],
        box[4],
    ]
    assert uids_in(raw) == [box[0], box[3], box[4]]


def test_expunge_imapclient(client):
    uids = [appenduid(client.append("INBOX", msg(n))) for n in (1, 2, 3)]
    client.select_folder("INBOX")
    client.delete_messages(uids)
    client.expunge([uids[0]])  # UID EXPUNGE
    assert client.search("ALL") == uids[1:]
    text, responses = client.expunge()
    assert apply_expunges(uids[1:], [n for n, what in responses if what == b"EXPUNGE"]) == []
    assert client.search("ALL") == []


def test_close_expunges_silently(raw, box):
    raw.command("STORE 2,4 +FLAGS.SILENT (\\Deleted)")
    result = raw.command("CLOSE")
    assert result.ok and result.numbered("EXPUNGE") == []
    assert raw.command("FETCH 1 (FLAGS)").status == "BAD"  # back to authenticated
    status = raw.command("STATUS INBOX (MESSAGES)").named("STATUS")[0][1]
    assert status == ["MESSAGES", "3"]


def test_close_after_examine_keeps_messages(raw, box):
    raw.command("STORE 1 +FLAGS.SILENT (\\Deleted)")
    raw.command("EXAMINE INBOX")
    assert raw.command("CLOSE").ok
    status = raw.command("STATUS INBOX (MESSAGES)").named("STATUS")[0][1]
    assert status == ["MESSAGES", "5"]


def test_unselect_keeps_deleted(raw, box):
    raw.command("STORE 1 +FLAGS.SILENT (\\Deleted)")
    result = raw.command("UNSELECT")
    assert result.ok and result.numbered("EXPUNGE") == []
    assert raw.command("FETCH 1 (FLAGS)").status == "BAD"
    status = raw.command("STATUS INBOX (MESSAGES DELETED)").named("STATUS")[0][1]
    assert status == ["MESSAGES", "5", "DELETED", "1"]


def test_close_unselect_imapclient(client):
    client.append("INBOX", msg(1))
    client.select_folder("INBOX")
    client.unselect_folder()
    client.select_folder("INBOX")
    client.delete_messages(client.search("ALL"))
    client.close_folder()
    assert client.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"] == 0


def test_check(raw, box):
    assert raw.command("CHECK").ok
    raw.command("UNSELECT")
    assert raw.command("CHECK").status == "BAD"


def test_check_close_imaplib(imap, box):
    imap.select("INBOX")
    assert imap.check()[0] == "OK"
    imap.store("1", "+FLAGS", "(\\Deleted)")
    assert imap.expunge() == ("OK", [b"1"])
    assert imap.close()[0] == "OK"
