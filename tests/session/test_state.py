"""The session state machine: greeting, capabilities, LOGIN, state table, errors."""

from __future__ import annotations

import logging

import pytest

from roost.commands.errors import CommandError, reply_for
from roost.config import Config
from roost.protocol.commands import Authenticate, Idle, Noop, StartTLS
from roost.session.state import State
from roost.storage.interface import StorageError, StorageErrorKind

from .harness import FAST_CONFIG, PASSWORD, Client, converse

PRE_TLS = "IMAP4rev1 IMAP4rev2 SASL-IR LITERAL+ ID ENABLE AUTH=PLAIN AUTH=LOGIN"
POST = (
    "IMAP4rev1 IMAP4rev2 SASL-IR LITERAL+ ID ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT"
    " CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE ESEARCH SEARCHRES"
    " CONDSTORE QRESYNC NOTIFY"
    " BINARY MULTIAPPEND COMPRESS=DEFLATE APPENDLIMIT=10000 STATUS=SIZE UTF8=ACCEPT"
)


def test_greeting_over_tls(store):
    client = Client(store)
    assert (
        client.session.greeting() == b"* OK [CAPABILITY " + PRE_TLS.encode() + b"] roost ready.\r\n"
    )


def test_cleartext_capabilities_follow_the_config(store):
    refused = Client(store, tls=False)
    assert refused.session.capabilities() == [
        *[
            "IMAP4rev1",
            "IMAP4rev2",
            "SASL-IR",
            "LITERAL+",
            "ID",
            "ENABLE",
            "STARTTLS",
            "LOGINDISABLED",
        ]
    ]
    allowed = Client(
        store, Config(**{**FAST_CONFIG.__dict__, "allow_plaintext_auth": True}), tls=False
    )
    assert allowed.session.capabilities()[-3:] == ["STARTTLS", "AUTH=PLAIN", "AUTH=LOGIN"]


def test_login_reports_capabilities_and_changes_state(connect):
    client = connect(login=False)
    converse(
        client,
        f"""
        C: a1 CAPABILITY
        S: * CAPABILITY {PRE_TLS}
        S: a1 OK CAPABILITY completed
        C: a2 LOGIN alice "{PASSWORD}"
        S: a2 OK [CAPABILITY {POST}] Logged in
        C: a3 CAPABILITY
        S: * CAPABILITY {POST}
        S: a3 OK CAPABILITY completed
        C: a4 LOGIN alice "{PASSWORD}"
        S: a4 BAD LOGIN not allowed in authenticated state
        """,
    )
    assert client.session.state is State.AUTHENTICATED
    assert client.session.user is not None and client.session.user.name == "alice"


def test_cleartext_login_is_refused_without_checking(connect):
    client = connect(login=False, tls=False)
    converse(
        client,
        f"""
        C: a1 LOGIN alice "{PASSWORD}"
        S: a1 NO [PRIVACYREQUIRED] Plaintext authentication disallowed without TLS
        """,
    )
    assert client.session.state is State.NOT_AUTHENTICATED


def test_failed_login_is_delayed_more_each_time(connect):
    client = connect(login=False)
    assert client.run("a1 LOGIN alice wrong") == [
        "a1 NO [AUTHENTICATIONFAILED] Authentication failed"
    ]
    first = client.last.reply.delay
    client.run("a2 LOGIN nosuchuser wrong")
    client.run("a3 LOGIN alice wrong")
    assert first > 0
    assert client.last.reply.delay > first
    assert client.session.state is State.NOT_AUTHENTICATED
    assert client.run(f'a4 LOGIN alice "{PASSWORD}"')[0].startswith("a4 OK [CAPABILITY ")


@pytest.mark.parametrize(
    ("command", "state_name"),
    [
        ("a SELECT INBOX", "not authenticated"),
        ('a LIST "" *', "not authenticated"),
        ("a FETCH 1 FLAGS", "not authenticated"),
        ("a ENABLE IMAP4rev2", "not authenticated"),
    ],
)
def test_commands_before_login_are_bad(connect, command, state_name):
    client = connect(login=False)
    name = command.split()[1]
    assert client.run(command) == [f"a BAD {name} not allowed in {state_name} state"]


