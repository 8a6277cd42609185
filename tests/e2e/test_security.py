"""User isolation, TLS (implicit and STARTTLS), plaintext-login policy and login delays.

RFC 9051 6.2.1 (STARTTLS, discarding buffered commands), 6.2.3 (LOGINDISABLED),
RFC 8314 (implicit TLS), RFC 5530 (AUTHENTICATIONFAILED, PRIVACYREQUIRED). Bob
must not reach alice's mailboxes, and the answers he gets must not tell him
whether one exists.
"""

from __future__ import annotations

import imaplib
import re
import time

import pytest

from .conftest import PASSWORDS, append, list_entries, quote
from .imapwire import Lit, RawClient, Result

SECRET = b"From: alice@example.org\r\nSubject: topsecret plans\r\n\r\ntopsecret body\r\n"
MSG = b"Subject: bob's own\r\n\r\nhello\r\n"


@pytest.fixture
def alice_secret(raw_connect):
    alice = raw_connect("alice")
    assert alice.command("CREATE Secret").ok
    append(alice, "Secret", SECRET)
    append(alice, "INBOX", SECRET)
    return alice


def shape(result: Result, name: str) -> tuple:
    """What a response reveals, with the mailbox name itself masked."""
    return (result.status, result.code, re.sub(re.escape(name), "<name>", result.text))


# ---------------------------------------------------------------- isolation


@pytest.mark.parametrize(
    "command",
    [
        "SELECT {}",
        "EXAMINE {}",
        "STATUS {} (MESSAGES)",
        "DELETE {}",
        "RENAME {} Elsewhere",
        "COPY 1 {}",
        "MOVE 1 {}",
    ],
)
def test_bob_cannot_reach_alice_mailbox(raw_connect, alice_secret, command):
    bob = raw_connect("bob")
    append(bob, "INBOX", MSG)
    if "COPY" in command or "MOVE" in command:
        assert bob.command("SELECT INBOX").ok
    existing = bob.command(command.format("Secret"))
    missing = bob.command(command.format("Nothing"))
    assert existing.status == "NO", existing
    assert shape(existing, "Secret") == shape(missing, "Nothing")


def test_bob_append_into_alice_mailbox(raw_connect, alice_secret):
    bob = raw_connect("bob")
    existing = bob.command("APPEND Secret ", Lit(MSG))
    missing = bob.command("APPEND Nothing ", Lit(MSG))
    assert existing.status == "NO" and existing.code == "TRYCREATE"
    assert shape(existing, "Secret") == shape(missing, "Nothing")
    assert alice_secret.command("STATUS Secret (MESSAGES)").named("STATUS")[0][1][1] == "1"


@pytest.mark.parametrize(
    "name",
    [
        "alice/Secret",
        "/alice/Secret",
        "../alice/Secret",
        "~alice/Secret",
        "#user/alice/Secret",
        "user/alice/Secret",
        "Other Users/alice/Secret",
        "../../alice/INBOX",
        "alice/INBOX",
    ],
)
def test_path_tricks_do_not_cross_users(raw_connect, alice_secret, name):
    bob = raw_connect("bob")
    result = bob.command(f"SELECT {quote(name)}")
    assert result.status in ("NO", "BAD")
    if result.status == "NO":
        assert result.code in (None, "NONEXISTENT", "CANNOT")


def test_bob_lists_only_his_mailboxes(raw_connect, alice_secret):
    bob = raw_connect("bob")
    names = set(list_entries(bob.command('LIST "" "*"')))
    assert names == {"INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive"}
    assert list_entries(bob.command('LIST "" "Secret"')) == {}
    assert list_entries(bob.command('LIST "alice/" "*"')) == {}
    assert "Secret" not in list_entries(bob.command('LSUB "" "*"'))


def test_bob_searches_only_his_mail(raw_connect, alice_secret):
    bob = raw_connect("bob")
    append(bob, "INBOX", MSG)
    bob.command("SELECT INBOX")
    result = bob.command("SEARCH TEXT topsecret")
    assert result.named("SEARCH") == [[]]
    assert bob.command("FETCH 1:* (BODY.PEEK[])").fetches()[1]["BODY[]"] == MSG


def test_same_name_is_a_different_mailbox(raw_connect, alice_secret):
    bob = raw_connect("bob")
    assert bob.command("CREATE Secret").ok  # no ALREADYEXISTS: his namespace is his own
    status = bob.command("STATUS Secret (MESSAGES)").named("STATUS")[0][1]
    assert status == ["MESSAGES", "0"]
    append(bob, "Secret", MSG)
    assert alice_secret.command("STATUS Secret (MESSAGES)").named("STATUS")[0][1][1] == "1"


