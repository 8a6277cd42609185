"""Modified UTF-7 for mailbox names (RFC 3501 section 5.1.3, RFC 9051 section 5.1).

IMAP4rev1 clients that have not enabled UTF8=ACCEPT send and expect mailbox
names in this encoding:

- printable US-ASCII (0x20-0x7E) stands for itself, except ``&``, written ``&-``;
- every other character is written as UTF-16BE in base64 with ``,`` instead of
  ``/`` and no padding, between ``&`` and ``-``.

Rules: ``decode_mutf7`` accepts only the canonical form, the one
``encode_mutf7`` writes, and raises ``ValueError`` for anything else (8-bit or
control characters, bad base64, an ``&`` never closed, printable ASCII or
``&`` hidden in base64, two encoded runs in a row, non-zero padding bits,
unpaired surrogates). So ``encode_mutf7(decode_mutf7(s)) == s`` for every
valid ``s``, and one mailbox can never be reached under two spellings.
"""

from __future__ import annotations

import base64
import binascii

_SHIFT = "&"
_UNSHIFT = "-"
# The modified base64 alphabet: "," replaces "/".
_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,")


def _printable(ch: str) -> bool:
    return 0x20 <= ord(ch) <= 0x7E


def encode_mutf7(name: str) -> str:
    """Encode a mailbox name; raises ``ValueError`` for unpaired surrogates."""
    out: list[str] = []
    run: list[str] = []  # characters waiting to be base64-encoded
    for ch in name:
        if _printable(ch):
            if run:
                out.append(_encode_run("".join(run)))
                run.clear()
            out.append("&-" if ch == _SHIFT else ch)
        else:
            run.append(ch)
    if run:
        out.append(_encode_run("".join(run)))
    return "".join(out)


def _encode_run(text: str) -> str:
    try:
        data = text.encode("utf-16-be")
    except UnicodeEncodeError as exc:
        raise ValueError(f"cannot encode {text!r} in modified UTF-7") from exc
    b64 = base64.b64encode(data, altchars=b"+,").rstrip(b"=").decode("ascii")
    return _SHIFT + b64 + _UNSHIFT


def decode_mutf7(wire: str) -> str:
    """Decode a mailbox name; raises ``ValueError`` unless ``wire`` is canonical."""
    out: list[str] = []
    i = 0
    n = len(wire)
    run_end = -1  # index just after the last encoded run
    while i < n:
        ch = wire[i]
        if not _printable(ch):
            raise ValueError(f"character {ch!r} not allowed in modified UTF-7")
        if ch != _SHIFT:
            out.append(ch)
            i += 1
            continue
        end = wire.find(_UNSHIFT, i + 1)
        if end < 0:
            raise ValueError("'&' without closing '-' in modified UTF-7")
        if end == i + 1:
            out.append(_SHIFT)  # "&-" is the literal "&"
        else:
            if i == run_end:  # "&AKM-&AKM-" must be written as one run
                raise ValueError("adjacent encoded runs in modified UTF-7")
            out.append(_decode_run(wire[i + 1 : end]))
            run_end = end + 1
        i = end + 1
    result = "".join(out)
    # Anything that slipped through the checks above (padding bits, say) shows
    # up as a difference from the canonical spelling.
    if encode_mutf7(result) != wire:
        raise ValueError("non-canonical modified UTF-7")
    return result


def _decode_run(b64: str) -> str:
    if any(c not in _B64_CHARS for c in b64):
        raise ValueError(f"invalid modified base64 {b64!r}")
    if len(b64) % 4 == 1:
        raise ValueError(f"truncated modified base64 {b64!r}")
    padded = b64 + "=" * (-len(b64) % 4)
    try:
        data = base64.b64decode(padded.encode("ascii"), altchars=b"+,", validate=True)
    except binascii.Error as exc:
        raise ValueError(f"invalid modified base64 {b64!r}") from exc
    if len(data) % 2:
        raise ValueError("modified UTF-7 run is not whole UTF-16 units")
    try:
        text = data.decode("utf-16-be")
    except UnicodeDecodeError as exc:
        raise ValueError("modified UTF-7 run is not valid UTF-16") from exc
    if any(_printable(c) for c in text):
        raise ValueError("printable ASCII encoded in modified base64")
    return text
