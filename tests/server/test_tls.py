"""TLS: implicit TLS, STARTTLS, LOGINDISABLED on cleartext, the self-signed pair."""

from __future__ import annotations

import imaplib
import os
import socket
import ssl
import warnings
from pathlib import Path

import pytest
from cryptography import x509

from roost.server import tls
from roost.server.testing import running_server
from tests.e2e.imapwire import RawClient


def test_implicit_tls_handshake_and_greeting(server) -> None:
    client = RawClient(server.host, server.imaps_port, server.ssl_context())
    try:
        assert client.greeting.startswith(b"* OK [CAPABILITY ")
        assert b"STARTTLS" not in client.greeting  # already encrypted
        assert client.sock.version() in ("TLSv1.2", "TLSv1.3")
        assert client.command("LOGIN alice secret").ok
    finally:
        client.close()


def test_implicit_tls_with_imaplib(server) -> None:
    conn = imaplib.IMAP4_SSL(server.host, server.imaps_port, ssl_context=server.ssl_context())
    try:
        assert conn.login("alice", "secret")[0] == "OK"
    finally:
        conn.logout()


def test_starttls_upgrade_with_imaplib(server) -> None:
    conn = imaplib.IMAP4(server.host, server.imap_port, timeout=10)
    try:
        assert "STARTTLS" in conn.capabilities
        assert conn.starttls(ssl_context=server.ssl_context())[0] == "OK"
        assert "STARTTLS" not in conn.capabilities  # imaplib asked again after the upgrade
        assert conn.login("alice", "secret")[0] == "OK"
    finally:
        conn.logout()


def test_starttls_twice_is_refused(server) -> None:
    client = RawClient(server.host, server.imap_port)
    try:
        assert client.command("STARTTLS").ok
        client.sock = server.ssl_context().wrap_socket(client.sock, server_hostname=server.host)
        result = client.command("STARTTLS")
        assert result.status == "BAD"
        assert client.command("NOOP").ok
    finally:
        client.close()


def test_starttls_on_the_tls_port_is_refused(server) -> None:
    client = RawClient(server.host, server.imaps_port, server.ssl_context())
    try:
        assert client.command("STARTTLS").status == "BAD"
    finally:
        client.close()


def test_cleartext_pipelined_after_starttls_is_discarded(server) -> None:
    """RFC 9051 6.2.1: commands injected before the handshake must not run."""
    client = RawClient(server.host, server.imap_port)
    try:
        client.send(b"a1 STARTTLS\r\na2 LOGIN alice secret\r\n")
        assert client.read_response().startswith(b"a1 OK")
        client.sock = server.ssl_context().wrap_socket(client.sock, server_hostname=server.host)
        client.buffer = b""
        client.send(b"a3 CAPABILITY\r\n")
        first = client.read_response()
        assert first.startswith(b"* CAPABILITY"), first  # no answer for a2 ever arrives
        assert b"AUTH=PLAIN" in first  # still not authenticated: a2 never ran
        assert client.read_response().startswith(b"a3 OK")
    finally:
        client.close()


def test_logindisabled_on_cleartext_until_starttls(tmp_path: Path) -> None:
    with running_server(tmp_path / "data", allow_plaintext_auth=False) as srv:
        srv.add_user("alice", "secret")
        client = RawClient(srv.host, srv.imap_port)
        try:
            assert b"LOGINDISABLED" in client.greeting
            assert b"AUTH=PLAIN" not in client.greeting
            refused = client.command("LOGIN alice secret")
            assert refused.status == "NO"
            assert refused.code == "PRIVACYREQUIRED"
            refused = client.command("AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==")
            assert (refused.status, refused.code) == ("NO", "PRIVACYREQUIRED")
            assert client.command("STARTTLS").ok
            client.sock = srv.ssl_context().wrap_socket(client.sock, server_hostname=srv.host)
            caps = client.command("CAPABILITY")
            assert b"LOGINDISABLED" not in caps.untagged[0]
            assert b"AUTH=PLAIN" in caps.untagged[0]
            assert client.command("LOGIN alice secret").ok
        finally:
            client.close()


def test_plaintext_port_refuses_tls_client_hello(server) -> None:
    raw = socket.create_connection((server.host, server.imap_port), timeout=5)
    wrapped = server.ssl_context().wrap_socket(
        raw, server_hostname=server.host, do_handshake_on_connect=False
    )
    try:
        with pytest.raises((ssl.SSLError, OSError)):
            wrapped.do_handshake()
    finally:
        wrapped.close()


def test_tls_below_1_2_is_refused(server) -> None:
    context = server.ssl_context()
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.maximum_version = ssl.TLSVersion.TLSv1_1
    except (ValueError, ssl.SSLError):
        pytest.skip("this OpenSSL cannot offer TLS 1.1")
    raw = socket.create_connection((server.host, server.imaps_port), timeout=5)
    with pytest.raises((ssl.SSLError, OSError)):
        context.wrap_socket(raw, server_hostname=server.host).close()
    raw.close()


def test_self_signed_pair_made_once_and_reused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_server(data) as first:
        cert = first.cert_file.read_bytes()
    key_file = data / "tls" / tls.KEY_NAME
    assert key_file.stat().st_mode & 0o777 == 0o600
    with running_server(data) as second:
        assert second.cert_file.read_bytes() == cert
    parsed = x509.load_pem_x509_certificate(cert)
    san = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)][0] == "127.0.0.1"
    lifetime = parsed.not_valid_after_utc - parsed.not_valid_before_utc
    assert lifetime.days >= 3650


def test_self_signed_pair_regenerated_when_half_missing(tmp_path: Path) -> None:
    cert, key, created = tls.ensure_self_signed(tmp_path)
    assert created
    os.unlink(key)
    cert2, key2, created2 = tls.ensure_self_signed(tmp_path)
    assert created2 and key2.exists() and cert2.read_bytes() != b""
    assert tls.ensure_self_signed(tmp_path)[2] is False


def test_configured_certificate_is_used(tmp_path: Path) -> None:
    cert, key, _ = tls.ensure_self_signed(tmp_path / "mine")
    with running_server(tmp_path / "data", tls_cert=cert, tls_key=key) as srv:
        assert srv.cert_file == cert
        assert not (tmp_path / "data" / "tls").exists()
        client = RawClient(srv.host, srv.imaps_port, srv.ssl_context())
        client.close()


def test_server_context_minimum_version(tmp_path: Path) -> None:
    cert, key, _ = tls.ensure_self_signed(tmp_path)
    assert tls.server_context(cert, key).minimum_version == ssl.TLSVersion.TLSv1_2