def test_idle_does_not_leak_other_users(client_connect):
    bob, alice = client_connect("bob"), client_connect("alice")
    bob.select_folder("INBOX")
    bob.idle()
    try:
        alice.append("INBOX", SECRET)
        assert bob.idle_check(timeout=0.7) == []
    finally:
        bob.idle_done()


def test_wrong_password_for_existing_user_is_refused(raw_connect):
    client = raw_connect()
    assert client.command(f"LOGIN alice {quote(PASSWORDS['bob'])}").status == "NO"
    assert client.command('LIST "" "*"').status == "BAD"  # still not authenticated


# ---------------------------------------------------------------- TLS


def test_implicit_tls_login(imap_connect):
    conn = imap_connect(tls=True)
    assert conn.login("alice", PASSWORDS["alice"])[0] == "OK"
    assert conn.select("INBOX")[0] == "OK"


def test_implicit_tls_imapclient(client_connect):
    conn = client_connect("bob", tls=True)
    assert conn.select_folder("INBOX")[b"EXISTS"] == 0
    assert not conn.has_capability("STARTTLS")


def test_starttls_imaplib(imap_connect, server):
    conn = imap_connect()
    assert "STARTTLS" in conn.capabilities
    typ, _ = conn.starttls(ssl_context=server.ssl_context())
    assert typ == "OK"
    assert "STARTTLS" not in conn.capabilities  # re-read over TLS (RFC 9051 6.2.1)
    assert conn.login("alice", PASSWORDS["alice"])[0] == "OK"


def test_starttls_discards_pipelined_commands(server):
    client = RawClient(server.host, server.imap_port)
    try:
        client.send(b"s1 STARTTLS\r\ns2 NOOP\r\n")
        assert client.read_response().startswith(b"s1 OK")
        client.sock = server.ssl_context().wrap_socket(client.sock, server_hostname=server.host)
        assert client.buffer == b""
        result = client.command("NOOP", tag="s3")
        assert result.ok and not result.untagged  # no stray reply to s2 on the TLS side
    finally:
        client.close()


def test_starttls_on_tls_connection_is_bad(raw_connect):
    client = raw_connect(tls=True)
    assert client.command("STARTTLS").status == "BAD"


def test_starttls_after_login_is_bad(raw):
    assert raw.command("STARTTLS").status == "BAD"


# ---------------------------------------------------------------- plaintext policy, delays


@pytest.fixture
def strict(server_factory):
    return server_factory(allow_plaintext_auth=False)


def test_logindisabled_without_tls(raw_connect, strict):
    client = raw_connect(srv=strict)
    result = client.command("CAPABILITY")
    caps = {str(c).upper() for c in result.named("CAPABILITY")[0]}
    assert "LOGINDISABLED" in caps and "STARTTLS" in caps
    assert not any(c.startswith("AUTH=") for c in caps)
    login = client.command(f"LOGIN alice {quote(PASSWORDS['alice'])}")
    assert login.status in ("NO", "BAD")
    assert login.code in (None, "PRIVACYREQUIRED")
    assert client.command("AUTHENTICATE PLAIN").status in ("NO", "BAD")


def test_strict_server_allows_login_over_tls(raw_connect, strict):
    client = raw_connect(srv=strict, tls=True)
    caps = {str(c).upper() for c in client.command("CAPABILITY").named("CAPABILITY")[0]}
    assert "AUTH=PLAIN" in caps and "LOGINDISABLED" not in caps
    assert client.command(f"LOGIN alice {quote(PASSWORDS['alice'])}").ok


def test_strict_server_allows_login_after_starttls(strict):
    conn = imaplib.IMAP4(strict.host, strict.imap_port, timeout=15)
    try:
        assert "LOGINDISABLED" in conn.capabilities
        conn.starttls(ssl_context=strict.ssl_context())
        assert "LOGINDISABLED" not in conn.capabilities
        assert conn.login("bob", PASSWORDS["bob"])[0] == "OK"
    finally:
        conn.logout()


def test_failed_login_is_delayed(raw_connect, server_factory):
    slow = server_factory(auth_failure_delay=0.3, auth_failure_delay_max=1.0)
    client = raw_connect(srv=slow)
    start = time.monotonic()
    assert client.command('LOGIN alice "wrong"').status == "NO"
    assert time.monotonic() - start >= 0.25
    assert client.command(f"LOGIN alice {quote(PASSWORDS['alice'])}").ok
