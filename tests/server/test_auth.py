"""AUTHENTICATE (PLAIN, LOGIN, SASL-IR) and failed logins over a real connection."""

from __future__ import annotations

import base64
import time
from pathlib import Path

from roost.server.testing import running_server
from tests.e2e.imapwire import RawClient


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def connect(server) -> RawClient:
    return RawClient(server.host, server.imap_port)


def test_plain_with_initial_response(server) -> None:
    client = connect(server)
    try:
        result = client.command("AUTHENTICATE PLAIN ", b64(b"\0alice\0secret"))
        assert result.ok, result
        assert result.code is not None and result.code.startswith("CAPABILITY ")
        assert client.command("SELECT INBOX").ok
    finally:
        client.close()


def test_plain_after_empty_challenge(server) -> None:
    client = connect(server)
    try:
        client.send(b"a1 AUTHENTICATE PLAIN\r\n")
        assert client.read_response() == b"+ "
        client.send(b64(b"alice\0alice\0secret") + b"\r\n")
        assert client.read_response().startswith(b"a1 OK")
    finally:
        client.close()


def test_plain_with_empty_initial_response(server) -> None:
    client = connect(server)
    try:
        client.send(b"a1 AUTHENTICATE PLAIN =\r\n")
        assert client.read_response() == b"+ "
        client.send(b64(b"\0alice\0secret") + b"\r\n")
        assert client.read_response().startswith(b"a1 OK")
    finally:
        client.close()


def test_login_mechanism(server) -> None:
    client = connect(server)
    try:
        client.send(b"a1 AUTHENTICATE LOGIN\r\n")
        assert client.read_response() == b"+ " + b64(b"Username:")
        client.send(b64(b"alice") + b"\r\n")
        assert client.read_response() == b"+ " + b64(b"Password:")
        client.send(b64(b"secret") + b"\r\n")
        assert client.read_response().startswith(b"a1 OK")
    finally:
        client.close()


def test_login_mechanism_with_initial_user_name(server) -> None:
    client = connect(server)
    try:
        client.send(b"a1 AUTHENTICATE LOGIN " + b64(b"alice") + b"\r\n")
        assert client.read_response() == b"+ " + b64(b"Password:")
        client.send(b64(b"secret") + b"\r\n")
        assert client.read_response().startswith(b"a1 OK")
    finally:
        client.close()


def test_cancel_and_bad_input_are_refused_and_the_connection_goes_on(server) -> None:
    client = connect(server)
    try:
        client.send(b"a1 AUTHENTICATE PLAIN\r\n")
        assert client.read_response() == b"+ "
        client.send(b"*\r\n")
        assert client.read_response().startswith(b"a1 BAD")
        client.send(b"a2 AUTHENTICATE PLAIN\r\n")
        assert client.read_response() == b"+ "
        client.send(b"not base64!\r\n")
        assert client.read_response().startswith(b"a2 BAD")
        assert client.command("AUTHENTICATE PLAIN ####").status == "BAD"
        refused = client.command("AUTHENTICATE PLAIN ", b64(b"no-nuls"))
        assert (refused.status, refused.code) == ("NO", "AUTHENTICATIONFAILED")
        refused = client.command("AUTHENTICATE PLAIN ", b64(b"bob\0alice\0secret"))
        assert (refused.status, refused.code) == ("NO", "AUTHENTICATIONFAILED")
        assert client.command("AUTHENTICATE PLAIN ", b64(b"\0alice\0secret")).ok
    finally:
        client.close()


def test_unknown_mechanism_and_wrong_state(server) -> None:
    client = connect(server)
    try:
        assert client.command("AUTHENTICATE CRAM-MD5").status == "NO"
        assert client.command("LOGIN alice secret").ok
        assert client.command("AUTHENTICATE PLAIN ", b64(b"\0alice\0secret")).status == "BAD"
    finally:
        client.close()


def test_failed_login_is_answered_after_a_delay(tmp_path: Path) -> None:
    with running_server(tmp_path / "data", auth_failure_delay=0.4) as srv:
        srv.add_user("alice", "secret")
        client = connect(srv)
        try:
            started = time.monotonic()
            result = client.command("AUTHENTICATE PLAIN ", b64(b"\0alice\0wrong"))
            assert (result.status, result.code) == ("NO", "AUTHENTICATIONFAILED")
            assert time.monotonic() - started >= 0.4
            started = time.monotonic()
            result = client.command("LOGIN nobody wrong")
            assert (result.status, result.code) == ("NO", "AUTHENTICATIONFAILED")
            assert time.monotonic() - started >= 0.4
        finally:
            client.close()


def test_passwords_never_reach_the_log(tmp_path: Path, caplog) -> None:
    caplog.set_level("DEBUG")
    with running_server(tmp_path / "data") as srv:
        srv.add_user("alice", "hunter2-secret")
        client = connect(srv)
        try:
            assert client.command("LOGIN alice hunter2-secret").ok
            client.close()
            client = connect(srv)
            encoded = b64(b"\0alice\0hunter2-secret")
            assert client.command("AUTHENTICATE PLAIN ", encoded).ok
        finally:
            client.close()
    assert "command" in caplog.text  # commands were traced at DEBUG
    assert "hunter2" not in caplog.text
    assert encoded.decode() not in caplog.text
