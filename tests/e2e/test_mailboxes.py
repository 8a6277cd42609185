"""SELECT/EXAMINE, CREATE, DELETE, RENAME, STATUS and non-ASCII mailbox names.

RFC 9051 6.3.2-6.3.6 and 6.3.11, RFC 3501 (rev1 responses), RFC 6154
(CREATE-SPECIAL-USE), RFC 6855 (UTF8=ACCEPT), RFC 3501 5.1.3 (modified UTF-7).
LIST, LSUB and subscriptions are in test_list.py.
"""

from __future__ import annotations

import base64

import pytest

from .conftest import append, list_entries
from .imapwire import parse_values, text

MSG = b"From: a@example.org\r\nSubject: box test\r\n\r\nhello\r\n"
SYSTEM_FLAGS = {"\\answered", "\\flagged", "\\deleted", "\\seen", "\\draft"}


def codes(result) -> dict[str, str]:
    """Untagged OK response codes as {NAME: rest}."""
    out = {}
    for code, _ in result.status_lines("OK"):
        if code:
            name, _, rest = code.partition(" ")
            out[name.upper()] = rest
    return out


def names(client, pattern: str = "*") -> set[str]:
    return set(list_entries(client.command(f'LIST "" "{pattern}"')))


def mutf7(name: str) -> str:
    """RFC 3501 5.1.3 written out here (independent of roost and imapclient)."""
    out, run = [], []

    def flush() -> None:
        if run:
            data = "".join(run).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode().rstrip("=").replace("/", ",") + "-")
            run.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


# ---------------------------------------------------------------- SELECT / EXAMINE


def test_select_rev1_responses(raw):
    uid1 = append(raw, "INBOX", MSG, flags="\\Seen")
    uid2 = append(raw, "INBOX", MSG)
    result = raw.command("SELECT INBOX")
    assert result.ok and result.code == "READ-WRITE", result
    assert [n for n, _ in result.numbered("EXISTS")] == [2]
    assert [n for n, _ in result.numbered("RECENT")] == [2]
    (flags,) = result.named("FLAGS")
    assert {f.lower() for f in flags[0]} >= SYSTEM_FLAGS
    found = codes(result)
    permanent = {f.lower() for f in parse_values(found["PERMANENTFLAGS"].encode())[0]}
    assert SYSTEM_FLAGS - {"\\recent"} <= permanent and "\\*" in permanent
    assert int(found["UIDVALIDITY"]) > 0
    assert int(found["UIDNEXT"]) > uid2 > uid1
    if "UNSEEN" in found:  # optional; when sent it names the first unseen message
        assert int(found["UNSEEN"]) == 2


def test_select_rev2_responses(raw):
    append(raw, "INBOX", MSG)
    assert raw.command("ENABLE IMAP4rev2").ok
    result = raw.command("SELECT INBOX")
    assert result.ok and result.code == "READ-WRITE"
    assert [n for n, _ in result.numbered("EXISTS")] == [1]
    assert result.numbered("RECENT") == []  # no \Recent in IMAP4rev2
    assert result.named("FLAGS")
    assert {"PERMANENTFLAGS", "UIDVALIDITY", "UIDNEXT"} <= set(codes(result))
    assert "INBOX" in list_entries(result)  # RFC 9051 6.3.2: LIST is required


def test_select_again_reports_closed_in_rev2(raw):
    raw.command("ENABLE IMAP4rev2")
    raw.command("SELECT INBOX")
    result = raw.command("SELECT Drafts")
    assert result.ok
    assert "CLOSED" in codes(result), result.untagged
    closed_at = [i for i, line in enumerate(result.untagged) if b"[CLOSED]" in line][0]
    exists_at = [i for i, line in enumerate(result.untagged) if line.endswith(b"EXISTS")][0]
    assert closed_at < exists_at


def test_examine_is_read_only(raw):
    append(raw, "INBOX", MSG)
    result = raw.command("EXAMINE INBOX")
    assert result.ok and result.code == "READ-ONLY"
    assert [n for n, _ in result.numbered("EXISTS")] == [1]
    store = raw.command("STORE 1 +FLAGS (\\Flagged)")
    assert store.status == "NO"
    assert raw.command("FETCH 1 BODY[]").ok
    flags = raw.command("FETCH 1 (FLAGS)").fetches()[1]["FLAGS"]
    assert "\\Seen" not in flags  # EXAMINE never sets \Seen


def test_select_imapclient(client):
    client.append("INBOX", MSG)
    info = client.select_folder("INBOX")
    assert info[b"EXISTS"] == 1
    assert b"READ-WRITE" in info
    assert info[b"UIDVALIDITY"] > 0 and info[b"UIDNEXT"] > 1
    assert {b"\\Seen", b"\\Deleted"} <= set(info[b"FLAGS"])
    ro = client.select_folder("INBOX", readonly=True)
    assert b"READ-ONLY" in ro and b"READ-WRITE" not in ro


