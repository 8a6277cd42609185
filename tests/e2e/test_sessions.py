"""Connection-level commands and concurrent sessions, with imaplib, imapclient and raw bytes.

CAPABILITY, NOOP, LOGOUT, LOGIN, AUTHENTICATE PLAIN, ENABLE, ID, NAMESPACE, IDLE
(RFC 9051 6.1, 6.2, 6.3.1, 6.3.13; RFC 2971; RFC 2342; RFC 5161), and what a second
session of the same user sees (RFC 9051 5.2, 7.5.1: EXPUNGE never in reply to a
non-UID FETCH, STORE or SEARCH).
"""

from __future__ import annotations

import base64
import imaplib
import time

import pytest

from .conftest import PASSWORDS, appenduid
from .imapwire import RawClient

MSG = b"From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n"


def caps_of(result) -> set[str]:
    (line,) = result.named("CAPABILITY")
    return {str(c).upper() for c in line}


# ---------------------------------------------------------------- greeting, CAPABILITY


def test_greeting_is_ok(raw_connect):
    client = raw_connect()
    assert client.greeting.startswith(b"* OK"), client.greeting


def test_capability_advertises_both_revisions(raw_connect):
    result = raw_connect().command("CAPABILITY")
    assert result.ok
    caps = caps_of(result)
    assert {"IMAP4REV1", "IMAP4REV2", "AUTH=PLAIN"} <= caps, caps


def test_capability_after_login_keeps_extensions(raw):
    caps = caps_of(raw.command("CAPABILITY"))
    for name in ("IMAP4REV1", "IMAP4REV2", "ENABLE", "IDLE", "NAMESPACE", "UIDPLUS", "MOVE"):
        assert name in caps, f"{name} missing from {caps}"
    assert "LOGINDISABLED" not in caps


def test_capability_imaplib(imap_connect):
    conn = imap_connect()
    typ, data = conn.capability()
    assert typ == "OK"
    words = data[0].upper().split()
    assert b"IMAP4REV1" in words and b"IMAP4REV2" in words
    assert conn.PROTOCOL_VERSION == "IMAP4REV1"


def test_capability_imapclient(client):
    assert client.has_capability("IMAP4rev1")
    assert client.has_capability("IMAP4rev2")
    assert client.has_capability("IDLE")


# ---------------------------------------------------------------- NOOP, LOGOUT


def test_noop_in_every_state(raw_connect):
    client = raw_connect()
    assert client.command("NOOP").ok
    assert client.command(f'LOGIN alice "{PASSWORDS["alice"]}"').ok
    assert client.command("NOOP").ok
    assert client.command("SELECT INBOX").ok
    assert client.command("NOOP").ok


def test_noop_imaplib_and_imapclient(imap, client):
    assert imap.noop()[0] == "OK"
    text, responses = client.noop()
    assert responses == []


def test_logout_sends_bye_then_ok_and_closes(raw):
    result = raw.command("LOGOUT")
    assert result.ok
    assert any(line.startswith(b"BYE") for line in result.untagged), result.untagged
    assert raw.closed_by_peer()


def test_logout_imaplib(imap):
    typ, data = imap.logout()
    assert typ == "BYE"


# ---------------------------------------------------------------- LOGIN


def test_login_imaplib(imap_connect):
    conn = imap_connect()
    typ, data = conn.login("bob", PASSWORDS["bob"])  # password with a quote and a backslash
    assert typ == "OK"
    assert conn.state == "AUTH"


def test_login_wrong_password(raw_connect):
    client = raw_connect()
    result = client.command('LOGIN alice "not the password"')
    assert result.status == "NO"
    assert result.code == "AUTHENTICATIONFAILED"
    assert client.command("NOOP").ok  # still usable, still not authenticated
    assert client.command("SELECT INBOX").status == "BAD"


def test_login_unknown_user_looks_like_wrong_password(raw_connect):
    client = raw_connect()
    unknown = client.command('LOGIN mallory "whatever"')
    wrong = client.command('LOGIN alice "whatever"')
    assert (unknown.status, unknown.code, unknown.text) == (wrong.status, wrong.code, wrong.text)


