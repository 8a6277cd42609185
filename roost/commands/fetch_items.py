"""Rendering of FETCH data items for one message (RFC 9051 sections 6.4.5 and 7.5.2).

Responsibility: turn one message's ``MessageMeta`` (and, only when a body item
asks for it, the raw message) into the payload of ``* n FETCH (...)``. The
handler in ``roost.commands.fetch`` decides which messages, loads metadata in
batches and applies the ``\\Seen`` side effect; nothing here touches storage
except through the ``load_raw`` callable it is given.

Rules:
- ENVELOPE, BODY and BODYSTRUCTURE are the precomputed wire forms (``Raw``).
- Body sections are always literals; ``BINARY`` uses ``~{n}`` only when the
  decoded data holds a NUL (RFC 3516 section 4.3), since only then is literal8 needed.
- A section or part that does not exist is ``NIL``: the grammar gives the
  section data as ``nstring`` (RFC 9051 section 9, ``msg-att-static``), and NIL
  says "no such data" where an empty string would claim an empty part.
- A partial fetch names only its origin (``BODY[]<0>``), and an origin past
  the end gives an empty string (RFC 9051 section 6.4.5).
- ``\\Recent`` appears in FLAGS only for IMAP4rev1 sessions (RFC 9051 removed it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache

from roost.commands.section_cache import SectionCache
from roost.mime import Part, binary_bytes, section_bytes
from roost.mime.sections import message_section
from roost.protocol.commands import FetchAttr, FetchBinarySize, FetchBody, Section
from roost.protocol.values import Literal, Value, encode_astring, encode_value
from roost.session.selected import flag_list
from roost.storage.interface import MessageMeta

_HEADERS = frozenset({"HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT"})

# Header sections already rendered, per process (see ``section_cache``).
HEADER_SECTIONS = SectionCache(max_bytes=16 * 1024 * 1024)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# RFC 9051 6.4.5: RFC822 = BODY[], RFC822.TEXT = BODY[TEXT] (both set \Seen);
# RFC822.HEADER = BODY.PEEK[HEADER].
_RFC822_SECTIONS = {
    "RFC822": Section(),
    "RFC822.HEADER": Section(text="HEADER"),
    "RFC822.TEXT": Section(text="TEXT"),
}


def sets_seen(attr: FetchAttr) -> bool:
    """True for the items that implicitly set ``\\Seen`` (non-PEEK body fetches)."""
    if isinstance(attr, FetchBody):
        return not attr.peek
    return attr in ("RFC822", "RFC822.TEXT")


@lru_cache(maxsize=65536)  # a client fetches the same window again and again
def format_internaldate(when: datetime) -> bytes:
    """``"17-Jul-1996 02:44:25 -0700"`` (date-time, RFC 9051 section 9); month names in English."""
    if when.tzinfo is None:  # storage should keep aware datetimes; treat naive as UTC
        when = when.replace(tzinfo=UTC)
    offset = when.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    text = (
        f"{when.day:02d}-{_MONTHS[when.month - 1]}-{when.year:04d} "
        f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} "
        f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
    )
    return b'"' + text.encode("ascii") + b'"'


@lru_cache(maxsize=1024)  # one per distinct section a client asks for
def section_spec(section: Section) -> bytes:
    """The section text between the brackets, as the client wrote it (names upper case)."""
    spec = ".".join(str(n) for n in section.part)
    if section.text:
        spec = f"{spec}.{section.text}" if spec else section.text
    out = spec.encode("ascii")
    if section.text in ("HEADER.FIELDS", "HEADER.FIELDS.NOT"):
        out += b" (" + b" ".join(encode_astring(name) for name in section.fields) + b")"
    return out


class MessageItems:
    """The data of one message for FETCH: metadata plus lazily loaded bytes and structure."""

    def __init__(
        self,
        meta: MessageMeta,
        load_raw: Callable[[], bytes],
        *,
        recent: bool,
        rev2: bool,
        load_head: Callable[[], bytes] | None = None,
    ) -> None:
        self.meta = meta
        self._load_raw = load_raw
        self._load_head = load_head
        self._raw: bytes | None = None
        self._root: Part | None = None
        self.recent = recent and not rev2

    @property
    def raw(self) -> bytes:
        if self._raw is None:
            self._raw = self._load_raw()
        return self._raw

    def _own_section(self, section: Section) -> bytes | None:
        """A section of the message itself; header sections come from the
        process's cache, else from the message's head alone, so a big
        message's body is not read for them."""
        if section.text not in _HEADERS:
            return message_section(self.raw, section)
        key = (self.meta.blob_id, section)
        data = HEADER_SECTIONS.get(key)
        if data is None:
            if self._raw is None and self._load_head is not None:
                data = message_section(self._load_head(), section)
            else:
                data = message_section(self.raw, section)
            if data is not None:
                HEADER_SECTIONS.put(key, data)
        return data

    @property
    def root(self) -> Part:
        if self._root is None:
            self._root = Part.from_json(self.meta.structure)
        return self._root

    def render(self, attr: FetchAttr) -> bytes:
        """``NAME value`` for one item; may raise ``roost.mime.UnknownEncoding`` (BINARY)."""
        if isinstance(attr, FetchBody):
            return self._render_body(attr)
        if isinstance(attr, FetchBinarySize):
            data = binary_bytes(self.raw, self.root, attr.part)
            size = 0 if data is None else len(data)
            return b"BINARY.SIZE[%s] %d" % (_part_spec(attr.part), size)
        return self._render_simple(attr)

    def _render_simple(self, attr: str) -> bytes:
        meta = self.meta
        if attr == "FLAGS":
            return b"FLAGS " + _flag_text(meta.flags, self.recent)
        if attr == "UID":
            return b"UID %d" % meta.uid
        if attr == "INTERNALDATE":
            return b"INTERNALDATE " + format_internaldate(meta.internaldate)
        if attr == "RFC822.SIZE":
            return b"RFC822.SIZE %d" % meta.size
        if attr == "MODSEQ":
            return b"MODSEQ (%d)" % meta.modseq
        if attr == "ENVELOPE":
            return b"ENVELOPE " + meta.envelope
        if attr == "BODY":
            return b"BODY " + meta.body
        if attr == "BODYSTRUCTURE":
            return b"BODYSTRUCTURE " + meta.bodystructure
        if attr in _RFC822_SECTIONS:
            data = self._own_section(_RFC822_SECTIONS[attr])
            return attr.encode("ascii") + b" " + _nliteral(data)
        raise ValueError(f"unknown fetch attribute {attr!r}")

    def _render_body(self, attr: FetchBody) -> bytes:
        part = attr.section.part
        if attr.binary:
            data = binary_bytes(self.raw, self.root, part) if part else self.raw
            name = b"BINARY[" + _part_spec(part) + b"]"
        else:
            section = attr.section  # the message's own sections need no part tree
            data = (
                section_bytes(self.raw, self.root, section) if part else self._own_section(section)
            )
            name = b"BODY[" + section_spec(section) + b"]"
        if attr.partial is not None:
            origin, length = attr.partial
            name += b"<%d>" % origin
            if data is not None:
                data = data[origin : origin + length]
        if data is None:
            return name + b" NIL"
        value: Value = Literal(data, binary=attr.binary and b"\x00" in data)
        return name + b" " + encode_value(value)


@lru_cache(maxsize=256)
def _flag_text(flags: frozenset[str], recent: bool) -> bytes:
    """``flag_list`` of a flag set; messages share a handful of distinct sets."""
    return flag_list(flags, recent)


def _part_spec(part: tuple[int, ...]) -> bytes:
    return ".".join(str(n) for n in part).encode("ascii")


def _nliteral(data: bytes | None) -> bytes:
    return b"NIL" if data is None else encode_value(Literal(data))