def test_select_imaplib(imap):
    imap.append("INBOX", None, None, MSG)
    assert imap.select("INBOX") == ("OK", [b"1"])
    assert imap.select("INBOX", readonly=True) == ("OK", [b"1"])
    assert imap.response("READ-ONLY")[1] == [b""]


def test_select_nonexistent_deselects(raw):
    append(raw, "INBOX", MSG)
    raw.command("SELECT INBOX")
    failed = raw.command("SELECT NoSuchBox")
    assert failed.status == "NO"
    assert failed.code in ("NONEXISTENT", None)
    assert raw.command("FETCH 1 (FLAGS)").status == "BAD"  # nothing is selected now


def test_select_inbox_any_case(raw):
    assert raw.command("SELECT inbox").ok
    assert raw.command("SELECT iNbOx").ok
    assert raw.command("SELECT drafts").status == "NO"  # only INBOX is case-insensitive


# ---------------------------------------------------------------- CREATE


def test_create_and_already_exists(raw):
    assert raw.command("CREATE Projects").ok
    assert "Projects" in names(raw)
    again = raw.command("CREATE Projects")
    assert again.status == "NO" and again.code == "ALREADYEXISTS"


def test_create_inbox_refused(raw):
    for name in ("INBOX", "inbox"):
        assert raw.command(f"CREATE {name}").status == "NO"


def test_create_makes_parents(raw):
    assert raw.command('CREATE "a/b/c"').ok
    assert {"a", "a/b", "a/b/c"} <= names(raw)


def test_create_trailing_delimiter(raw):
    assert raw.command('CREATE "owatagusiam/"').ok
    assert "owatagusiam" in names(raw)
    assert raw.command('CREATE "owatagusiam/blurdybloop"').ok


def test_create_special_use(raw):
    assert raw.command("DELETE Archive").ok
    result = raw.command('CREATE "Old Mail" (USE (\\Archive))')
    assert result.ok, result
    listed = list_entries(raw.command('LIST (SPECIAL-USE) "" "*"'))
    assert "\\archive" in listed["Old Mail"][0]


def test_create_special_use_unknown_attribute(raw):
    result = raw.command("CREATE Weird (USE (\\NotAUse))")
    assert result.status == "NO" and result.code == "USEATTR"
    assert "Weird" not in names(raw)


def test_create_delete_imapclient(client):
    client.create_folder("Receipts/2024")
    assert client.folder_exists("Receipts/2024") and client.folder_exists("Receipts")
    client.delete_folder("Receipts/2024")
    assert not client.folder_exists("Receipts/2024")


# ---------------------------------------------------------------- DELETE


def test_delete(raw):
    raw.command("CREATE Junkyard")
    append(raw, "Junkyard", MSG)
    assert raw.command("DELETE Junkyard").ok
    assert "Junkyard" not in names(raw)
    status = raw.command("STATUS Junkyard (MESSAGES)")
    assert status.status == "NO" and status.code == "NONEXISTENT"


def test_delete_inbox_and_nonexistent(raw):
    assert raw.command("DELETE INBOX").status == "NO"
    missing = raw.command("DELETE Nowhere")
    assert missing.status == "NO" and missing.code == "NONEXISTENT"


def test_delete_with_children_leaves_noselect(raw):
    raw.command('CREATE "foo/bar"')
    append(raw, "foo", MSG)
    assert raw.command("DELETE foo").ok
    listed = list_entries(raw.command('LIST "" "*"'))
    assert "\\noselect" in listed["foo"][0]
    assert "foo/bar" in listed
    assert raw.command("SELECT foo").status == "NO"
    assert raw.command("DELETE foo").status == "NO"  # \Noselect with children
    assert raw.command('DELETE "foo/bar"').ok
    if "foo" in names(raw):  # a childless placeholder may linger; it must be deletable
        assert raw.command("DELETE foo").ok


def test_delete_and_recreate_gets_new_uidvalidity(raw):
    raw.command("CREATE Phoenix")
    first = codes(raw.command("SELECT Phoenix"))["UIDVALIDITY"]
    raw.command("SELECT INBOX")
    raw.command("DELETE Phoenix")
    raw.command("CREATE Phoenix")
    assert codes(raw.command("SELECT Phoenix"))["UIDVALIDITY"] != first


# ---------------------------------------------------------------- RENAME


def test_rename_keeps_messages(raw):
    raw.command("CREATE Projects")
    append(raw, "Projects", MSG)
    assert raw.command("RENAME Projects Work").ok
    assert "Projects" not in names(raw) and "Work" in names(raw)
    status = raw.command("STATUS Work (MESSAGES)").named("STATUS")[0]
    assert status[1] == ["MESSAGES", "1"]


def test_rename_hierarchy(raw):
    for name in ("foo/bar", "foo/baz/qux"):
        raw.command(f'CREATE "{name}"')
    assert raw.command("RENAME foo zowie").ok
    after = names(raw)
    assert {"zowie", "zowie/bar", "zowie/baz", "zowie/baz/qux"} <= after
    assert not any(n == "foo" or n.startswith("foo/") for n in after)


