"""Content-transfer decoding (RFC 2045 section 6) and charset decoding.

- base64 is decoded tolerantly: characters outside the alphabet (line breaks,
  garbage lines) are skipped, and each run between padding is decoded on its
  own, so concatenated padded chunks still work; a dangling single character
  is dropped.
- quoted-printable: ``=XX`` (either case of hex), soft line breaks ``=`` at the
  end of a line, whitespace at the end of a line is transport padding and is
  removed; a malformed ``=`` is kept as it is. Line breaks are kept as stored.
- 7bit/8bit/binary (and an absent CTE) are the identity; anything else raises
  ``UnknownEncoding``.
- Text is decoded by its charset with replacement characters; an unknown
  charset (or a codec that is not a text encoding) falls back to UTF-8.
"""

from __future__ import annotations

import binascii
import codecs
import re

from roost.mime.errors import UnknownEncoding

IDENTITY_ENCODINGS = frozenset({"7BIT", "8BIT", "BINARY", ""})
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_B64_DELETE = bytes(b for b in range(256) if b not in _B64_ALPHABET)
_QP_HEX = re.compile(rb"=([0-9A-Fa-f]{2})")


def decode_base64(data: bytes) -> bytes:
    """Tolerant base64: skip non-alphabet bytes, decode each padded run separately."""
    clean = data.translate(None, _B64_DELETE)
    out = bytearray()
    for run in clean.split(b"="):
        # A single leftover character carries no whole byte: drop it.
        chunk = run[: len(run) - 1] if len(run) % 4 == 1 else run
        if chunk:
            out += binascii.a2b_base64(chunk + b"=" * (-len(chunk) % 4))
    return bytes(out)


def decode_qp(data: bytes) -> bytes:
    """Quoted-printable as RFC 2045 section 6.7 describes, tolerant of bad escapes.

    Line by line (no regex over whole lines, which could backtrack badly on long
    runs of spaces).
    """
    out = bytearray()
    lines = data.split(b"\n")
    last = len(lines) - 1
    for i, line in enumerate(lines):
        eol = b""
        if i < last:
            eol = b"\n"
            if line.endswith(b"\r"):
                line, eol = line[:-1], b"\r\n"
        line = line.rstrip(b" \t")
        if line.endswith(b"="):  # soft line break
            line, eol = line[:-1], b""
        out += _QP_HEX.sub(_qp_replace, line)
        out += eol
    return bytes(out)


def _qp_replace(m: re.Match[bytes]) -> bytes:
    return bytes((int(m.group(1), 16),))


def decode_transfer(data: bytes, encoding: str) -> bytes:
    """Undo a content-transfer-encoding (upper-case name); raises UnknownEncoding."""
    enc = encoding.upper()
    if enc in IDENTITY_ENCODINGS:
        return data
    if enc == "BASE64":
        return decode_base64(data)
    if enc == "QUOTED-PRINTABLE":
        return decode_qp(data)
    raise UnknownEncoding(encoding)


def decode_charset(data: bytes, charset: str | None) -> str:
    """Bytes in ``charset`` as text; invalid sequences become U+FFFD, never an error."""
    name = (charset or "").strip().strip('"').lower()
    # us-ascii text with 8-bit bytes is almost always UTF-8 in practice.
    if name in ("", "us-ascii", "ascii", "utf-8", "utf8", "unknown-8bit", "x-unknown"):
        return data.decode("utf-8", "replace")
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return data.decode("utf-8", "replace")
    if not getattr(info, "_is_text_encoding", True):
        return data.decode("utf-8", "replace")
    try:
        return data.decode(info.name, "replace")
    except Exception:  # a codec that cannot take "replace" or chokes on input
        return data.decode("utf-8", "replace")
