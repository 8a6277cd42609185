"""Mailbox names on the wire and LIST pattern matching."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roost.session.names import (
    InvalidName,
    canonical_inbox,
    canonical_pattern,
    check_new_name,
    compile_pattern,
    name_from_wire,
    name_to_wire,
    parents,
    sort_key,
)


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [
        ("inbox", "INBOX"),
        ("InBoX/Sub", "INBOX/Sub"),
        ("INBOXES", "INBOXES"),
        ("Archive/inbox", "Archive/inbox"),
    ],
)
def test_inbox_is_case_insensitive_only_as_first_level(given_name, expected):
    assert canonical_inbox(given_name) == expected


def test_rev1_names_are_modified_utf7():
    assert name_from_wire("Entw&APw-rfe", utf8=False) == "Entwürfe"
    assert name_from_wire("A&-B", utf8=False) == "A&B"
    assert name_to_wire("Entwürfe", utf8=False) == b"Entw&APw-rfe"
    assert name_to_wire("A&B", utf8=False) == b"A&-B"


def test_utf8_names_go_as_they_are():
    assert name_from_wire("Entw&APw-rfe", utf8=True) == "Entw&APw-rfe"
    assert name_to_wire("Entwürfe", utf8=True) == '"Entwürfe"'.encode()


@pytest.mark.parametrize("wire", ["Entw&APw", "&Jjo!", "caf\u00e9", "&AGE-"])
def test_invalid_modified_utf7_is_refused(wire):
    with pytest.raises(InvalidName, match="modified UTF-7"):
        name_from_wire(wire, utf8=False)


def test_wire_form_is_an_astring():
    assert name_to_wire("INBOX", utf8=False) == b"INBOX"
    assert name_to_wire("My Mail", utf8=False) == b'"My Mail"'
    assert name_to_wire('a"b', utf8=False) == b'"a\\"b"'
    assert name_to_wire("nil", utf8=False) == b'"nil"'


@pytest.mark.parametrize("bad", ["", "/a", "a/", "a//b", "a\tb", "a*", "50%", "x" * 5000])
def test_unusable_new_names(bad):
    with pytest.raises(InvalidName):
        check_new_name(bad)


def test_usable_new_name():
    check_new_name("Work/2024 Projects/Ünïcode & more")


def test_patterns():
    percent = compile_pattern("%")
    assert percent("INBOX") and percent("a") and not percent("a/b")
    star = compile_pattern("*")
    assert star("a/b/c") and star("")
    mid = compile_pattern("a/%/c")
    assert mid("a/b/c") and not mid("a/b/x/c")
    assert compile_pattern("a.b")("a.b") and not compile_pattern("a.b")("axb")
    assert compile_pattern("*2")("foo2") and compile_pattern("*2")("baz2/bar22")


def test_reference_prefixes_pattern_and_inbox_case():
    assert canonical_pattern("Work/", "%") == "Work/%"
    assert canonical_pattern("Work/", "/x") == "Work/x"
    assert canonical_pattern("", "inbox") == "INBOX"
    assert canonical_pattern("", "Inbox*") == "INBOX*"
    assert canonical_pattern("", "inboxes") == "inboxes"


def test_parents_and_order():
    assert parents("a/b/c") == ["a", "a/b"]
    names = ["b", "a/b", "INBOX/x", "a", "INBOX", "Z"]
    assert sorted(names, key=sort_key) == ["INBOX", "INBOX/x", "Z", "a", "a/b", "b"]


@settings(max_examples=200)
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=20))
def test_wire_round_trip_rev1(name):
    wire = name_to_wire(name, utf8=False)
    # the wire form is 7-bit; strip astring quoting to get the mailbox text back
    text = wire.decode("ascii")
    if text.startswith('"'):
        text = text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    elif text.startswith("{"):
        text = text.split("\r\n", 1)[1]
    assert name_from_wire(text, utf8=False) == canonical_inbox(name)
