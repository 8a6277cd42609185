"""IDLE: wake-ups from other connections, keepalives, DONE and what follows it."""

from __future__ import annotations

import time
from pathlib import Path

from roost.server.testing import running_server
from tests.e2e.imapwire import Lit, RawClient

MESSAGE = b"From: a@example.org\r\nSubject: hi\r\n\r\nhello\r\n"


def login(server, select: bool = True) -> RawClient:
    client = RawClient(server.host, server.imap_port)
    assert client.command("LOGIN alice secret").ok
    if select:
        assert client.command("SELECT INBOX").ok
    return client


def finish_idle(client: RawClient, tag: str = "i1") -> list[bytes]:
    """Send DONE; the untagged responses before the tagged OK."""
    client.send(b"DONE\r\n")
    seen = []
    while not (response := client.read_response()).startswith(tag.encode() + b" "):
        seen.append(response)
    assert response.startswith(tag.encode() + b" OK"), response
    return seen


def start_idle(client: RawClient, tag: str = "i1") -> None:
    client.send(tag.encode() + b" IDLE\r\n")
    assert client.read_response().startswith(b"+ ")


def test_idle_wakes_on_append_from_another_connection(server) -> None:
    idler, other = login(server), login(server, select=False)
    try:
        start_idle(idler)
        assert other.command("APPEND INBOX ", Lit(MESSAGE)).ok
        idler.sock.settimeout(5)
        assert idler.read_response() == b"* 1 EXISTS"
        finish_idle(idler)
    finally:
        idler.close()
        other.close()


def test_idle_reports_changes_made_before_it_started(server) -> None:
    idler, other = login(server), login(server, select=False)
    try:
        assert other.command("APPEND INBOX ", Lit(MESSAGE)).ok
        start_idle(idler)
        assert idler.read_response() == b"* 1 EXISTS"
        finish_idle(idler)
    finally:
        idler.close()
        other.close()


def test_done_and_a_pipelined_command_in_one_packet(server) -> None:
    client = login(server)
    try:
        start_idle(client)
        client.send(b"DONE\r\na2 NOOP\r\n")
        assert client.read_response().startswith(b"i1 OK")
        assert client.read_response().startswith(b"a2 OK")
    finally:
        client.close()


def test_idle_and_done_in_one_packet(server) -> None:
    client = login(server)
    try:
        client.send(b"i1 IDLE\r\nDONE\r\na2 NOOP\r\n")
        assert client.read_response().startswith(b"+ ")
        assert client.read_response().startswith(b"i1 OK")
        assert client.read_response().startswith(b"a2 OK")
    finally:
        client.close()


def test_anything_but_done_ends_idle_with_bad(server) -> None:
    client = login(server)
    try:
        start_idle(client)
        client.send(b"a2 NOOP\r\n")
        assert client.read_response().startswith(b"i1 BAD")
        assert client.command("NOOP").ok
    finally:
        client.close()


def test_idle_in_authenticated_state_and_not_before(server) -> None:
    client = RawClient(server.host, server.imap_port)
    try:
        assert client.command("IDLE").status == "BAD"
        assert client.command("LOGIN alice secret").ok
        start_idle(client)
        client.send(b"done\r\n")  # DONE is case-insensitive
        assert client.read_response().startswith(b"i1 OK")
    finally:
        client.close()


def test_keepalive_while_idling(tmp_path: Path) -> None:
    with running_server(tmp_path / "data", idle_keepalive=0.2) as srv:
        srv.add_user("alice", "secret")
        client = login(srv)
        try:
            start_idle(client)
            client.sock.settimeout(5)
            assert client.read_response() == b"* OK Still here"
            assert client.read_response() == b"* OK Still here"
            client.send(b"DONE\r\n")
            assert client.read_response().startswith(b"i1 OK")
        finally:
            client.close()


def test_keepalives_do_not_count_as_activity(tmp_path: Path) -> None:
    with running_server(tmp_path / "data", idle_keepalive=0.1, idle_timeout=0.6) as srv:
        srv.add_user("alice", "secret")
        client = login(srv)
        try:
            start_idle(client)
            started = time.monotonic()
            client.sock.settimeout(5)
            while True:
                response = client.read_response()
                if response.startswith(b"* BYE"):
                    break
                assert response == b"* OK Still here"
            assert 0.5 <= time.monotonic() - started < 4
            assert client.closed_by_peer()
        finally:
            client.close()


def test_idle_session_is_told_when_server_stops(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as srv:
        srv.add_user("alice", "secret")
        client = login(srv)
        start_idle(client)
    try:
        client.sock.settimeout(5)
        assert client.read_response().startswith(b"* BYE")
        assert client.closed_by_peer()
    finally:
        client.close()


def test_reset_connection_in_idle_is_not_a_server_error(tmp_path: Path, caplog) -> None:  # noqa: ANN001
    """A client that drops the connection with RST (as load generators and NAT
    boxes do) ends its session quietly: no ERROR, no SERVERBUG."""
    import socket
    import struct

    caplog.set_level("INFO")
    with running_server(tmp_path / "data") as srv:
        srv.add_user("alice", "secret")
        client = login(srv)
        start_idle(client)
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.sock.close()
        deadline = time.monotonic() + 5
        while "disconnect" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.02)
    assert 'reason="connection lost"' in caplog.text
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