def test_rename_errors(raw):
    raw.command("CREATE One")
    raw.command("CREATE Two")
    clash = raw.command("RENAME One Two")
    assert clash.status == "NO" and clash.code == "ALREADYEXISTS"
    missing = raw.command("RENAME Nothing Something")
    assert missing.status == "NO" and missing.code == "NONEXISTENT"
    assert raw.command('RENAME One "One/inside"').status == "NO"


def test_rename_inbox_moves_messages(client):
    client.append("INBOX", MSG)
    client.append("INBOX", MSG)
    client.rename_folder("INBOX", "Old Inbox")
    assert client.folder_status("Old Inbox", ["MESSAGES"])[b"MESSAGES"] == 2
    assert client.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"] == 0
    assert client.select_folder("INBOX")[b"EXISTS"] == 0


def test_rename_creates_missing_parents(raw):
    raw.command("CREATE Loose")
    assert raw.command('RENAME Loose "Deep/Down/Loose"').ok
    assert {"Deep", "Deep/Down", "Deep/Down/Loose"} <= names(raw)


# ---------------------------------------------------------------- STATUS


def test_status_all_items(raw):
    sizes = [len(MSG), len(MSG) + 10, len(MSG) + 20]
    uids = [
        append(raw, "INBOX", MSG, flags="\\Seen"),
        append(raw, "INBOX", MSG + b"x" * 10, flags="\\Deleted"),
        append(raw, "INBOX", MSG + b"y" * 20),
    ]
    result = raw.command("STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE RECENT)")
    assert result.ok
    ((name, items),) = result.named("STATUS")
    assert text(name) == "INBOX"
    got = {str(items[i]).upper(): int(items[i + 1]) for i in range(0, len(items), 2)}
    uidvalidity = int(codes(raw.command("EXAMINE INBOX"))["UIDVALIDITY"])
    assert got == {
        "MESSAGES": 3,
        "UIDNEXT": got["UIDNEXT"],
        "UIDVALIDITY": uidvalidity,
        "UNSEEN": 2,
        "DELETED": 1,
        "SIZE": sum(sizes),
        "RECENT": 3,
    }
    assert got["UIDNEXT"] > uids[-1]


def test_status_imapclient(client):
    client.create_folder("Stats")
    client.append("Stats", MSG, flags=[b"\\Seen"])
    client.append("Stats", MSG)
    status = client.folder_status("Stats", ["MESSAGES", "UNSEEN", "UIDNEXT"])
    assert status[b"MESSAGES"] == 2 and status[b"UNSEEN"] == 1 and status[b"UIDNEXT"] >= 3


def test_status_nonexistent(raw):
    result = raw.command("STATUS Nowhere (MESSAGES)")
    assert result.status == "NO" and result.code == "NONEXISTENT"


def test_status_of_selected_mailbox(raw):
    raw.command("SELECT INBOX")
    append(raw, "INBOX", MSG)
    ((_, items),) = raw.command("STATUS INBOX (MESSAGES)").named("STATUS")
    assert items == ["MESSAGES", "1"]


# ---------------------------------------------------------------- non-ASCII names


NAME = "Café/Ünïcode ✓ & more"


def test_mutf7_names_via_imapclient(client, raw):
    client.create_folder(NAME)
    listed = names(raw)
    assert mutf7(NAME) in listed and mutf7("Café") in listed
    assert mutf7(NAME) == "Caf&AOk-/&ANw-n&AO8-code &JxM- &- more"
    assert NAME in [f[2] for f in client.list_folders()]
    client.select_folder(NAME)
    assert raw.command(f'SELECT "{mutf7(NAME)}"').ok


def test_utf8_names_after_enable(raw_connect, client):
    client.create_folder(NAME)
    utf8 = raw_connect("alice")
    assert utf8.command("ENABLE UTF8=ACCEPT").ok
    assert NAME in names(utf8)
    assert utf8.command(f'SELECT "{NAME}"'.encode()).ok
    assert utf8.command('CREATE "Übersicht"'.encode()).ok
    assert "Übersicht" in [f[2] for f in client.list_folders()]


def test_utf8_names_in_rev2(raw):
    raw.command("ENABLE IMAP4rev2")
    assert raw.command('CREATE "日本語"'.encode()).ok
    assert "日本語" in names(raw)


def test_invalid_mutf7_refused(raw):
    result = raw.command('CREATE "&Jjo"')
    assert result.status in ("NO", "BAD")
    assert not any(n.startswith("&") for n in names(raw))


def test_utf8_name_imaplib(imap):
    imap._get_capabilities()  # imaplib keeps the pre-login list otherwise
    typ, _ = imap.enable("UTF8=ACCEPT")
    assert typ == "OK"
    assert imap.create('"Grüße"')[0] == "OK"
    typ, data = imap.list('""', '"Gr*"')
    blob = b"".join(x if isinstance(x, bytes) else b"".join(x) for x in data)
    assert typ == "OK" and "Grüße".encode() in blob, data


@pytest.mark.parametrize("name", ["INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive"])
def test_default_mailboxes_exist(raw, name):
    assert raw.command(f"EXAMINE {name}").ok
