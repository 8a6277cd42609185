"""BODY and BODYSTRUCTURE (RFC 9051 section 7.5.2) of a part tree, as IMAP bytes.

Rules:
- Basic part: type subtype params id description encoding octets; text/*
  adds lines; message/rfc822 adds envelope, body (of the embedded message)
  and lines. BODYSTRUCTURE appends md5 disposition language location.
- Multipart: the children's bodies back to back (``1*body``, no spaces),
  then the subtype; BODYSTRUCTURE appends params disposition language location.
- Octets are the size of the body as stored; lines count its lines.
- text/* with no parameters is reported with charset us-ascii (RFC 2045 default).
- Strings are the header bytes (surrogateescape) without NUL; 8-bit text
  becomes a literal through ``encode_value``.
"""

from __future__ import annotations

from collections.abc import Callable

from roost.mime.part import Params, Part, to_bytes
from roost.protocol.values import Raw, Value, encode_value

EnvelopeOf = Callable[[Part], bytes]
# What IMAP requires when a multipart somehow has no parts (never built by analyse).
_EMPTY_BODY = b'("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0)'


def body_value(part: Part, envelope_of: EnvelopeOf, extended: bool) -> bytes:
    """BODY (``extended`` False) or BODYSTRUCTURE (True) of ``part``."""
    if part.type == "multipart":
        return _multipart(part, envelope_of, extended)
    items: list[Value] = [
        _s(part.type),
        _s(part.subtype),
        _params(part.params or _default_params(part)),
        _s(part.id),
        _s(part.description),
        _s(part.encoding),
        part.body_end - part.body_start,
    ]
    if part.is_message:
        inner = part.children[0]
        items += [Raw(envelope_of(inner)), Raw(body_value(inner, envelope_of, extended))]
        items.append(part.lines)
    elif part.type == "text":
        items.append(part.lines)
    if extended:
        items += [_s(part.md5), *_extension(part)]
    return encode_value(items)


def _multipart(part: Part, envelope_of: EnvelopeOf, extended: bool) -> bytes:
    kids = [body_value(c, envelope_of, extended) for c in part.children] or [_EMPTY_BODY]
    tail: list[Value] = [_s(part.subtype)]
    if extended:
        tail += [_params(part.params), *_extension(part)]
    # encode_value writes "(a b c)"; strip its parentheses to splice after the bodies.
    return b"(" + b"".join(kids) + b" " + encode_value(tail)[1:-1] + b")"


def _extension(part: Part) -> list[Value]:
    disposition: Value = None
    if part.disposition is not None:
        disposition = [_s(part.disposition[0]), _params(part.disposition[1])]
    language: Value = None if not part.language else [_s(tag) for tag in part.language]
    return [disposition, language, _s(part.location)]


def _default_params(part: Part) -> Params:
    return [("charset", "us-ascii")] if part.type == "text" else []


def _params(params: Params) -> Value:
    if not params:
        return None
    flat: list[Value] = []
    for name, value in params:
        flat += [_s(name), _s(value)]
    return flat


def _s(text: str | None) -> bytes | None:
    return None if text is None else to_bytes(text).replace(b"\x00", b"")
