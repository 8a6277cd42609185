"""BODY[section] and BINARY[part] extraction (RFC 9051 section 6.4.5, RFC 3516).

Every section is a slice of the stored message found through the part tree's
offsets; nothing is re-parsed except header fields for HEADER.FIELDS.
Rules:
- Part numbers: the parts of a message are its multipart children, or the
  message body itself as part 1 when it is not multipart; a message/rfc822
  part's subparts are the parts of its embedded message. A non-multipart
  leaf has no subparts.
- ``HEADER``, ``HEADER.FIELDS``, ``HEADER.FIELDS.NOT`` and ``TEXT`` apply to the
  message itself (no part) or to a message/rfc822 part (its embedded message);
  on any other part they do not exist (None).
- ``MIME`` is the part's own header; it needs a part number.
- ``HEADER.FIELDS`` copies matching fields as stored, in message order,
  followed by the blank line (CRLF); names match case-insensitively.
"""

from __future__ import annotations

import functools

from roost.mime.decode import decode_transfer
from roost.mime.headers import header_end, select_fields
from roost.mime.part import Part
from roost.protocol.commands import Section

_HEADERISH = ("HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT")


def find_part(root: Part, path: tuple[int, ...]) -> Part | None:
    """The part numbered ``path`` (non-empty), or None when it does not exist."""
    candidates = _message_parts(root)
    part: Part | None = None
    for number in path:
        if number < 1 or number > len(candidates):
            return None
        part = candidates[number - 1]
        candidates = _subparts(part)
    return part


def _message_parts(message: Part) -> list[Part]:
    return message.children if message.type == "multipart" else [message]


def _subparts(part: Part) -> list[Part]:
    if part.type == "multipart":
        return part.children
    if part.is_message:
        return _message_parts(part.children[0])
    return []


def section_bytes(raw: bytes, root: Part, section: Section) -> bytes | None:
    """The bytes of ``BODY[section]``, or None when the section does not exist."""
    if not section.part:
        return message_section(raw, section)
    text = section.text.upper() if section.text else None
    part = find_part(root, section.part)
    if part is None:
        return None
    if text is None:
        return raw[part.body_start : part.body_end]
    if text == "MIME":
        return raw[part.header_start : part.body_start]
    if text in _HEADERISH and part.is_message:
        inner = part.children[0]
        bounds = (inner.header_start, inner.body_start, inner.body_end)
        return _message_section(raw, bounds, text, section.fields)
    return None


def message_section(raw: bytes, section: Section) -> bytes | None:
    """``BODY[section]`` of the message itself (no part number): needs no part
    tree, since the root's header ends where ``header_end`` says (see ``structure``)."""
    text = section.text.upper() if section.text else None
    if text is None:
        return raw
    if text == "MIME":
        return None
    if text.startswith("HEADER.FIELDS"):
        # The field scan stops where the header does: no need to find its end first.
        return _message_section(raw, (0, len(raw), len(raw)), text, section.fields)
    return _message_section(raw, (0, header_end(raw), len(raw)), text, section.fields)


def _message_section(
    raw: bytes, bounds: tuple[int, int, int], text: str, names: tuple[str, ...]
) -> bytes | None:
    """HEADER, TEXT or HEADER.FIELDS[.NOT] of the message at ``bounds``
    (header start, body start, body end)."""
    header_start, body_start, body_end = bounds
    if text == "HEADER":
        return raw[header_start:body_start]
    if text == "TEXT":
        return raw[body_start:body_end]
    if text in ("HEADER.FIELDS", "HEADER.FIELDS.NOT"):
        return select_fields(raw, header_start, body_start, _names(names), text == "HEADER.FIELDS")
    return None


@functools.lru_cache(maxsize=256)
def _names(names: tuple[str, ...]) -> frozenset[bytes]:
    """Field names as the scanner gives them (lower-case bytes); a client asks
    for the same few lists again and again."""
    return frozenset(n.lower().encode("utf-8", "surrogateescape") for n in names)


def binary_bytes(raw: bytes, root: Part, part: tuple[int, ...]) -> bytes | None:
    """Decoded content of one part (RFC 3516); the whole message for ``()``.

    Raises ``UnknownEncoding`` when the part's transfer encoding is not one we know.
    """
    if not part:
        return raw
    found = find_part(root, part)
    if found is None:
        return None
    return decode_transfer(raw[found.body_start : found.body_end], found.encoding)
