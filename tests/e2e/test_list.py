"""LIST (basic and LIST-EXTENDED), LSUB, SUBSCRIBE and UNSUBSCRIBE.

RFC 9051 6.3.7-6.3.9, RFC 5258 (selection/return options, CHILDINFO), RFC 5819
(LIST-STATUS), RFC 6154 (SPECIAL-USE), RFC 3501 6.3.9 (LSUB). The hierarchy is the
one of RFC 5258's examples; every user also has INBOX, Drafts, Sent, Trash, Junk
and Archive, all subscribed.
"""

from __future__ import annotations

from .conftest import append, list_entries
from .imapwire import text

DEFAULTS = {"INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive"}
SPECIAL = {"Drafts": "\\drafts", "Sent": "\\sent", "Trash": "\\trash", "Junk": "\\junk"}
SPECIAL["Archive"] = "\\archive"
TREE = ["Fruit", "Fruit/Apple", "Fruit/Banana", "Tofu", "Vegetable"]
TREE += ["Vegetable/Broccoli", "Vegetable/Corn"]
SUBSCRIBED = ["Fruit/Banana", "Fruit/Peach", "Vegetable", "Vegetable/Broccoli"]
MSG = b"Subject: list\r\n\r\nx\r\n"


def build(raw) -> None:
    for name in TREE + ["Fruit/Peach"]:
        assert raw.command(f'CREATE "{name}"').ok
    for name in SUBSCRIBED:
        assert raw.command(f'SUBSCRIBE "{name}"').ok
    # Subscriptions outlive the mailbox (RFC 9051 6.3.7): Peach becomes \NonExistent.
    assert raw.command('DELETE "Fruit/Peach"').ok


def listing(raw, command: str) -> dict:
    result = raw.command(command)
    assert result.ok, (command, result)
    return list_entries(result)


def test_list_root(raw):
    entries = listing(raw, 'LIST "" ""')
    assert list(entries) == [""]
    attrs, delimiter, _ = entries[""]
    assert "\\noselect" in attrs and delimiter == "/"


def test_list_star_and_percent(raw):
    build(raw)
    assert set(listing(raw, 'LIST "" "*"')) == DEFAULTS | set(TREE)
    assert set(listing(raw, 'LIST "" "%"')) == DEFAULTS | {"Fruit", "Tofu", "Vegetable"}
    assert set(listing(raw, 'LIST "" "Fruit/%"')) == {"Fruit/Apple", "Fruit/Banana"}
    assert set(listing(raw, 'LIST "Fruit/" "%"')) == {"Fruit/Apple", "Fruit/Banana"}
    assert set(listing(raw, 'LIST "" "Vegetable*"')) == {
        "Vegetable",
        "Vegetable/Broccoli",
        "Vegetable/Corn",
    }


def test_list_pattern_is_case_sensitive(raw):
    build(raw)
    found = set(listing(raw, 'LIST "" "*a*"'))
    assert found == {"Fruit/Banana", "Vegetable", "Vegetable/Broccoli", "Vegetable/Corn"} | {
        "Drafts",
        "Trash",
    }


def test_list_inbox_any_case(raw):
    assert set(listing(raw, 'LIST "" "inbox"')) == {"INBOX"}
    assert set(listing(raw, 'LIST "" "InBoX"')) == {"INBOX"}


def test_list_delimiter_everywhere(raw):
    build(raw)
    for _attrs, delimiter, _ in listing(raw, 'LIST "" "*"').values():
        assert delimiter == "/"


def test_list_return_children(raw):
    build(raw)
    entries = listing(raw, 'LIST "" "%" RETURN (CHILDREN)')
    assert "\\haschildren" in entries["Fruit"][0]
    assert "\\hasnochildren" in entries["Tofu"][0]
    assert "\\haschildren" in entries["Vegetable"][0]


def test_list_selection_subscribed(raw):
    build(raw)
    entries = listing(raw, 'LIST (SUBSCRIBED) "" "*"')
    assert set(entries) == DEFAULTS | set(SUBSCRIBED)
    for name in SUBSCRIBED:
        assert "\\subscribed" in entries[name][0], (name, entries[name])
    assert "\\nonexistent" in entries["Fruit/Peach"][0]
    assert "\\nonexistent" not in entries["Vegetable"][0]


