"""Bad input: garbage, unknown commands, wrong states, long lines and huge literals.

RFC 9051 2.2.2 / 7.1.3 (BAD for syntax errors and commands not valid in the
state), 4.3 (literals), RFC 7889 / RFC 9051 7.1 (TOOBIG). After every refusal the
connection must still work.
"""

from __future__ import annotations

import pytest

from .conftest import append
from .imapwire import RawClient


def bad_then_alive(client: RawClient, line: bytes) -> bytes:
    """Send one raw line; expect a BAD (tagged or untagged), then a working NOOP."""
    client.send(line)
    response = client.read_response()
    while response.startswith(b"* ") and b" BAD" not in response[:12]:
        response = client.read_response()  # e.g. an unsolicited update
    words = response.split(b" ", 2)
    assert len(words) >= 2 and words[1] == b"BAD", f"{line[:60]!r} -> {response[:200]!r}"
    result = client.command("NOOP")
    assert result.ok, f"connection unusable after {line[:60]!r}: {result}"
    return response


def test_empty_line_is_harmless(raw):
    # An empty line is not a command: BAD or silence are both fine, as long as
    # the next command works and nothing else is answered.
    raw.send(b"\r\n")
    result = raw.command("NOOP")
    assert result.ok
    assert all(line.startswith(b"BAD") for line in result.untagged), result.untagged


GARBAGE = [
    b"hello\r\n",
    b"a\r\n",
    b"a XYZZY\r\n",
    b"a SELECT\r\n",
    b'a LOGIN "unterminated\r\n',
    b"a  NOOP\r\n",
    b"a NOOP extra-argument\r\n",
    b"a UID NOOP\r\n",
    b"a UID\r\n",
    b"* NOOP\r\n",
    b"+ NOOP\r\n",
    b"\x00\xff\xfe\x01 junk\r\n",
    b"a (NOOP)\r\n",
    b"a LIST\r\n",
    b'a LIST ""\r\n',
    b"a CREATE\r\n",
    b"a STATUS INBOX\r\n",
    b"a STATUS INBOX (NOTANITEM)\r\n",
    b"a ENABLE\r\n",
]


@pytest.mark.parametrize("line", GARBAGE, ids=[repr(g)[:30] for g in GARBAGE])
def test_garbage_is_bad_and_harmless(raw, line):
    bad_then_alive(raw, line)


def test_garbage_before_login(raw_connect):
    client = raw_connect()
    for line in (b"a XYZZY\r\n", b"\x01\x02\r\n", b"a LOGIN\r\n", b"a LOGIN onlyuser\r\n"):
        bad_then_alive(client, line)
    assert client.command('LOGIN alice "wonder land 42"').ok


SELECTED_GARBAGE = [
    b"a FETCH 0 (FLAGS)\r\n",
    b"a FETCH 1 (FLAGS\r\n",
    b"a FETCH 1 (NOTANITEM)\r\n",
    b"a FETCH 1 (BODY[1.0])\r\n",
    b"a FETCH 1 (BODY[HEADER.FIELDS ()])\r\n",
    b"a FETCH 1 (BODY[TEXT]<1>)\r\n",
    b"a FETCH 1 (BINARY[TEXT])\r\n",
    b"a FETCH 99999999999999999999 (FLAGS)\r\n",
    b"a FETCH x:y (FLAGS)\r\n",
    b"a STORE 1 FLAGS\r\n",
    b"a STORE 1 +FLAGS.LOUD (\\Seen)\r\n",
    b"a SEARCH\r\n",
    b"a SEARCH BEFORE 2023-01-01\r\n",
    b"a SEARCH LARGER lots\r\n",
    b"a SEARCH OR SEEN\r\n",
    b"a COPY 1\r\n",
    b"a UID EXPUNGE\r\n",
]


@pytest.mark.parametrize("line", SELECTED_GARBAGE, ids=[repr(g)[:40] for g in SELECTED_GARBAGE])
def test_bad_arguments_in_selected_state(raw, line):
    append(raw, "INBOX", b"Subject: x\r\n\r\nx\r\n")
    raw.command("SELECT INBOX")
    bad_then_alive(raw, line)


# ---------------------------------------------------------------- wrong state


NOT_AUTHENTICATED = [
    "SELECT INBOX",
    "EXAMINE INBOX",
    "CREATE x",
    "DELETE x",
    "RENAME x y",
    'LIST "" *',
    'LSUB "" *',
    "STATUS INBOX (MESSAGES)",
    "SUBSCRIBE INBOX",
    "NAMESPACE",
    "ENABLE IMAP4rev2",
    "IDLE",
    "FETCH 1 (FLAGS)",
    "SEARCH ALL",
    "CLOSE",
    "UNSELECT",
    "EXPUNGE",
    "CHECK",
]


@pytest.mark.parametrize("command", NOT_AUTHENTICATED)
def test_wrong_state_not_authenticated(raw_connect, command):
    client = raw_connect()
    assert client.command(command).status == "BAD"
    assert client.command("NOOP").ok