def test_selected_state_commands_need_a_selection(client):
    assert client.run("a FETCH 1 FLAGS") == ["a BAD FETCH not allowed in authenticated state"]
    assert client.run("a UID STORE 1 +FLAGS x") == [
        "a BAD UID STORE not allowed in authenticated state"
    ]
    assert client.run("a CLOSE") == ["a BAD CLOSE not allowed in authenticated state"]
    client.run("b SELECT INBOX")
    assert client.run("c ENABLE IMAP4rev2") == ["c BAD ENABLE not allowed in selected state"]


def test_driver_commands_have_states_too(client, connect):
    fresh = connect(login=False)
    assert fresh.session.check_state(Authenticate("t", "PLAIN")) is None
    assert fresh.session.check_state(StartTLS("t")) is None
    assert fresh.session.check_state(Idle("t")).status == "BAD"
    assert client.session.check_state(Idle("t")) is None
    assert client.session.check_state(Authenticate("t", "PLAIN")).status == "BAD"
    # and they are never run by execute
    assert client.session.execute(Idle("t")).reply.status == "BAD"


def test_logout(client):
    client.run("a SELECT INBOX")
    assert client.run("b LOGOUT") == ["* BYE roost logging out", "b OK LOGOUT completed"]
    assert client.last.close
    assert client.session.state is State.LOGOUT
    assert client.session.execute(Noop("c")).reply.status == "BAD"


def test_id_and_noop(connect):
    client = connect(login=False)
    converse(
        client,
        """
        C: a ID ("name" "test client" "version" "1")
        S: * ID ("name" "roost" "version" "0.1.0")
        S: a OK ID completed
        C: b ID NIL
        S: * ID ("name" "roost" "version" "0.1.0")
        S: b OK ID completed
        C: c NOOP
        S: c OK NOOP completed
        """,
    )


def test_enable(client):
    converse(
        client,
        """
        C: a ENABLE X-UNKNOWN
        S: * ENABLED
        S: a OK ENABLE completed
        C: b ENABLE imap4rev2 X-UNKNOWN utf8=accept
        S: * ENABLED IMAP4rev2 UTF8=ACCEPT
        S: b OK ENABLE completed
        """,
    )
    assert client.session.enabled == {"IMAP4REV2", "UTF8=ACCEPT"}
    assert client.session.rev2 and client.session.utf8


def test_utf8_accept_alone_means_utf8_names_but_rev1(client):
    client.run("a ENABLE UTF8=ACCEPT")
    assert client.session.utf8 and not client.session.rev2
    assert client.session.mailbox_name_out("Entwürfe") == '"Entwürfe"'.encode()


@pytest.mark.parametrize("kind", list(StorageErrorKind))
def test_every_storage_error_kind_has_its_code(kind):
    reply = reply_for(StorageError(kind, "secret detail of user bob"))
    assert (reply.status, reply.code) == ("NO", kind.value)
    assert "bob" not in reply.text and reply.text


def test_storage_errors_and_bugs_in_handlers(client, monkeypatch, caplog):
    def unavailable(mailbox_id):
        raise StorageError(StorageErrorKind.UNAVAILABLE, "disk on fire")

    monkeypatch.setattr(client.store, "status", unavailable)
    assert client.run("a STATUS INBOX (MESSAGES)") == [
        "a NO [UNAVAILABLE] Mail storage temporarily unavailable, try again"
    ]

    def bug(mailbox_id):
        raise RuntimeError("oops")

    monkeypatch.setattr(client.store, "status", bug)
    with caplog.at_level(logging.ERROR):
        assert client.run("b STATUS INBOX (MESSAGES)") == ["b NO [SERVERBUG] Internal server error"]
    assert "oops" in caplog.text


def test_command_error_ends_a_command(client, monkeypatch):
    def refuse(mailbox_id):
        raise CommandError("NO", "not today", "LIMIT")

    monkeypatch.setattr(client.store, "status", refuse)
    assert client.run("a STATUS INBOX (MESSAGES)") == ["a NO [LIMIT] not today"]