def test_login_literal_password(raw_connect):
    from .imapwire import Lit

    client = raw_connect()
    result = client.command("LOGIN alice ", Lit(PASSWORDS["alice"].encode()))
    assert result.ok, result


def test_login_twice_is_bad(raw):
    assert raw.command(f'LOGIN alice "{PASSWORDS["alice"]}"').status == "BAD"


def test_login_imapclient_error(client_connect):
    from imapclient.exceptions import LoginError

    conn = client_connect()
    with pytest.raises(LoginError):
        conn.login("alice", "nope")


# ---------------------------------------------------------------- AUTHENTICATE PLAIN


def test_authenticate_plain_imaplib(imap_connect):
    conn = imap_connect()
    seen = []

    def plain(challenge: bytes) -> bytes:
        seen.append(challenge)
        return f"\0alice\0{PASSWORDS['alice']}".encode()

    typ, _ = conn.authenticate("PLAIN", plain)
    assert typ == "OK"
    assert seen == [b""]  # PLAIN starts with an empty challenge
    assert conn.select("INBOX")[0] == "OK"


def test_authenticate_plain_imapclient(client_connect):
    conn = client_connect()
    conn.plain_login("bob", PASSWORDS["bob"])
    assert conn.select_folder("INBOX")[b"EXISTS"] == 0


def test_authenticate_plain_bad_password_imapclient(client_connect):
    from imapclient.exceptions import LoginError

    conn = client_connect()
    with pytest.raises(LoginError):
        conn.plain_login("alice", "wrong")


def _authenticate(client: RawClient, mech: str, *answers: bytes):
    tag = client.next_tag()
    client.send(f"{tag} AUTHENTICATE {mech}\r\n".encode())
    challenges = []
    for answer in answers:
        response = client.read_response()
        if not response.startswith(b"+"):
            break
        challenges.append(response)
        client.send(answer + b"\r\n")
    from .imapwire import Result

    return client.read_until_tagged(Result(tag, "", None, "")), challenges


def test_authenticate_plain_raw(raw_connect):
    client = raw_connect()
    token = base64.b64encode(f"alice\0alice\0{PASSWORDS['alice']}".encode())
    result, challenges = _authenticate(client, "PLAIN", token)
    assert result.ok, result
    assert challenges and challenges[0].strip() == b"+"


def test_authenticate_plain_initial_response(raw_connect):
    client = raw_connect()
    if "SASL-IR" not in caps_of(client.command("CAPABILITY")):
        pytest.skip("SASL-IR not advertised")
    token = base64.b64encode(f"\0bob\0{PASSWORDS['bob']}".encode()).decode()
    assert client.command(f"AUTHENTICATE PLAIN {token}").ok


def test_authenticate_cancel(raw_connect):
    client = raw_connect()
    result, _ = _authenticate(client, "PLAIN", b"*")
    assert result.status == "BAD"  # RFC 9051 6.2.2: cancelled exchange is BAD
    assert client.command(f'LOGIN alice "{PASSWORDS["alice"]}"').ok


def test_authenticate_other_authzid_refused(raw_connect):
    client = raw_connect()
    token = base64.b64encode(f"bob\0alice\0{PASSWORDS['alice']}".encode())
    result, _ = _authenticate(client, "PLAIN", token)
    assert result.status == "NO"


def test_authenticate_garbage_base64(raw_connect):
    client = raw_connect()
    result, _ = _authenticate(client, "PLAIN", b"!!!not base64!!!")
    assert result.status in ("BAD", "NO")
    assert client.command("NOOP").ok


def test_authenticate_unknown_mechanism(raw_connect):
    result = raw_connect().command("AUTHENTICATE X-UNKNOWN-MECH")
    assert result.status == "NO"


# ---------------------------------------------------------------- ENABLE, ID, NAMESPACE