AUTHENTICATED_ONLY = [
    "FETCH 1 (FLAGS)",
    "STORE 1 +FLAGS (\\Seen)",
    "SEARCH ALL",
    "UID SEARCH ALL",
    "COPY 1 INBOX",
    "MOVE 1 INBOX",
    "EXPUNGE",
    "UID EXPUNGE 1",
    "CLOSE",
    "UNSELECT",
    "CHECK",
    'LOGIN alice "wonder land 42"',
    "AUTHENTICATE PLAIN",
    "STARTTLS",
]


@pytest.mark.parametrize("command", AUTHENTICATED_ONLY)
def test_wrong_state_authenticated(raw, command):
    assert raw.command(command).status == "BAD"
    assert raw.command("NOOP").ok


@pytest.mark.parametrize("command", ['LOGIN alice "wonder land 42"', "ENABLE IMAP4rev2"])
def test_wrong_state_selected(raw, command):
    raw.command("SELECT INBOX")
    assert raw.command(command).status == "BAD"
    assert raw.command("NOOP").ok


def test_unknown_command(raw):
    result = raw.command("XYZZY plugh")
    assert result.status == "BAD"


# ---------------------------------------------------------------- sizes


def test_very_long_line(raw):
    line = b"a NOOP " + b"x" * 200_000 + b"\r\n"
    raw.send(line)
    response = raw.read_response()
    assert response.startswith((b"a BAD", b"* BAD", b"* BYE")), response[:200]
    if response.startswith(b"* BYE"):
        assert raw.closed_by_peer()
        return
    assert raw.command("NOOP").ok


def test_long_line_inside_limit_works(raw):
    # RFC 9051 6 / RFC 7162 4: at least 8192 octets must be accepted.
    sequence = ",".join(str(n) for n in range(1, 2500))
    assert len(sequence) > 8192
    raw.command("SELECT INBOX")
    assert raw.command(f"UID FETCH {sequence} (FLAGS)").ok


def test_huge_literal_is_toobig(raw):
    raw.send(b"big APPEND INBOX {100000000}\r\n")
    response = raw.read_response()
    assert response.startswith(b"big NO [TOOBIG]"), response  # never "+": no upload
    assert raw.command("NOOP").ok
    status = raw.command("STATUS INBOX (MESSAGES)").named("STATUS")[0][1]
    assert status == ["MESSAGES", "0"]


def test_appendlimit_advertised_and_enforced(raw):
    caps = {str(c).upper() for c in raw.command("CAPABILITY").named("CAPABILITY")[0]}
    limits = [int(c.split("=")[1]) for c in caps if c.startswith("APPENDLIMIT=")]
    assert limits, caps
    raw.send(f"lim APPEND INBOX {{{limits[0] + 1}}}\r\n".encode())
    assert raw.read_response().startswith(b"lim NO [TOOBIG]")
    assert raw.command("NOOP").ok


def test_huge_literal_in_other_command(raw):
    raw.send(b"big CREATE {100000000}\r\n")
    response = raw.read_response()
    assert response.startswith((b"big NO", b"big BAD")), response
    assert raw.command("NOOP").ok


def test_deep_nesting_does_not_crash(raw):
    raw.command("SELECT INBOX")
    depth = 5000
    result = raw.command("SEARCH " + "(" * depth + "ALL" + ")" * depth)
    assert result.status in ("OK", "NO", "BAD")
    assert result.code != "SERVERBUG"
    assert raw.command("NOOP").ok


# ---------------------------------------------------------------- framing


def test_pipelined_commands_answer_in_order(raw):
    raw.send(b"p1 NOOP\r\np2 CAPABILITY\r\np3 NAMESPACE\r\n")
    tags = []
    while len(tags) < 3:
        response = raw.read_response()
        if not response.startswith(b"* "):
            tags.append(response.split(b" ")[0])
    assert tags == [b"p1", b"p2", b"p3"]


def test_idle_ended_by_garbage(raw):
    raw.command("SELECT INBOX")
    raw.send(b"i1 IDLE\r\n")
    assert raw.read_response().startswith(b"+")
    raw.send(b"NOT-DONE\r\n")
    response = raw.read_response()
    while response.startswith(b"* ") and b"BAD" not in response:
        response = raw.read_response()
    assert b"BAD" in response.split(b" ", 2)[1], response
    assert raw.command("NOOP").ok


def test_client_vanishing_mid_literal(server, raw_connect):
    quitter = raw_connect("alice")
    quitter.send(b"q APPEND INBOX {1000}\r\n")
    assert quitter.read_response().startswith(b"+")
    quitter.send(b"only part of it")
    quitter.close()
    other = raw_connect("alice")
    status = other.command("STATUS INBOX (MESSAGES)").named("STATUS")[0][1]
    assert status == ["MESSAGES", "0"]
