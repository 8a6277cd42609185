"""Building the part tree with exact byte offsets (RFC 2045, RFC 2046).

Rules:
- The root spans the whole message; its header ends as ``headers.scan_header`` says.
- Multipart bodies are split at delimiter lines ``--boundary`` (optionally
  followed by transport padding); ``--boundary--`` closes. The line break before
  a delimiter belongs to the delimiter (RFC 2046 section 5.1.1), so part bodies
  exclude it. Preamble and epilogue are not parts. A missing close delimiter
  lets the last part run to the end of the multipart's body.
- A multipart without a boundary or without any delimiter gets one header-less
  text/plain child spanning its whole body (IMAP needs at least one body part).
- Inside multipart/digest the default type is message/rfc822, elsewhere text/plain;
  an invalid Content-Type also falls back to the default.
- message/rfc822: the body is analysed as a message, ``children[0]``.
- Nesting deeper than ``MAX_DEPTH`` or more than ``MAX_PARTS`` parts: further
  containers are treated as opaque application/octet-stream leaves.
Never raises on any input; raw bytes are never changed.
"""

from __future__ import annotations

from roost.mime import params as mp
from roost.mime.headers import Field, first_value, scan_header
from roost.mime.part import Part, from_bytes

MAX_DEPTH = 100
MAX_PARTS = 10000


def build(raw: bytes) -> Part:
    """The part tree of a whole message."""
    return build_with_header(raw)[0]


def build_with_header(raw: bytes) -> tuple[Part, list[Field]]:
    """The part tree and the fields of the message's own header (scanned once)."""
    builder = _Builder(raw)
    root = builder.entity(0, len(raw), 0, ("text", "plain"))
    return root, builder.root_fields


def count_lines(raw: bytes, start: int, end: int) -> int:
    """Lines in ``raw[start:end]``; a last line without a line break counts too."""
    if end <= start:
        return 0
    return raw.count(b"\n", start, end) + (0 if raw[end - 1] == 0x0A else 1)


class _Builder:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.count = 0
        self.root_fields: list[Field] = []

    def entity(self, start: int, end: int, depth: int, default: tuple[str, str]) -> Part:
        body_start, fields = scan_header(self.raw, start, end)
        part = Part(start, body_start, end)
        if depth == 0:
            self.root_fields = fields
        apply_headers(part, self.raw, fields, default)
        self.count += 1
        if part.type == "multipart":
            self._multipart(part, depth)
        elif part.type == "message" and part.subtype == "rfc822":
            if depth >= MAX_DEPTH or self.count >= MAX_PARTS:
                _make_opaque(part)
            else:
                inner = self.entity(part.body_start, part.body_end, depth + 1, ("text", "plain"))
                part.children = [inner]
        if part.type == "text" or part.is_message:
            part.lines = count_lines(self.raw, part.body_start, part.body_end)
        return part

    def _multipart(self, part: Part, depth: int) -> None:
        budget = MAX_PARTS - self.count
        if depth >= MAX_DEPTH or budget <= 0:
            _make_opaque(part)
            return
        boundary = part.param("boundary")
        regions: list[tuple[int, int]] = []
        if boundary:
            marker = b"--" + boundary.encode("utf-8", "surrogateescape")
            regions = find_parts(self.raw, part.body_start, part.body_end, marker, budget)
        if not regions:
            part.children = [Part(part.body_start, part.body_start, part.body_end)]
            part.children[0].lines = count_lines(self.raw, part.body_start, part.body_end)
            self.count += 1
            return
        default = ("message", "rfc822") if part.subtype == "digest" else ("text", "plain")
        part.children = [self.entity(s, e, depth + 1, default) for s, e in regions]


def _make_opaque(part: Part) -> None:
    part.type, part.subtype, part.params, part.children = "application", "octet-stream", [], []


def find_parts(
    raw: bytes, start: int, end: int, marker: bytes, limit: int
) -> list[tuple[int, int]]:
    """(start, end) of each body part between delimiter lines ``marker`` in ``raw[start:end]``."""
    regions: list[tuple[int, int]] = []
    open_start: int | None = None
    pos = start
    while len(regions) < limit:
        i = raw.find(marker, pos, end)
        if i < 0:
            break
        pos = i + 1
        if i != start and raw[i - 1] != 0x0A:
            continue  # not at the start of a line
        j = i + len(marker)
        close = raw[j : min(j + 2, end)] == b"--"
        k = j + 2 if close else j
        nl = raw.find(b"\n", k, end)
        line_end = end if nl < 0 else nl + 1
        if raw[k:line_end].strip(b" \t\r\n"):
            continue  # "--boundaryX": a different boundary that shares the prefix
        delim_start = i
        if i > start:  # the line break before the delimiter belongs to it
            delim_start = i - 2 if i - 2 >= start and raw[i - 2] == 0x0D else i - 1
        if open_start is not None:
            regions.append((open_start, max(open_start, delim_start)))
        if close:
            return regions
        open_start = pos = line_end
    if open_start is not None:
        regions.append((open_start, end))
    return regions


def apply_headers(part: Part, raw: bytes, fields: list[Field], default: tuple[str, str]) -> None:
    """Fill a part's MIME fields (RFC 2045, RFC 2183, RFC 3282) from its header."""

    def value(name: bytes) -> bytes | None:
        return first_value(raw, fields, name)

    ctype = value(b"content-type")
    parsed = mp.content_type(ctype) if ctype is not None else None
    if parsed is None:
        part.type, part.subtype, part.params = default[0], default[1], []
    else:
        part.type, part.subtype, part.params = parsed
    part.encoding = mp.transfer_encoding(value(b"content-transfer-encoding"))
    part.id = _text(value(b"content-id"))
    part.description = _text(value(b"content-description"))
    part.md5 = _text(value(b"content-md5"))
    disp = value(b"content-disposition")
    part.disposition = mp.disposition(disp) if disp is not None else None
    part.language = mp.languages(value(b"content-language"))
    part.location = _text(value(b"content-location"))


def _text(data: bytes | None) -> str | None:
    return None if data is None else from_bytes(data)
