"""ENVELOPE (RFC 9051 section 7.5.2) of a message header, precomputed as IMAP bytes.

Rules:
- Fields: date, subject, from, sender, reply-to, to, cc, bcc, in-reply-to,
  message-id; the first occurrence of each header counts.
- Values are the header bytes unfolded and trimmed, not decoded (RFC 2047
  words stay encoded, as servers report them); NUL bytes are dropped since
  IMAP strings cannot carry them.
- Sender and Reply-To default to From when absent or empty (RFC 9051).
- An absent header is NIL; so is an address list with no addresses.
"""

from __future__ import annotations

from roost.mime.addresses import Address, parse_address_list
from roost.mime.headers import Field, first_value
from roost.protocol.values import Raw, Value, encode_value

_ADDRESS_FIELDS = (b"from", b"sender", b"reply-to", b"to", b"cc", b"bcc")


def envelope(raw: bytes, fields: list[Field]) -> bytes:
    """The ENVELOPE value ``(...)`` for a header whose fields are ``fields``."""
    values: dict[bytes, bytes | None] = {}
    wanted = {b"date", b"subject", b"in-reply-to", b"message-id", *_ADDRESS_FIELDS}
    for f in fields:
        if f.name in wanted and f.name not in values:
            values[f.name] = first_value(raw, [f], f.name)
    lists = {name: _addresses(values.get(name)) for name in _ADDRESS_FIELDS}
    for name in (b"sender", b"reply-to"):
        if lists[name] is None:
            lists[name] = lists[b"from"]
    items: list[Value] = [_nstr(values.get(b"date")), _nstr(values.get(b"subject"))]
    items += [lists[name] for name in _ADDRESS_FIELDS]
    items += [_nstr(values.get(b"in-reply-to")), _nstr(values.get(b"message-id"))]
    return encode_value(items)


def _nstr(value: bytes | None) -> bytes | None:
    return None if value is None else value.replace(b"\x00", b"")


def _addresses(value: bytes | None) -> Raw | None:
    if value is None:
        return None
    addrs = parse_address_list(value.replace(b"\x00", b""))
    if not addrs:
        return None
    return Raw(encode_value([_address(a) for a in addrs]))


def _address(a: Address) -> list[Value]:
    return [a[0], a[1], a[2], a[3]]
