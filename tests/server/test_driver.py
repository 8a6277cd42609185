"""The connection driver: errors, limits, autologout, shutdown."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from roost.protocol.commands import Noop
from roost.server import app
from roost.server.testing import running_server
from roost.session.session import Session
from tests.e2e.imapwire import Lit, RawClient


def test_greeting_advertises_capabilities(server) -> None:
    client = RawClient(server.host, server.imap_port)
    try:
        assert client.greeting.startswith(b"* OK [CAPABILITY IMAP4rev1")
        assert b"STARTTLS" in client.greeting
    finally:
        client.close()


def test_parse_error_is_bad_and_the_connection_keeps_working(server) -> None:
    client = RawClient(server.host, server.imap_port)
    try:
        assert client.command("FROBNICATE now").status == "BAD"
        client.send(b"(((\r\n")
        assert client.read_response().startswith(b"* BAD")
        assert client.command("LOGIN alice secret").ok
        assert client.command("SELECT INBOX").ok
    finally:
        client.close()


def test_too_big_literal_is_refused_before_it_is_sent(tmp_path: Path) -> None:
    with running_server(tmp_path / "data", max_literal_size=1000) as srv:
        srv.add_user("alice", "secret")
        client = RawClient(srv.host, srv.imap_port)
        try:
            assert client.command("LOGIN alice secret").ok
            result = client.command("APPEND INBOX ", Lit(b"x" * 5000))
            assert (result.status, result.code) == ("NO", "TOOBIG")
            assert not result.continuations  # the server never said "+"
            result = client.command("APPEND INBOX ", Lit(b"Subject: small\r\n\r\nok\r\n"))
            assert result.ok
            assert result.continuations == [b"+ Ready for literal"]
        finally:
            client.close()


def test_logout_closes(server) -> None:
    client = RawClient(server.host, server.imap_port)
    try:
        result = client.command("LOGOUT")
        assert result.ok
        assert result.untagged[0].startswith(b"BYE")
        assert client.closed_by_peer()
    finally:
        client.close()


def test_client_that_vanishes_does_not_disturb_others(server) -> None:
    gone = socket.create_connection((server.host, server.imap_port))
    gone.sendall(b"a1 LOGIN alice secret\r\na2 SELECT INBOX\r\n")
    gone.close()
    client = RawClient(server.host, server.imap_port)
    try:
        assert client.command("LOGIN alice secret").ok
    finally:
        client.close()


def test_autologout(tmp_path: Path) -> None:
    with running_server(tmp_path / "data", idle_timeout=0.3) as srv:
        client = RawClient(srv.host, srv.imap_port)
        try:
            client.sock.settimeout(5)
            assert client.read_response().startswith(b"* BYE")
            assert client.closed_by_peer()
        finally:
            client.close()


def test_clients_get_bye_on_shutdown(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as srv:
        srv.add_user("alice", "secret")
        idle_client = RawClient(srv.host, srv.imap_port)
        busy = RawClient(srv.host, srv.imap_port)
        assert busy.command("LOGIN alice secret").ok
    try:
        for client in (idle_client, busy):
            client.sock.settimeout(5)
            assert client.read_response() == b"* BYE Server shutting down"
            assert client.closed_by_peer()
    finally:
        idle_client.close()
        busy.close()


def test_connection_limit(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(app, "MAX_CONNECTIONS", 1)
    with running_server(tmp_path / "data") as srv:
        first = RawClient(srv.host, srv.imap_port)
        try:
            second = RawClient(srv.host, srv.imap_port)
            assert second.greeting.startswith(b"* BYE [UNAVAILABLE]")
            assert second.closed_by_peer()
            second.close()
            assert first.command("NOOP").ok
        finally:
            first.close()


def test_disabled_listener(tmp_path: Path) -> None:
    with running_server(tmp_path / "data", imap="") as srv:
        assert srv.imap_port == 0
        client = RawClient(srv.host, srv.imaps_port, srv.ssl_context())
        client.close()


def test_shutdown_cuts_a_failed_login_delay_short(tmp_path: Path) -> None:
    with running_server(tmp_path / "data", auth_failure_delay=20.0) as srv:
        client = RawClient(srv.host, srv.imap_port)
        client.send(b"a1 LOGIN alice wrong\r\n")
        time.sleep(0.3)  # the server is now waiting before it says NO
        started = time.monotonic()
    try:
        assert time.monotonic() - started < 5
        client.sock.settimeout(5)
        assert client.read_response() == b"* BYE Server shutting down"
    finally:
        client.close()


def test_running_command_is_answered_before_shutdown_bye(tmp_path: Path, monkeypatch) -> None:
    original = Session.execute

    def slow_execute(self: Session, command):  # type: ignore[no-untyped-def]
        if isinstance(command, Noop):
            time.sleep(0.8)
        return original(self, command)

    monkeypatch.setattr(Session, "execute", slow_execute)
    with running_server(tmp_path / "data") as srv:
        client = RawClient(srv.host, srv.imap_port)
        client.send(b"a1 NOOP\r\n")
        time.sleep(0.3)  # NOOP is now running in a worker thread
    try:
        client.sock.settimeout(5)
        assert client.read_response().startswith(b"a1 OK")
        assert client.read_response() == b"* BYE Server shutting down"
    finally:
        client.close()


def test_unexpected_error_outside_a_command_is_bye_serverbug(server, monkeypatch, caplog) -> None:
    def broken_poll(self: Session) -> list[bytes]:
        raise RuntimeError("poll exploded")

    monkeypatch.setattr(Session, "poll", broken_poll)
    client = RawClient(server.host, server.imap_port)
    try:
        assert client.command("LOGIN alice secret").ok
        assert client.command("SELECT INBOX").ok
        client.send(b"i1 IDLE\r\n")
        assert client.read_response().startswith(b"+ ")
        client.sock.settimeout(5)
        assert client.read_response().startswith(b"* BYE [SERVERBUG]")
        assert client.closed_by_peer()
    finally:
        client.close()
    assert "poll exploded" in caplog.text
