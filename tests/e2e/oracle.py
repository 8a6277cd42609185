"""What a correct server must answer for ENVELOPE and BODYSTRUCTURE, from Python's email package.

The independent oracle for FETCH: header fields are unfolded from the raw bytes,
addresses parsed by ``email.utils.getaddresses`` and the MIME tree walked with
``email.message_from_bytes`` (compat32 keeps leaf payloads byte-exact, so their
sizes and line counts can be measured). ``check_bodystructure`` compares the
server's parsed BODYSTRUCTURE with that tree and raises ``AssertionError``
naming the part that differs.
"""

from __future__ import annotations

import email
import email.message
import email.utils
import re
from email import policy

from .imapwire import text

_FOLD = re.compile(rb"\r\n(?=[ \t])")


def header_fields(raw: bytes) -> list[tuple[str, str]]:
    """(name, unfolded value) for every field of the top-level header, in order."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    out = []
    for line in _FOLD.sub(b"", head).split(b"\r\n"):
        name, sep, value = line.partition(b":")
        if sep:
            out.append((name.decode("ascii").strip(), value.decode("utf-8").strip(" \t")))
    return out


def field(raw: bytes, name: str) -> str | None:
    for key, value in header_fields(raw):
        if key.lower() == name.lower():
            return value
    return None


def _addresses(value: str | None) -> list[tuple] | None:
    if value is None:
        return None
    out = []
    for name, addr in email.utils.getaddresses([value]):
        mailbox, _, host = addr.rpartition("@")
        out.append((name or None, None, mailbox or addr, host or None))
    return out or None


def expected_envelope(raw: bytes) -> list:
    """The ENVELOPE (RFC 9051 7.5.2) as Python values; sender/reply-to default to from."""
    sender = field(raw, "Sender") or field(raw, "From")
    reply_to = field(raw, "Reply-To") or field(raw, "From")
    return [
        field(raw, "Date"),
        field(raw, "Subject"),
        _addresses(field(raw, "From")),
        _addresses(sender),
        _addresses(reply_to),
        _addresses(field(raw, "To")),
        _addresses(field(raw, "Cc")),
        _addresses(field(raw, "Bcc")),
        field(raw, "In-Reply-To"),
        field(raw, "Message-ID"),
    ]


def envelope_values(value: list) -> list:
    """A parsed ENVELOPE from the server in the shape of ``expected_envelope``."""
    out = [text(value[0]), text(value[1])]
    for addresses in value[2:8]:
        out.append(None if addresses is None else [tuple(text(x) for x in a) for a in addresses])
    out += [text(value[8]), text(value[9])]
    return out


# ---------------------------------------------------------------- BODYSTRUCTURE


def parse_message(raw: bytes) -> email.message.Message:
    return email.message_from_bytes(raw, policy=policy.compat32)


def _params(part: email.message.Message, header: str = "content-type") -> dict[str, str]:
    params = part.get_params(header=header) or []
    return {k.lower(): v for k, v in params[1:]}


def _server_params(value: object) -> dict[str, str]:
    if value is None:
        return {}
    assert isinstance(value, list) and len(value) % 2 == 0, value
    return {text(value[i]).lower(): text(value[i + 1]) for i in range(0, len(value), 2)}


def _leaf_bytes(part: email.message.Message) -> bytes:
    """The raw body octets of a leaf part (before any transfer decoding)."""
    encoding = (part.get("Content-Transfer-Encoding") or "7bit").strip().lower()
    if encoding in ("7bit", "8bit", "binary"):
        return part.get_payload(decode=True)  # no decoding needed: the raw bytes back
    return part.get_payload().encode("ascii")


def _lines(body: bytes) -> set[int]:
    # RFC 9051 does not say whether an unterminated last line counts; accept both.
    return {body.count(b"\n"), body.count(b"\n") + (0 if body.endswith(b"\n") else 1)}


def _check_extension(where: str, part: email.message.Message, ext: list) -> None:
    """disposition, language, location (the tail both part kinds share)."""
    disposition = part.get_content_disposition()
    if disposition is None:
        assert ext[0] is None, f"{where}: disposition {ext[0]!r}, expected NIL"
    else:
        assert text(ext[0][0]).lower() == disposition, f"{where}: disposition {ext[0]!r}"
        want = _params(part, "content-disposition")
        assert _server_params(ext[0][1]) == want, f"{where}: disposition params {ext[0][1]!r}"
    if len(ext) > 1:
        language = part.get("Content-Language")
        got = ext[1]
        got_list = (
            None if got is None else [text(x) for x in (got if isinstance(got, list) else [got])]
        )
        want_list = None if language is None else [x.strip() for x in language.split(",")]
        assert got_list == want_list, f"{where}: language {got!r}, expected {language!r}"
    if len(ext) > 2:
        assert text(ext[2]) == part.get("Content-Location"), f"{where}: location {ext[2]!r}"


def check_bodystructure(value: list, part: email.message.Message, where: str = "root") -> None:
    """Assert the server's BODYSTRUCTURE ``value`` describes ``part``."""
    if part.get_content_maintype() == "multipart":
        _check_multipart(value, part, where)
    else:
        _check_leaf(value, part, where)


