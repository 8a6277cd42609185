"""The command tokenizer: IMAP's basic values read from one framed command.

``Reader`` walks the bytes of one complete command (the framer's output: the
command line with its literals inline, ``{n}\\r\\n<n bytes>``, no final CRLF)
and reads the values of RFC 9051 section 9: tag, atom, number, quoted string,
literal (``{n}``, ``{n+}``, and ``~{n}`` literal8 where the grammar allows it),
astring, nstring, mailbox, list-mailbox, flags, sequence sets, dates.

Rules: every failure raises ``ParseError`` carrying the tag (once read); no
other exception escapes. Keywords are matched case-insensitively. Text is
decoded as strict UTF-8 (invalid UTF-8 is a BAD). Numbers are range checked
(number: 32 bits, number64: 63 bits) so nothing downstream sees absurd values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import NoReturn, TypeVar

from roost.protocol.commands import SYSTEM_FLAGS, SeqRange, SequenceSet
from roost.protocol.errors import ParseError

T = TypeVar("T")

MAX_NUMBER = 2**32 - 1  # RFC 9051 number / nz-number: unsigned 32-bit
MAX_NUMBER64 = 2**63 - 1  # RFC 9051 number64 and RFC 7162 mod-sequence-value

# RFC 9051 section 9 character classes. ATOM-CHAR is any CHAR except
# atom-specials: ( ) { SP CTL % * " \ ]   (CHAR is 7-bit, so 8-bit is excluded).
_ATOM = re.compile(rb'[^(){ %*"\\\]\x00-\x1f\x7f-\xff]+')
_ASTRING = re.compile(rb'[^(){ %*"\\\x00-\x1f\x7f-\xff]+')  # ASTRING-CHAR adds "]"
_TAG = re.compile(rb'[^(){ %*"\\+\x00-\x1f\x7f-\xff]+')  # ASTRING-CHAR except "+"
_LIST_CHAR = re.compile(rb'[^(){ "\\\x00-\x1f\x7f-\xff]+')  # adds % * ]
# TEXT-CHAR (no CR, LF, NUL) except quoted-specials, or an escaped quoted-special;
# 8-bit bytes are allowed (RFC 9051 utf8-quoted).
_QUOTED = re.compile(rb'"((?:[^"\\\r\n\x00]|\\["\\])*)"')
_UNESCAPE = re.compile(rb'\\(["\\])')
_LITERAL = re.compile(rb"(~?)\{([0-9]+)(\+?)\}\r\n")
_DIGITS = re.compile(rb"[0-9]+")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DATE = re.compile(rb"([0-9]{1,2})-([A-Za-z]{3})-([0-9]{4})")
_DATE_TIME = re.compile(
    rb'" ?([0-9]{1,2})-([A-Za-z]{3})-([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{2})([0-9]{2})"'
)
_SYSTEM_FLAGS = {f.upper(): f for f in SYSTEM_FLAGS}


def read_tag(data: bytes) -> str | None:
    """The tag at the start of a command line, or None when there is no valid one."""
    m = _TAG.match(data)
    if m is None or (m.end() < len(data) and data[m.end()] != 0x20):
        return None
    return m.group().decode("ascii")


class Reader:
    """A cursor over one framed command."""

    __slots__ = ("data", "pos", "tag")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.tag: str | None = None

    # ------------------------------------------------------------ basics

    def fail(self, text: str, code: str | None = None) -> NoReturn:
        raise ParseError(self.tag, text, code)

    def at_end(self) -> bool:
        return self.pos >= len(self.data)

    def peek(self) -> bytes:
        return self.data[self.pos : self.pos + 1]

    def take(self, token: bytes) -> bool:
        """Consume ``token`` (exact bytes) when it comes next."""
        if self.data.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def expect(self, token: bytes, what: str) -> None:
        if not self.take(token):
            self.fail(f"expected {what}")

    def sp(self) -> None:
        self.expect(b" ", "a space")

    def end(self) -> None:
        if not self.at_end():
            self.fail("unexpected characters after the command")

    def _match(self, regex: re.Pattern[bytes]) -> bytes | None:
        m = regex.match(self.data, self.pos)
        if m is None:
            return None
        self.pos = m.end()
        return m.group()

    def read_tag(self) -> str:
        raw = self._match(_TAG)
        if raw is None:
            self.fail("missing or invalid tag")
        self.tag = raw.decode("ascii")
        return self.tag

    def atom(self, what: str = "an atom") -> str:
        raw = self._match(_ATOM)
        if raw is None:
            self.fail(f"expected {what}")
        return raw.decode("ascii")

    def keyword(self, what: str = "a keyword") -> str:
        return self.atom(what).upper()

    def try_keyword(self, word: str) -> bool:
        """Consume ``word`` (case-insensitive) when it is the whole next atom."""
        m = _ATOM.match(self.data, self.pos)
        if m is not None and m.group().upper() == word.encode("ascii"):
            self.pos = m.end()
            return True
        return False

    # ------------------------------------------------------------ numbers

    def number(self, maximum: int = MAX_NUMBER, what: str = "a number") -> int:
        raw = self._match(_DIGITS)
        if raw is None:
            self.fail(f"expected {what}")
        if len(raw) > 20 or int(raw) > maximum:
            self.fail(f"{what} out of range")
        return int(raw)

    def nz_number(self, maximum: int = MAX_NUMBER, what: str = "a number") -> int:
        value = self.number(maximum, what)
        if value == 0:
            self.fail(f"{what} must not be zero")
        return value

    # ------------------------------------------------------------ strings

    def quoted(self) -> bytes:
        raw = self._match(_QUOTED)
        if raw is None:
            self.fail("invalid quoted string")
        return _UNESCAPE.sub(rb"\1", raw[1:-1])

    def literal(self, *, literal8: bool = False) -> tuple[bytes, bool]:
        """A literal's bytes and whether it was a literal8 (``~{n}``)."""
        m = _LITERAL.match(self.data, self.pos)
        if m is None:
            self.fail("invalid literal")
        binary = bool(m.group(1))
        if binary and not literal8:
            self.fail("literal8 not allowed here")
        size = int(m.group(2)) if len(m.group(2)) <= 20 else MAX_NUMBER64 + 1
        start = m.end()
        if size > len(self.data) - start:
            self.fail("literal shorter than announced")
        data = self.data[start : start + size]
        if not binary and b"\x00" in data:
            # RFC 9051 CHAR8 excludes NUL; binary data must use literal8 (RFC 3516).
            self.fail("NUL in a literal; use literal8")
        self.pos = start + size
        return data, binary

    def string(self) -> bytes:
        if self.peek() == b'"':
            return self.quoted()
        if self.peek() == b"{":
            return self.literal()[0]
        self.fail("expected a string")

    def astring(self, what: str = "a string") -> bytes:
        if self.data.startswith(b"~{", self.pos):
            self.fail("literal8 not allowed here")
        raw = self._match(_ASTRING)
        if raw is not None:
            return raw
        if self.peek() in (b'"', b"{"):
            return self.string()
        self.fail(f"expected {what}")

    def nstring(self) -> bytes | None:
        if self.try_keyword("NIL"):
            return None
        return self.string()

    def text(self, raw: bytes, what: str = "text", codec: str = "utf-8") -> str:
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            self.fail(f"{what} is not valid UTF-8")

    def astring_text(self, what: str = "a string") -> str:
        return self.text(self.astring(what), what)

    def mailbox(self) -> str:
        """A mailbox name exactly as sent (INBOX case folding is the session's job)."""
        return self.astring_text("mailbox name")

    def list_mailbox(self) -> str:
        raw = self._match(_LIST_CHAR)
        if raw is None:
            raw = self.string()
        return self.text(raw, "mailbox pattern")

    # ------------------------------------------------------------ lists

    def paren(self, item: Callable[[], T], *, allow_empty: bool = False) -> list[T]:
        """``"(" item *(SP item) ")"``."""
        self.expect(b"(", '"("')
        items: list[T] = []
        if allow_empty and self.take(b")"):
            return items
        items.append(item())
        while self.take(b" "):
            items.append(item())
        self.expect(b")", '")"')
        return items

    def space_separated(self, item: Callable[[], T]) -> list[T]:
        """``item *(SP item)`` up to the end of the command."""
        items = [item()]
        while self.take(b" "):
            items.append(item())
        return items

    # ------------------------------------------------------------ flags

    def flag(self) -> str:
        """A flag for STORE / APPEND: a system flag (canonical case) or a keyword.

        ``\\Recent`` cannot be set by clients and other backslash names are not
        flags this server knows (flag-extension), so both are a BAD.
        """
        if self.take(b"\\"):
            name = "\\" + self.atom("a flag")
            canonical = _SYSTEM_FLAGS.get(name.upper())
            if canonical is None:
                self.fail("unknown system flag")
            if canonical == "\\Recent":
                self.fail("\\Recent cannot be set")
            return canonical
        return self.atom("a flag")

    def flag_list(self) -> list[str]:
        return self.paren(self.flag, allow_empty=True)

    # ------------------------------------------------------------ sequence sets

    def sequence_set(self) -> SequenceSet:
        if self.take(b"$"):  # RFC 5182 SEARCHRES
            return SequenceSet(saved=True)
        ranges = [self._seq_range()]
        while self.take(b","):
            ranges.append(self._seq_range())
        return SequenceSet(tuple(ranges))

    def _seq_number(self) -> int | None:
        if self.take(b"*"):
            return None
        return self.nz_number(MAX_NUMBER, "a sequence number")

    def _seq_range(self) -> SeqRange:
        start = self._seq_number()
        end = self._seq_number() if self.take(b":") else start
        return SeqRange(start, end)

    # ------------------------------------------------------------ dates

    def date(self) -> date:
        """``date-text`` or the same in double quotes (1 or 2 digit day)."""
        quoted = self.take(b'"')
        m = _DATE.match(self.data, self.pos)
        if m is None:
            self.fail("invalid date")
        self.pos = m.end()
        if quoted:
            self.expect(b'"', "a closing quote")
        day, month, year = m.groups()
        try:
            return date(int(year), _month(month), int(day))
        except ValueError:
            self.fail("invalid date")

    def date_time(self) -> datetime:
        """``"dd-Mon-yyyy hh:mm:ss +zzzz"`` as an aware datetime."""
        m = _DATE_TIME.match(self.data, self.pos)
        if m is None:
            self.fail("invalid date-time")
        self.pos = m.end()
        day, month, year, hh, mm, ss, sign, zh, zm = m.groups()
        if int(zh) > 23 or int(zm) > 59:
            self.fail("invalid time zone")
        offset = timedelta(hours=int(zh), minutes=int(zm))
        tz = timezone(-offset if sign == b"-" else offset)
        try:
            return datetime(
                int(year), _month(month), int(day), int(hh), int(mm), int(ss), tzinfo=tz
            )
        except ValueError:
            self.fail("invalid date-time")


def _month(name: bytes) -> int:
    try:
        return _MONTHS.index(name.decode("ascii").upper()) + 1
    except ValueError:
        return 0  # datetime() then rejects it


__all__ = ["MAX_NUMBER", "MAX_NUMBER64", "Reader", "read_tag"]
