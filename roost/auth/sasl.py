"""SASL mechanisms for AUTHENTICATE, as pure generators (no I/O).

``start(mechanism, initial)`` returns a generator that yields server
challenges (raw bytes, before base64) and receives the client's responses
(raw bytes, after base64 decoding). When the exchange is complete the
generator returns ``Credentials`` (``StopIteration.value``); a malformed
response raises ``SaslError``. The driver owns base64, the ``+`` lines and the
client's ``*`` cancel (RFC 9051 section 6.2.2); checking the password is the
authenticator's job.

Mechanisms:
- PLAIN (RFC 4616): ``[authzid] NUL authcid NUL passwd`` in UTF-8. Acting as
  another user is not supported: an authzid that differs from the authcid is
  refused.
- LOGIN (draft-murchison-sasl-login): challenges ``Username:`` and
  ``Password:``; an initial response (SASL-IR, RFC 4959) is the user name.

With no initial response, or an empty one, the mechanism first sends an
empty challenge (PLAIN) or its first prompt (LOGIN).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field

MECHANISMS = ("PLAIN", "LOGIN")

# Higher than any sane name or password; the line-length limit applies first,
# this keeps the pure layer safe on its own.
_MAX_FIELD = 4096


class SaslError(Exception):
    """A malformed or unsupported client response; the text is safe to send."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(frozen=True)
class Credentials:
    """What the client presented; ``password`` never appears in repr or str."""

    authzid: str
    username: str
    password: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(authzid={self.authzid!r}, username={self.username!r}, password=<redacted>)"

    __str__ = __repr__


SaslExchange = Generator[bytes, bytes, Credentials]


def start(mechanism: str, initial: bytes | None) -> SaslExchange:
    """Begin an exchange; raises ``SaslError`` at once for an unknown mechanism."""
    name = mechanism.upper()
    if name == "PLAIN":
        return _plain(initial)
    if name == "LOGIN":
        return _login(initial)
    raise SaslError(f"unsupported mechanism {mechanism!r}")


def _plain(initial: bytes | None) -> SaslExchange:
    message = initial if initial else (yield b"")
    return parse_plain(message)


def parse_plain(message: bytes) -> Credentials:
    """Split an RFC 4616 message into credentials, checking its form."""
    parts = message.split(b"\x00")
    if len(parts) != 3:
        raise SaslError("PLAIN response needs exactly two NUL separators")
    authzid, authcid, passwd = (_utf8(p, "PLAIN") for p in parts)
    if not authcid or not passwd:
        raise SaslError("PLAIN response has an empty user name or password")
    if authzid and authzid != authcid:
        raise SaslError("authorization identity other than the user is not supported")
    return Credentials(authzid=authzid, username=authcid, password=passwd)


def _login(initial: bytes | None) -> SaslExchange:
    raw_user = initial if initial else (yield b"Username:")
    username = _login_value(raw_user)
    password = _login_value((yield b"Password:"))
    if not username or not password:
        raise SaslError("LOGIN needs a user name and a password")
    return Credentials(authzid="", username=username, password=password)


def _login_value(raw: bytes) -> str:
    if b"\x00" in raw:
        raise SaslError("NUL not allowed in LOGIN response")
    return _utf8(raw, "LOGIN")


def _utf8(raw: bytes, mechanism: str) -> str:
    if len(raw) > _MAX_FIELD:
        raise SaslError(f"{mechanism} response too long")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SaslError(f"{mechanism} response is not UTF-8") from None
