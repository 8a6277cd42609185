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
from roost.protocol.values import Literal, encode_astring, encode_value
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
        read_message: Callable[[str], bytes],
        *,
        recent: bool,
        rev2: bool,
        read_head: Callable[[str], bytes] | None = None,
    ) -> None:
        """``read_message`` and ``read_head`` (the store's) are given the blob id."""
        self.meta = meta
        self._read_message = read_message
        self._read_head = read_head
        self._raw: bytes | None = None
        self._root: Part | None = None
        self.recent = recent and not rev2

    @property
    def raw(self) -> bytes:
        if self._raw is None:
            self._raw = self._read_message(self.meta.blob_id)
        return self._raw

    @property
    def root(self) -> Part:
        if self._root is None:
            self._root = Part.from_json(self.meta.structure)
        return self._root

    def render(self, attr: FetchAttr) -> bytes:
        """``NAME value`` for one item; may raise ``roost.mime.UnknownEncoding`` (BINARY)."""
        return renderer(attr)(self)

    def header_section(self, section: Section, spec: bytes) -> bytes | None:
        """A header section of the message itself, from the process's cache
        when another session (or this one) sent it before; ``spec`` is
        ``section_spec(section)``, which names the section exactly."""
        key = (self.meta.blob_id, spec)
        data = HEADER_SECTIONS.get(key)
        if data is None:
            if self._raw is None and self._read_head is not None:
                data = message_section(self._read_head(self.meta.blob_id), section)
            else:
                data = message_section(self.raw, section)
            if data is not None:
                HEADER_SECTIONS.put(key, data)
        return data


Renderer = Callable[[MessageItems], bytes]


@lru_cache(maxsize=1024)  # a client asks for the same few items again and again
def renderer(attr: FetchAttr) -> Renderer:
    """The function rendering ``NAME value`` of one item, chosen once per item
    rather than once per message; calling it may raise ``UnknownEncoding`` (BINARY)."""
    if isinstance(attr, FetchBody):
        return _body_renderer(attr)
    if isinstance(attr, FetchBinarySize):
        name = b"BINARY.SIZE[" + _part_spec(attr.part) + b"] "

        def binary_size(items: MessageItems) -> bytes:
            data = binary_bytes(items.raw, items.root, attr.part)
            return name + b"%d" % (0 if data is None else len(data))

        return binary_size
    simple = _SIMPLE.get(attr)
    if simple is not None:
        return simple
    if attr in _RFC822_SECTIONS:
        section = _RFC822_SECTIONS[attr]
        prefix = attr.encode("ascii") + b" "
        if section.text == "HEADER":
            spec = section_spec(section)
            return lambda items: prefix + _nliteral(items.header_section(section, spec))
        return lambda items: prefix + _nliteral(message_section(items.raw, section))
    raise ValueError(f"unknown fetch attribute {attr!r}")


def _body_renderer(attr: FetchBody) -> Renderer:
    section, part, partial = attr.section, attr.section.part, attr.partial
    if attr.binary:
        name = b"BINARY[" + _part_spec(part) + b"]"

        def data_of(items: MessageItems) -> bytes | None:
            return binary_bytes(items.raw, items.root, part) if part else items.raw

    else:
        spec = section_spec(section)
        name = b"BODY[" + spec + b"]"
        if part:

            def data_of(items: MessageItems) -> bytes | None:
                return section_bytes(items.raw, items.root, section)

        elif section.text in _HEADERS:  # the message's own header: no part tree, maybe cached

            def data_of(items: MessageItems) -> bytes | None:
                return items.header_section(section, spec)

        else:

            def data_of(items: MessageItems) -> bytes | None:
                return message_section(items.raw, section)

    if partial is not None:
        name += b"<%d>" % partial[0]
    binary = attr.binary

    def body(items: MessageItems) -> bytes:
        data = data_of(items)
        if partial is not None and data is not None:
            data = data[partial[0] : partial[0] + partial[1]]
        if data is None:
            return name + b" NIL"
        if binary and b"\x00" in data:  # literal8 (RFC 3516 4.3)
            return name + b" ~{%d}\r\n" % len(data) + data
        return name + b" {%d}\r\n" % len(data) + data

    return body


_SIMPLE: dict[str, Renderer] = {
    "FLAGS": lambda items: b"FLAGS " + flag_text(items.meta.flags, items.recent),
    "UID": lambda items: b"UID %d" % items.meta.uid,
    "INTERNALDATE": lambda items: b"INTERNALDATE " + format_internaldate(items.meta.internaldate),
    "RFC822.SIZE": lambda items: b"RFC822.SIZE %d" % items.meta.size,
    "MODSEQ": lambda items: b"MODSEQ (%d)" % items.meta.modseq,
    "ENVELOPE": lambda items: b"ENVELOPE " + items.meta.envelope,
    "BODY": lambda items: b"BODY " + items.meta.body,
    "BODYSTRUCTURE": lambda items: b"BODYSTRUCTURE " + items.meta.bodystructure,
}


@lru_cache(maxsize=256)
def flag_text(flags: frozenset[str], recent: bool) -> bytes:
    """``flag_list`` of a flag set, cached: messages share a handful of distinct sets."""
    return flag_list(flags, recent)


def _part_spec(part: tuple[int, ...]) -> bytes:
    return ".".join(str(n) for n in part).encode("ascii")


def _nliteral(data: bytes | None) -> bytes:
    return b"NIL" if data is None else encode_value(Literal(data))
