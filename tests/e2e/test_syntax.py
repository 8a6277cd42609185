"""Grammar corners every client may use: case, quoting, literals, tags, flags.

RFC 9051 9 (formal syntax: keywords are case-insensitive, astrings may be atoms,
quoted strings or literals), 2.3.2 (system flags), RFC 2177 ("DONE").
"""

from __future__ import annotations

import pytest

from .conftest import append
from .imapwire import Lit, Result

MSG = b"From: s@example.org\r\nSubject: syntax\r\n\r\nbody\r\n"


@pytest.fixture
def selected(raw):
    append(raw, "INBOX", MSG)
    append(raw, "INBOX", MSG, flags="\\Flagged")
    assert raw.command("SELECT INBOX").ok
    return raw


@pytest.mark.parametrize(
    "command",
    [
        "noop",
        "Capability",
        "fetch 1:* (flags uid)",
        "uid fetch 1:* (body.peek[header.fields (from)])",
        "search or seen flagged",
        "uid search not deleted",
        "store 1 +flags.silent (\\seen)",
        'status "INBOX" (messages unseen)',
        'list (subscribed) "" "*" return (children)',
        'list "" "*" return (status (messages))',
        "examine inbox",
    ],
)
def test_keywords_are_case_insensitive(selected, command):
    assert selected.command(command).ok


def test_lowercase_fetch_items_answer(selected):
    result = selected.command("fetch 2 (flags body.peek[header.fields (subject)])")
    entry = result.fetches()[2]
    assert "\\Flagged" in entry["FLAGS"]
    assert b"Subject: syntax\r\n\r\n" in entry.values()


def test_system_flags_normalised(selected):
    selected.command("STORE 1 FLAGS (\\SEEN \\flagged)")
    flags = set(selected.command("FETCH 1 (FLAGS)").fetches()[1]["FLAGS"]) - {"\\Recent"}
    assert flags == {"\\Seen", "\\Flagged"}
    assert selected.command("SEARCH SEEN FLAGGED").named("SEARCH") == [["1"]]


@pytest.mark.parametrize("spelling", ["INBOX", '"INBOX"', "{5}"])
def test_mailbox_as_atom_quoted_or_literal(raw, spelling):
    if spelling == "{5}":
        result = raw.command("SELECT ", Lit(b"INBOX"))
    else:
        result = raw.command(f"SELECT {spelling}")
    assert result.ok


def test_nonsync_literal_arguments(raw):
    result = raw.command("CREATE ", Lit(b"Lit Box", nonsync=True))
    assert result.ok and not result.continuations
    assert raw.command('STATUS "Lit Box" (MESSAGES)').ok


def test_quoted_name_with_specials(client, raw):
    name = 'Quote"Back\\slash'
    client.create_folder(name)
    assert name in [f[2] for f in client.list_folders()]
    assert raw.command('SELECT "Quote\\"Back\\\\slash"').ok


def test_tags_with_punctuation(raw):
    for tag in ("a.b-c_1", "A001", "x]y", "9"):
        result = raw.command("NOOP", tag=tag)
        assert result.ok and result.tag == tag


def test_idle_done_any_case(selected):
    selected.send(b"i1 IDLE\r\n")
    assert selected.read_response().startswith(b"+")
    selected.send(b"done\r\n")
    assert selected.read_until_tagged(Result("i1", "", None, "")).ok


def test_sequence_set_with_star_and_reversed(selected):
    assert sorted(selected.command("FETCH *:1 (UID)").fetches()) == [1, 2]
    assert sorted(selected.command("FETCH 2,1 (UID)").fetches()) == [1, 2]
    assert sorted(selected.command("FETCH 1:1,2:2 (UID)").fetches()) == [1, 2]


def test_list_mutf7_pattern(client, raw):
    client.create_folder("Café/Menü")
    result = raw.command('LIST "" "Caf&AOk-/*"')
    assert result.ok and len(result.named("LIST")) == 1


def test_inbox_children(raw):
    assert raw.command('CREATE "INBOX/Sub"').ok
    append(raw, "INBOX", MSG)
    result = raw.command('LIST "" "INBOX*" RETURN (CHILDREN)')
    names = {line.rsplit(b" ", 1)[-1].strip(b'"') for line in result.untagged}
    assert names == {b"INBOX", b"INBOX/Sub"}
    assert raw.command('RENAME INBOX "Old"').ok
    # RFC 9051 6.3.6: renaming INBOX moves its messages, not its children
    assert raw.command('STATUS "INBOX/Sub" (MESSAGES)').ok
    assert raw.command('STATUS "Old" (MESSAGES)').named("STATUS")[0][1] == ["MESSAGES", "1"]
    assert raw.command('STATUS "Old/Sub" (MESSAGES)').status == "NO"


def test_copy_keeps_date_and_flags(selected):
    append(selected, "INBOX", MSG, flags="\\Answered $Kw", date="03-Apr-2001 05:06:07 +0200")
    selected.command("NOOP")
    result = selected.command("COPY 3 INBOX")  # into the selected mailbox itself
    assert result.ok
    later = selected.command("NOOP")
    exists = [n for n, _ in result.numbered("EXISTS") + later.numbered("EXISTS")]
    assert exists == [4]
    entry = selected.command("FETCH 4 (FLAGS INTERNALDATE BODY.PEEK[])").fetches()[4]
    assert {"\\Answered", "$Kw"} <= set(entry["FLAGS"])
    assert entry["INTERNALDATE"] == b"03-Apr-2001 05:06:07 +0200"
    assert entry["BODY[]"] == MSG


def test_append_invalid_dates(raw):
    for date in ("31-Feb-2023 10:00:00 +0000", "01-Jan-2023 25:00:00 +0000", "01-Jan-2023"):
        result = raw.command(f'APPEND INBOX "{date}" ', Lit(MSG))
        assert result.status == "BAD", (date, result)
    assert raw.command("STATUS INBOX (MESSAGES)").named("STATUS")[0][1] == ["MESSAGES", "0"]


def test_id_response_shape(raw):
    result = raw.command('ID ("name" "e2e-suite" "version" "1.0")')
    assert result.ok
    ((params,),) = result.named("ID")
    assert params is None or (isinstance(params, list) and len(params) % 2 == 0)