def test_enable_imap4rev2(raw):
    result = raw.command("ENABLE IMAP4rev2")
    assert result.ok
    (enabled,) = result.named("ENABLED")
    assert [str(c).upper() for c in enabled] == ["IMAP4REV2"]


def test_enable_utf8_accept_imapclient(client):
    assert [c.upper() for c in client.enable("UTF8=ACCEPT")] == [b"UTF8=ACCEPT"]


def test_enable_unknown_is_ignored(raw):
    result = raw.command("ENABLE X-NOT-A-THING IMAP4rev2")
    assert result.ok
    (enabled,) = result.named("ENABLED")
    assert [str(c).upper() for c in enabled] == ["IMAP4REV2"]


def test_enable_before_login_is_bad(raw_connect):
    assert raw_connect().command("ENABLE IMAP4rev2").status == "BAD"


def test_id_imapclient(client):
    info = client.id_({"name": "e2e-test", "version": "1"})
    assert info is not None


def test_id_nil_raw(raw_connect):
    result = raw_connect().command("ID NIL")  # ID is valid in any state
    assert result.ok
    (values,) = result.named("ID")
    assert values[0] is None or isinstance(values[0], list)


def test_namespace_raw(raw):
    result = raw.command("NAMESPACE")
    assert result.ok
    (ns,) = result.named("NAMESPACE")
    personal, other, shared = ns
    assert personal == [[b"", b"/"]]
    assert other is None and shared is None


def test_namespace_imapclient(client):
    ns = client.namespace()
    assert ns.personal == (("", "/"),)
    assert ns.other is None and ns.shared is None


# ---------------------------------------------------------------- IDLE


def test_idle_raw_continuation_and_done(raw):
    raw.command("SELECT INBOX")
    tag = raw.next_tag()
    raw.send(f"{tag} IDLE\r\n".encode())
    assert raw.read_response().startswith(b"+")
    raw.send(b"DONE\r\n")
    from .imapwire import Result

    assert raw.read_until_tagged(Result(tag, "", None, "")).ok


def test_idle_sees_append_flags_expunge(client_connect):
    watcher, actor = client_connect("alice"), client_connect("alice")
    watcher.select_folder("INBOX")
    actor.select_folder("INBOX")
    watcher.idle()
    try:
        uid = appenduid(actor.append("INBOX", MSG))
        assert (1, b"EXISTS") in _idle_until(watcher, lambda r: (1, b"EXISTS") in r)
        actor.add_flags([uid], [b"\\Flagged"])
        got = _idle_until(watcher, lambda r: any(x[1] == b"FETCH" for x in r))
        fetch = next(x for x in got if x[1] == b"FETCH")
        assert b"\\Flagged" in fetch[2][fetch[2].index(b"FLAGS") + 1]
        actor.delete_messages([uid])
        actor.expunge()
        assert (1, b"EXPUNGE") in _idle_until(watcher, lambda r: (1, b"EXPUNGE") in r)
    finally:
        watcher.idle_done()
    assert watcher.noop()[1] == []


def _idle_until(client, done, timeout: float = 5.0) -> list:
    seen: list = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += client.idle_check(timeout=0.5)
        if done(seen):
            return seen
    raise AssertionError(f"IDLE never reported it; saw {seen}")


def test_idle_other_mailbox_is_quiet(client_connect):
    watcher, actor = client_connect("alice"), client_connect("alice")
    watcher.select_folder("INBOX")
    watcher.idle()
    try:
        actor.append("Drafts", MSG)
        assert watcher.idle_check(timeout=0.5) == []
    finally:
        watcher.idle_done()


def test_idle_requires_selected_or_authenticated(raw_connect):
    result = raw_connect().command("IDLE")
    assert result.status == "BAD"


def test_imaplib_select_and_logout_are_clean(imap):
    typ, data = imap.select("INBOX")
    assert typ == "OK" and data == [b"0"]
    typ, _ = imap.close()
    assert typ == "OK"
    with pytest.raises(imaplib.IMAP4.error):
        imap.fetch("1", "(FLAGS)")  # imaplib refuses FETCH outside SELECTED itself
