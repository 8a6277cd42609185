"""SASL PLAIN (RFC 4616) and LOGIN as generators: exchanges, errors, redaction."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roost.auth.sasl import MECHANISMS, Credentials, SaslError, start


def run(
    mechanism: str, initial: bytes | None, responses: list[bytes]
) -> tuple[list[bytes], Credentials]:
    """Drive an exchange like the server driver does; returns the challenges and the result."""
    gen = start(mechanism, initial)
    challenges: list[bytes] = []
    pending = list(responses)
    try:
        challenge = next(gen)
        while True:
            challenges.append(challenge)
            assert pending, f"mechanism asked for more than the test gave: {challenges}"
            challenge = gen.send(pending.pop(0))
    except StopIteration as stop:
        assert not pending, "mechanism finished before using every response"
        return challenges, stop.value


def test_mechanisms() -> None:
    assert MECHANISMS == ("PLAIN", "LOGIN")


# ---------------------------------------------------------------- PLAIN


def test_plain_initial_response() -> None:
    challenges, creds = run("PLAIN", b"\x00alice\x00secret", [])
    assert challenges == []
    assert creds == Credentials(authzid="", username="alice", password="secret")


def test_plain_without_initial_response_sends_empty_challenge() -> None:
    challenges, creds = run("PLAIN", None, [b"\x00alice\x00secret"])
    assert challenges == [b""]
    assert creds.username == "alice" and creds.password == "secret"


def test_plain_empty_initial_response_sends_empty_challenge() -> None:
    challenges, creds = run("PLAIN", b"", [b"\x00bob\x00pw"])
    assert challenges == [b""]
    assert creds.username == "bob"


def test_plain_authzid_same_as_authcid_is_accepted() -> None:
    _, creds = run("PLAIN", b"alice\x00alice\x00secret", [])
    assert creds == Credentials(authzid="alice", username="alice", password="secret")


def test_plain_utf8_and_spaces() -> None:
    _, creds = run("plain", "\x00jörg\x00pass word ✓".encode(), [])
    assert creds.username == "jörg" and creds.password == "pass word ✓"


@pytest.mark.parametrize(
    "message",
    [
        b"alice\x00secret",  # one NUL
        b"alicesecret",  # none
        b"\x00alice\x00sec\x00ret",  # three
        b"\x00\x00secret",  # empty authcid
        b"\x00alice\x00",  # empty password
        b"\x00al\xffice\x00secret",  # not UTF-8
        b"\x00alice\x00\xc3",  # truncated UTF-8
        b"admin\x00alice\x00secret",  # acting as another user
        b"\x00" + b"a" * 5000 + b"\x00pw",  # absurdly long
    ],
)
def test_plain_malformed(message: bytes) -> None:
    with pytest.raises(SaslError):
        run("PLAIN", message, [])
    with pytest.raises(SaslError):
        run("PLAIN", None, [message])


def test_plain_authzid_error_text_is_sendable() -> None:
    with pytest.raises(SaslError) as info:
        run("PLAIN", b"admin\x00alice\x00secret", [])
    assert "authorization" in info.value.text
    assert "secret" not in info.value.text


# ---------------------------------------------------------------- LOGIN


def test_login_exchange() -> None:
    challenges, creds = run("LOGIN", None, [b"alice", b"secret"])
    assert challenges == [b"Username:", b"Password:"]
    assert creds == Credentials(authzid="", username="alice", password="secret")


def test_login_initial_response_is_the_username() -> None:
    challenges, creds = run("login", b"alice", [b"secret"])
    assert challenges == [b"Password:"]
    assert creds.username == "alice" and creds.password == "secret"


def test_login_empty_initial_response_asks_for_username() -> None:
    challenges, creds = run("Login", b"", [b"alice", b"secret"])
    assert challenges == [b"Username:", b"Password:"]
    assert creds.username == "alice"


@pytest.mark.parametrize(
    ("user", "password"),
    [
        (b"al\x00ice", b"secret"),
        (b"alice", b"sec\x00ret"),
        (b"\xff", b"secret"),
        (b"alice", b"\xfe\xff"),
        (b"", b"secret"),
        (b"alice", b""),
    ],
)
def test_login_malformed(user: bytes, password: bytes) -> None:
    with pytest.raises(SaslError):
        run("LOGIN", None, [user, password])


def test_login_bad_username_fails_before_password_prompt() -> None:
    gen = start("LOGIN", None)
    assert next(gen) == b"Username:"
    with pytest.raises(SaslError):
        gen.send(b"a\x00b")


# ---------------------------------------------------------------- general


@pytest.mark.parametrize("mechanism", ["CRAM-MD5", "SCRAM-SHA-256", "", "PLAIN2", "XOAUTH2"])
def test_unknown_mechanism_raises_at_start(mechanism: str) -> None:
    with pytest.raises(SaslError):
        start(mechanism, None)


def test_credentials_repr_hides_password() -> None:
    creds = Credentials(authzid="", username="alice", password="hunter2")
    assert "hunter2" not in repr(creds)
    assert "hunter2" not in str(creds)
    assert "alice" in repr(creds)
    assert "redacted" in repr(creds)
    assert f"{creds}".count("hunter2") == 0


nonempty = st.text(
    alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=100)
@given(nonempty, nonempty)
def test_plain_round_trip(username: str, password: str) -> None:
    message = b"\x00" + username.encode() + b"\x00" + password.encode()
    _, creds = run("PLAIN", message, [])
    assert (creds.username, creds.password) == (username, password)


@settings(max_examples=100)
@given(nonempty, nonempty)
def test_login_round_trip(username: str, password: str) -> None:
    _, creds = run("LOGIN", None, [username.encode(), password.encode()])
    assert (creds.username, creds.password) == (username, password)