def test_list_recursivematch_childinfo(raw):
    build(raw)
    entries = listing(raw, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"')
    assert set(entries) == DEFAULTS | {"Fruit", "Vegetable"}
    fruit_attrs, _, fruit_ext = entries["Fruit"]
    assert "\\subscribed" not in fruit_attrs
    assert _childinfo(fruit_ext) == ["SUBSCRIBED"]
    veg_attrs, _, veg_ext = entries["Vegetable"]
    assert "\\subscribed" in veg_attrs
    assert _childinfo(veg_ext) == ["SUBSCRIBED"]
    assert _childinfo(entries["INBOX"][2]) is None


def _childinfo(extended: list) -> list[str] | None:
    """The CHILDINFO values in a LIST response's extended data (RFC 5258 mbox-list-extended)."""
    if not extended:
        return None
    items = extended[0]
    for i in range(0, len(items) - 1, 2):
        if text(items[i]).upper() == "CHILDINFO":
            return [text(x).upper() for x in items[i + 1]]
    return None


def test_list_return_subscribed(raw):
    build(raw)
    entries = listing(raw, 'LIST "" "*" RETURN (SUBSCRIBED)')
    assert set(entries) == DEFAULTS | set(TREE)  # RETURN does not change the selection
    assert "\\subscribed" in entries["Vegetable"][0]
    assert "\\subscribed" not in entries["Tofu"][0]


def test_list_special_use(raw):
    build(raw)
    entries = listing(raw, 'LIST (SPECIAL-USE) "" "*"')
    assert set(entries) == set(SPECIAL)
    for name, attr in SPECIAL.items():
        assert attr in entries[name][0]
    plain = listing(raw, 'LIST "" "%" RETURN (SPECIAL-USE)')
    assert "\\sent" in plain["Sent"][0]
    assert not any(a in plain["Fruit"][0] for a in SPECIAL.values())


def test_list_return_status(raw):
    build(raw)
    append(raw, "Tofu", MSG, flags="\\Seen")
    append(raw, "Tofu", MSG)
    assert raw.command("DELETE Fruit").ok  # has children: stays as \Noselect
    result = raw.command('LIST "" "*" RETURN (STATUS (MESSAGES UNSEEN))')
    assert result.ok
    statuses = {text(name): items for name, items in result.named("STATUS")}
    assert statuses["Tofu"] == ["MESSAGES", "2", "UNSEEN", "1"]
    assert statuses["Vegetable"] == ["MESSAGES", "0", "UNSEEN", "0"]
    assert "Fruit" not in statuses  # no STATUS for a \Noselect mailbox
    assert "\\noselect" in list_entries(result)["Fruit"][0]
    # each STATUS follows the LIST of its mailbox (RFC 5819 section 2)
    order = [(line.split(b" ", 1)[0], line) for line in result.untagged]
    tofu_list = next(
        i for i, (k, v) in enumerate(order) if k == b"LIST" and v.rstrip(b'"').endswith(b"Tofu")
    )
    assert order[tofu_list + 1][0] == b"STATUS"


def test_list_several_patterns(raw):
    build(raw)
    assert set(listing(raw, 'LIST "" ("Tofu" "Fruit/%")')) == {
        "Tofu",
        "Fruit/Apple",
        "Fruit/Banana",
    }


def test_list_imaplib(imap):
    typ, data = imap.list()
    assert typ == "OK"
    assert any(line.endswith(b" INBOX") or line.endswith(b'"INBOX"') for line in data), data
    typ, data = imap.list('""', "Sen%")
    assert typ == "OK" and len(data) == 1 and b"Sent" in data[0]


def test_list_imapclient(client):
    client.create_folder("Fruit/Apple")
    folders = {name: (flags, delim) for flags, delim, name in client.list_folders()}
    assert set(folders) >= DEFAULTS | {"Fruit", "Fruit/Apple"}
    assert folders["Fruit"][1] == b"/"
    assert [f[2] for f in client.list_folders("Fruit/", "%")] == ["Fruit/Apple"]
    assert client.find_special_folder(b"\\Sent") == "Sent"


# ---------------------------------------------------------------- LSUB, SUBSCRIBE


def test_lsub(raw):
    build(raw)
    entries = list_entries(raw.command('LSUB "" "*"'))
    assert set(entries) == DEFAULTS | set(SUBSCRIBED)
    top = list_entries(raw.command('LSUB "" "%"'))
    assert set(top) == DEFAULTS | {"Fruit", "Vegetable"}
    # RFC 3501 6.3.9: an unsubscribed parent of a subscribed child comes back \Noselect
    assert "\\noselect" in top["Fruit"][0]
    assert "\\noselect" not in top["Vegetable"][0]


def test_subscribe_unsubscribe(raw):
    raw.command("CREATE Reading")
    assert "Reading" not in list_entries(raw.command('LSUB "" "*"'))
    assert raw.command("SUBSCRIBE Reading").ok
    assert "Reading" in list_entries(raw.command('LSUB "" "*"'))
    assert raw.command("UNSUBSCRIBE Reading").ok
    assert "Reading" not in list_entries(raw.command('LSUB "" "*"'))
    assert "Reading" in list_entries(raw.command('LIST "" "*"'))  # the mailbox stays


def test_subscriptions_imapclient(client):
    client.create_folder("Later")
    client.subscribe_folder("Later")
    assert "Later" in [f[2] for f in client.list_sub_folders()]
    client.unsubscribe_folder("Later")
    assert "Later" not in [f[2] for f in client.list_sub_folders()]
    assert "INBOX" in [f[2] for f in client.list_sub_folders()]


def test_rename_keeps_subscription_consistent(raw):
    raw.command("CREATE Old")
    raw.command("SUBSCRIBE Old")
    raw.command("RENAME Old New")
    entries = listing(raw, 'LIST (SUBSCRIBED) "" "*"')
    # Whatever the server does with the old name, a listed New must be real.
    if "New" in entries:
        assert "\\nonexistent" not in entries["New"][0]
    if "Old" in entries:
        assert "\\nonexistent" in entries["Old"][0]
