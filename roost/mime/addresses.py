"""Address lists (RFC 5322 section 3.4, with obsolete forms) for ENVELOPE.

Output per RFC 9051 section 7.5.2: each address is (name, adl, mailbox, host)
as raw bytes; a group is (None, None, group-name, None), its members, then
(None, None, None, None).
Rules:
- Display names keep their bytes: encoded words are not decoded; quoted
  strings are unquoted; words are joined by single spaces where the header had
  whitespace. With no display name, a comment (``a@b (Name)``) is the name.
- Local parts and domains drop whitespace and comments; a missing host is
  the empty string (NIL would mean a group marker).
- Junk is skipped; parsing always advances, so it ends on any input.
"""

from __future__ import annotations

Address = tuple[bytes | None, bytes | None, bytes | None, bytes | None]
# token kinds: "a" atom, "q" quoted string, "d" domain literal, "s" special, "c" comment
Token = tuple[str, bytes, bool]  # kind, text, preceded by whitespace/comment

_SPECIALS = frozenset(b'()<>[]:;@\\,."')
_END = frozenset({b",", b";"})


def tokenize(value: bytes) -> list[Token]:
    out: list[Token] = []
    i, n, space = 0, len(value), False
    while i < n:
        c = value[i]
        if c in b" \t\r\n":
            space, i = True, i + 1
        elif c == 0x28:
            text, i = _comment(value, i)
            out.append(("c", text, space))
            space = True
        elif c == 0x22:
            text, i = _delimited(value, i + 1, 0x22)
            out.append(("q", text, space))
            space = False
        elif c == 0x5B:
            text, i = _delimited(value, i + 1, 0x5D)
            out.append(("d", b"[" + text + b"]", space))
            space = False
        elif c in _SPECIALS:
            out.append(("s", value[i : i + 1], space))
            space, i = False, i + 1
        else:
            j = i
            while j < n and value[j] not in _SPECIALS and value[j] not in b" \t\r\n":
                j += 1
            out.append(("a", value[i:j], space))
            space, i = False, j
    return out


def _comment(value: bytes, i: int) -> tuple[bytes, int]:
    out = bytearray()
    depth, n = 0, len(value)
    while i < n:
        c = value[i]
        if c == 0x5C and i + 1 < n:
            out.append(value[i + 1])
            i += 2
            continue
        if c == 0x28:
            depth += 1
            if depth == 1:
                i += 1
                continue
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out.append(c)
        i += 1
    return bytes(out), n


def _delimited(value: bytes, i: int, close: int) -> tuple[bytes, int]:
    out = bytearray()
    n = len(value)
    while i < n:
        c = value[i]
        if c == 0x5C and i + 1 < n:
            out.append(value[i + 1])
            i += 2
        elif c == close:
            return bytes(out), i + 1
        else:
            out.append(c)
            i += 1
    return bytes(out), n


def parse_address_list(value: bytes) -> list[Address]:
    """Addresses and group markers of an address-list header value."""
    return _Parser(tokenize(value)).address_list()


class _Parser:
    def __init__(self, toks: list[Token]) -> None:
        self.toks = toks
        self.i = 0
        self.comment: bytes | None = None  # last comment seen after the words

    def peek(self) -> Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def is_special(self, text: bytes) -> bool:
        t = self.peek()
        return t is not None and t[0] == "s" and t[1] == text

    def address_list(self) -> list[Address]:
        out: list[Address] = []
        while self.i < len(self.toks):
            start = self.i
            self.address(out, in_group=False)
            if self.i == start:
                self.i += 1  # a stray ";" or ">" or the like
        return out

    def address(self, out: list[Address], in_group: bool) -> None:
        if self.peek() is not None and self.peek()[1] in _END and self.peek()[0] == "s":
            self.i += 1
            return
        self.comment = None
        words, comment = self.phrase()
        if self.is_special(b":") and not in_group:
            self.i += 1
            self.group(out, _join_words(words))
        elif self.is_special(b"<"):
            self.i += 1
            name = _join_words(words) if words else comment
            adl, mailbox, host = self.angle_addr()
            trailing = self.skip_to_end()
            _add(out, (name or trailing, adl, mailbox, host))
        else:
            mailbox = _join_tight(words)
            host = b""
            if self.is_special(b"@"):
                self.i += 1
                host = self.domain({b">", b",", b";"})
            trailing = self.skip_to_end()
            _add(out, (trailing or self.comment or comment, None, mailbox, host))

    def phrase(self) -> tuple[list[Token], bytes | None]:
        """Words (atoms, quoted strings, dots) up to a structural special; last comment."""
        words: list[Token] = []
        comment = None
        while (t := self.peek()) is not None:
            if t[0] == "c":
                comment = t[1]
            elif t[0] in "aqd" or (t[0] == "s" and t[1] == b"."):
                words.append(t)
            else:
                break
            self.i += 1
        return words, comment

    def group(self, out: list[Address], name: bytes) -> None:
        out.append((None, None, name, None))
        while (t := self.peek()) is not None and not (t[0] == "s" and t[1] == b";"):
            start = self.i
            self.address(out, in_group=True)
            if self.i == start:
                self.i += 1
        if self.peek() is not None:
            self.i += 1  # the ";"
        out.append((None, None, None, None))

    def angle_addr(self) -> tuple[bytes | None, bytes, bytes]:
        adl = None
        if self.is_special(b"@"):  # obsolete source route "@a,@b:"
            parts = []
            while (t := self.peek()) is not None and not (t[0] == "s" and t[1] in (b":", b">")):
                parts.append(t[1] if t[0] != "c" else b"")
                self.i += 1
            if self.is_special(b":"):
                self.i += 1
            adl = b"".join(parts)
        words, _ = self.phrase()
        mailbox = _join_tight(words)
        host = b""
        if self.is_special(b"@"):
            self.i += 1
            host = self.domain({b">"})
        if self.is_special(b">"):
            self.i += 1
        return adl, mailbox, host

    def domain(self, stops: set[bytes]) -> bytes:
        """Domain words up to a stop; a comment in between is remembered as ``comment``."""
        parts = []
        while (t := self.peek()) is not None:
            if t[0] == "s" and (t[1] in stops or t[1] in _END or t[1] == b"<"):
                break
            if t[0] == "c":
                self.comment = t[1]
            else:
                parts.append(t[1])
            self.i += 1
        return b"".join(parts)

    def skip_to_end(self) -> bytes | None:
        """Skip to the next "," / ";" (not consumed); a comment on the way is returned."""
        comment = None
        while (t := self.peek()) is not None and not (t[0] == "s" and t[1] in _END):
            if t[0] == "c":
                comment = t[1]
            self.i += 1
        return comment


def _join_words(words: list[Token]) -> bytes:
    """A phrase: words joined by one space where the header had space."""
    out = bytearray()
    for n, (_, text, space) in enumerate(words):
        if n and space:
            out += b" "
        out += text
    return bytes(out)


def _join_tight(words: list[Token]) -> bytes:
    return b"".join(t[1] for t in words)


def _add(out: list[Address], addr: Address) -> None:
    name, adl, mailbox, host = addr
    if name or adl or mailbox or host:
        out.append((name, adl, mailbox or b"", host or b""))
