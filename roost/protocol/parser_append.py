"""Parser for APPEND (RFC 9051 6.3.12) with MULTIAPPEND, BINARY and UTF8 forms.

Grammar accepted (RFC 3502, RFC 3516, RFC 4466, RFC 6855)::

    append          = "APPEND" SP mailbox 1*append-message
    append-message  = [SP flag-list] [SP date-time] SP append-data
    append-data     = literal / literal8 / "UTF8" SP "(" (literal8 / literal) ")"

Several messages in one command are RFC 3502 MULTIAPPEND. RFC 6855 asks for a
literal8 inside UTF8 (...); a plain literal there is accepted as well and is
recorded with ``binary=False``. Other append extensions (CATENATE ...) are a BAD.

Between the messages of a MULTIAPPEND, extra spaces are tolerated: imapclient
4.1 writes two, and nothing can be misread by skipping them.
"""

from __future__ import annotations

from datetime import datetime

from roost.protocol.commands import Append, AppendMessage
from roost.protocol.parser_core import Reader


def parse_append(r: Reader, tag: str) -> Append:
    r.sp()
    mailbox = r.mailbox()
    messages = [_append_message(r)]
    while not r.at_end():
        while r.data.startswith(b"  ", r.pos):  # imapclient's MULTIAPPEND separator
            r.sp()
        messages.append(_append_message(r))
    return Append(tag, mailbox, tuple(messages))


def _append_message(r: Reader) -> AppendMessage:
    r.sp()
    flags: tuple[str, ...] = ()
    internaldate: datetime | None = None
    if r.peek() == b"(":
        flags = tuple(r.flag_list())
        r.sp()
    if r.peek() == b'"':
        internaldate = r.date_time()
        r.sp()
    if r.peek() in (b"{", b"~"):
        data, binary = r.literal(literal8=True)
        return AppendMessage(flags, internaldate, data, binary, False)
    if r.try_keyword("UTF8"):
        r.sp()
        r.expect(b"(", '"("')
        data, binary = r.literal(literal8=True)
        r.expect(b")", '")"')
        return AppendMessage(flags, internaldate, data, binary, True)
    r.fail("expected the message literal")


__all__ = ["parse_append"]
