"""Server responses as bytes (RFC 9051 section 7): tagged, untagged, continuation.

Handlers build the payload of an untagged response from ``roost.protocol.values``
and these functions add the framing. Response text never contains CR or LF.
"""

from __future__ import annotations

CRLF = b"\r\n"


def _text(text: str) -> bytes:
    # resp-text is TEXT-CHAR: no CR/LF; keep it printable ASCII-safe.
    return text.replace("\r", " ").replace("\n", " ").encode("utf-8", "replace")


def _code(code: str | None) -> bytes:
    return b"[" + _text(code) + b"] " if code else b""


def tagged(tag: str, status: str, text: str, code: str | None = None) -> bytes:
    """``tag OK [CODE] text``."""
    return (
        tag.encode("ascii", "replace")
        + b" "
        + status.encode()
        + b" "
        + _code(code)
        + _text(text or status.lower())
        + CRLF
    )


def untagged(payload: bytes) -> bytes:
    """``* payload`` (payload already encoded, e.g. ``b"3 EXISTS"``)."""
    return b"* " + payload + CRLF


def untagged_status(status: str, text: str, code: str | None = None) -> bytes:
    """``* OK [CODE] text``, ``* NO ...``, ``* BAD ...``, ``* BYE ...``, ``* PREAUTH ...``."""
    return b"* " + status.encode() + b" " + _code(code) + _text(text or status.lower()) + CRLF


def continuation(text: str = "") -> bytes:
    """``+ text``; SASL challenges pass their base64 as ``text``."""
    return b"+ " + _text(text) + CRLF if text else b"+ " + CRLF
