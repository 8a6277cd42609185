"""A tiny raw IMAP client and response parser for end-to-end tests.

Independent of roost's own code (it is the oracle): the client writes exactly the
bytes a test gives it, waits for "+" before each synchronizing literal, and reads
responses whole (lines plus literals). The parser turns a response into Python
values: atoms are ``Atom`` (a ``str``), quoted strings and literals are ``bytes``,
NIL is ``None`` and parenthesized lists are ``list``. An atom may contain a
bracketed section with spaces (``BODY[HEADER.FIELDS (FROM)]<0>``).
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
from dataclasses import dataclass, field

CRLF = b"\r\n"
_LITERAL_AT_END = re.compile(rb"~?\{(\d+)\+?\}\r\n$")
_STATUS = re.compile(rb"^(\S+) (OK|NO|BAD|BYE|PREAUTH)(?: \[([^\]]*)\])?(?: ?(.*))?$", re.S)


class Atom(str):
    """An IMAP atom (distinguishes ``NIL``-like atoms from strings)."""

    def __repr__(self) -> str:
        return f"Atom({str(self)!r})"


@dataclass(frozen=True)
class Lit:
    """A literal argument: ``{n}`` (sync), ``{n+}`` (non-sync) or ``~{n}`` (literal8)."""

    data: bytes
    binary: bool = False
    nonsync: bool = False

    def announce(self) -> bytes:
        plus = b"+" if self.nonsync else b""
        return (b"~" if self.binary else b"") + b"{%d%s}" % (len(self.data), plus) + CRLF


@dataclass
class Result:
    """Everything the server sent for one command."""

    tag: str
    status: str
    code: str | None
    text: str
    untagged: list[bytes] = field(default_factory=list)  # each without "* " and CRLF
    continuations: list[bytes] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "OK"

    def named(self, name: str) -> list[list]:
        """Parsed untagged responses whose first word is ``name`` (LIST, STATUS ...)."""
        out = []
        for line in self.untagged:
            values = parse_values(line)
            if values and isinstance(values[0], str) and values[0].upper() == name.upper():
                out.append(values[1:])
        return out

    def numbered(self, name: str) -> list[tuple[int, list]]:
        """Untagged ``n NAME ...`` responses (EXISTS, EXPUNGE, FETCH) in order."""
        out = []
        for line in self.untagged:
            values = parse_values(line)
            if len(values) >= 2 and str(values[0]).isdigit() and str(values[1]).upper() == name:
                out.append((int(values[0]), values[2:]))
        return out

    def status_lines(self, status: str = "OK") -> list[tuple[str | None, str]]:
        """Untagged ``* OK [CODE] text`` responses as (code, text)."""
        out = []
        for line in self.untagged:
            m = _STATUS.match(b"* " + line)
            if m and m.group(2).decode() == status:
                code = m.group(3).decode("utf-8", "replace") if m.group(3) is not None else None
                out.append((code, (m.group(4) or b"").decode("utf-8", "replace")))
        return out

    def codes(self) -> list[str]:
        """Every response code, untagged OK/NO/BAD ones first, then the tagged one."""
        found = [c for s in ("OK", "NO", "BAD") for c, _ in self.status_lines(s) if c]
        return found + ([self.code] if self.code else [])

    def fetches(self) -> dict[int, dict[str, object]]:
        """FETCH responses merged per sequence number: {seq: {ITEM: value}}."""
        out: dict[int, dict[str, object]] = {}
        for seq, rest in self.numbered("FETCH"):
            items = rest[0]
            entry = out.setdefault(seq, {})
            for i in range(0, len(items) - 1, 2):
                entry[str(items[i]).upper()] = items[i + 1]
        return out


class RawClient:
    """One connection; ``command`` sends a tagged command and reads to its completion."""

    def __init__(self, host: str, port: int, context: ssl.SSLContext | None = None) -> None:
        sock = socket.create_connection((host, port), timeout=5)
        self.sock = context.wrap_socket(sock, server_hostname=host) if context else sock
        self.buffer = b""
        self.counter = 0
        self.greeting = self.read_response()

    # -- low level
    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def read_line(self) -> bytes:
        """One CRLF-terminated line (with CRLF); raises EOFError when the peer closed."""
        while CRLF not in self.buffer:
            if not self._fill():
                raise EOFError(f"connection closed (pending {self.buffer[:200]!r})")
        line, _, self.buffer = self.buffer.partition(CRLF)
        return line + CRLF

    def read_exact(self, n: int) -> bytes:
        while len(self.buffer) < n:
            if not self._fill():
                raise EOFError("connection closed inside a literal")
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_response(self) -> bytes:
        """One whole response: its lines and literals, without the final CRLF."""
        out = b""
        while True:
            line = self.read_line()
            out += line
            m = _LITERAL_AT_END.search(line)
            if not m:
                return out[:-2]
            out += self.read_exact(int(m.group(1)))

    def closed_by_peer(self, timeout: float = 5.0) -> bool:
        """True when the server closes the connection (after anything it still sends)."""
        self.sock.settimeout(timeout)
        try:
            while self._fill():
                pass
            return True
        except (TimeoutError, OSError):
            return False
        finally:
            self.sock.settimeout(5)

    def next_tag(self) -> str:
        self.counter += 1
        return f"t{self.counter}"

    # -- commands
    def command(self, *parts: bytes | str | Lit, tag: str | None = None) -> Result:
        """Send ``tag parts...`` (joined without separators) and read until the tagged reply."""
        tag = tag or self.next_tag()
        result = Result(tag, "", None, "")
        pending = tag.encode() + b" "
        for part in parts:
            if isinstance(part, Lit):
                self.send(pending + part.announce())
                pending = b""
                if not part.nonsync and not self._wait_continuation(result):
                    return result
                pending = part.data
            else:
                pending += part.encode() if isinstance(part, str) else part
        self.send(pending + CRLF)
        self.read_until_tagged(result)
        return result

    def _wait_continuation(self, result: Result) -> bool:
        """Read until "+" (True) or the tagged reply that refuses the literal (False)."""
        while True:
            response = self.read_response()
            if response.startswith(b"+"):
                result.continuations.append(response)
                return True
            if self._record(result, response):
                return False

    def read_until_tagged(self, result: Result) -> Result:
        while True:
            if self._record(result, self.read_response()):
                return result

    def _record(self, result: Result, response: bytes) -> bool:
        """Store one response; True when it is the tagged completion of ``result``."""
        if response.startswith(b"* "):
            result.untagged.append(response[2:])
            return False
        if response.startswith(b"+"):
            result.continuations.append(response)
            return False
        m = _STATUS.match(response)
        if m and m.group(1).decode() == result.tag:
            result.status = m.group(2).decode()
            result.code = m.group(3).decode("utf-8", "replace") if m.group(3) is not None else None
            result.text = (m.group(4) or b"").decode("utf-8", "replace")
            return True
        raise AssertionError(f"unexpected response {response[:300]!r} for tag {result.tag}")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


# ---------------------------------------------------------------- response parsing


def parse_values(data: bytes) -> list:
    """Parse a response (without "* ") into values; resp-text after OK/NO/... is skipped."""
    values, pos = _parse_seq(data, 0, None)
    return values


_ATOM_END = b" ()\r\n"


def _parse_seq(data: bytes, pos: int, close: bytes | None) -> tuple[list, int]:
    out: list = []
    while pos < len(data):
        ch = data[pos : pos + 1]
        if ch == b" ":
            pos += 1
        elif ch == b")" and close == b")":
            return out, pos + 1
        elif ch == b"(":
            inner, pos = _parse_seq(data, pos + 1, b")")
            out.append(inner)
        elif ch == b'"':
            value, pos = _parse_quoted(data, pos + 1)
            out.append(value)
        elif ch in (b"{", b"~") and re.match(rb"~?\{\d+\+?\}\r\n", data[pos:]):
            m = re.match(rb"~?\{(\d+)\+?\}\r\n", data[pos:])
            start = pos + m.end()
            out.append(data[start : start + int(m.group(1))])
            pos = start + int(m.group(1))
        else:
            atom, pos = _parse_atom(data, pos)
            out.append(None if atom.upper() == "NIL" else Atom(atom))
            status = atom.upper() in ("OK", "NO", "BAD", "BYE", "PREAUTH")
            if status and close is None and len(out) == 1:
                return out, len(data)
    if close:
        raise ValueError(f"unbalanced parentheses in {data[:300]!r}")
    return out, pos


def _parse_quoted(data: bytes, pos: int) -> tuple[bytes, int]:
    out = bytearray()
    while True:
        ch = data[pos : pos + 1]
        if not ch:
            raise ValueError("unterminated quoted string")
        if ch == b"\\":
            out += data[pos + 1 : pos + 2]
            pos += 2
        elif ch == b'"':
            return bytes(out), pos + 1
        else:
            out += ch
            pos += 1


def _parse_atom(data: bytes, pos: int) -> tuple[str, int]:
    start = pos
    depth = 0
    while pos < len(data):
        ch = data[pos : pos + 1]
        if ch == b"[":
            depth += 1
        elif ch == b"]":
            depth -= 1
        elif depth == 0 and ch in (b" ", b"(", b")", b"\r", b"\n"):
            break
        pos += 1
    if pos == start:
        raise ValueError(f"empty atom at {pos} in {data[:300]!r}")
    return data[start:pos].decode("utf-8", "replace"), pos


def text(value: object) -> str | None:
    """A string value (atom, quoted or literal) as text; None for NIL."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def seq_set(numbers: list[int]) -> str:
    """Shortest sequence-set for the numbers ("2,10:11")."""
    nums = sorted(set(numbers))
    parts: list[str] = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts.append(str(nums[i]) if i == j else f"{nums[i]}:{nums[j]}")
        i = j + 1
    return ",".join(parts)


def expand_set(value: str) -> list[int]:
    """A sequence set without ``*`` ("2,10:11") as numbers."""
    out: list[int] = []
    for part in value.split(","):
        lo, _, hi = part.partition(":")
        a, b = int(lo), int(hi or lo)
        out.extend(range(min(a, b), max(a, b) + 1))
    return out


def apply_expunges(uids: list[int], seqs: list[int]) -> list[int]:
    """The UIDs left after applying "* n EXPUNGE" responses in order (each renumbers)."""
    left = list(uids)
    for seq in seqs:
        assert 1 <= seq <= len(left), f"EXPUNGE {seq} out of range (exists {len(left)})"
        del left[seq - 1]
    return left