def _check_multipart(value: list, part: email.message.Message, where: str) -> None:
    children = part.get_payload()
    count = next(i for i, v in enumerate(value) if not isinstance(v, list))
    assert count == len(children), f"{where}: {count} parts, expected {len(children)}"
    for i, child in enumerate(children, 1):
        check_bodystructure(value[i - 1], child, f"{where}.{i}")
    rest = value[len(children) :]
    assert text(rest[0]).lower() == part.get_content_subtype(), f"{where}: subtype {rest[0]!r}"
    if len(rest) > 1:
        assert _server_params(rest[1]) == _params(part), f"{where}: params {rest[1]!r}"
    if len(rest) > 2:
        _check_extension(where, part, rest[2:])


def _check_leaf(value: list, part: email.message.Message, where: str) -> None:
    maintype, subtype = part.get_content_maintype(), part.get_content_subtype()
    assert text(value[0]).lower() == maintype, f"{where}: type {value[0]!r}, expected {maintype}"
    assert text(value[1]).lower() == subtype, f"{where}: subtype {value[1]!r}"
    got_params, want_params = _server_params(value[2]), _params(part)
    if maintype == "text" and "charset" not in want_params:
        got_params.pop("charset", None)  # servers may add the default charset
    assert got_params == want_params, f"{where}: params {value[2]!r}, expected {want_params}"
    assert text(value[3]) == part.get("Content-ID"), f"{where}: id {value[3]!r}"
    assert text(value[4]) == part.get("Content-Description"), f"{where}: description {value[4]!r}"
    encoding = (part.get("Content-Transfer-Encoding") or "7BIT").upper()
    assert text(value[5]).upper() == encoding, f"{where}: encoding {value[5]!r}"
    index = 7
    if (maintype, subtype) == ("message", "rfc822"):
        inner = part.get_payload(0)
        assert envelope_values(value[7]) == expected_envelope(_inner_bytes(inner)), where
        check_bodystructure(value[8], inner, f"{where}(rfc822)")
        assert isinstance(value[9], str) and value[9].isdigit(), f"{where}: lines {value[9]!r}"
        index = 10
    else:
        body = _leaf_bytes(part)
        assert int(value[6]) == len(body), f"{where}: size {value[6]!r}, expected {len(body)}"
        if maintype == "text":
            assert int(value[7]) in _lines(body), f"{where}: lines {value[7]!r}"
            index = 8
    ext = value[index:]
    if ext:
        assert text(ext[0]) == part.get("Content-MD5"), f"{where}: md5 {ext[0]!r}"
        _check_extension(where, part, ext[1:])


def _inner_bytes(inner: email.message.Message) -> bytes:
    """Header bytes of an embedded message, enough for ``expected_envelope``."""
    lines = [f"{k}: {v}" for k, v in inner.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")
