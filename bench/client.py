"""A small asyncio IMAP client for load generation (raw sockets, no parsing library).

``ImapClient`` sends tagged commands and matches tagged completions; several
commands may be in flight at once (pipelining: ``send`` several, then
``wait`` for each). Every completed command's latency (from the moment its
bytes were written to the moment its tagged response arrived) is recorded in
``Recorder`` under a label the caller chooses.

Rules:
- Responses are read line by line; a line ending in a literal ``{n}`` is
  followed by exactly n octets and the rest of the line, joined into one
  response, so literals in FETCH data never confuse the framing.
- Untagged responses go to the oldest command in flight (kept only when it
  asked with ``keep=True``; otherwise just counted) and to ``on_untagged``
  (IDLE listeners use it).
- Literals are sent as non-synchronizing ``{n+}`` (LITERAL+, RFC 7888, which
  both servers under test announce), so an APPEND needs no round trip.
- ``compress()`` turns on COMPRESS=DEFLATE (RFC 4978, ``bench.deflate``):
  the reader is swapped for an inflating one while handling the tagged OK,
  before another octet is read; ``wire_in`` counts octets on the socket.
- Every wait has a timeout; a dead connection fails every command in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import struct
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.deflate import DeflateWriter, Inflater

READ_LIMIT = 64 * 1024 * 1024  # one response line (a SEARCH result) may be long
_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")


class ImapError(Exception):
    """The connection failed or a command ended in NO/BAD when OK was required."""


@dataclass
class Response:
    tag: str
    status: str  # OK, NO, BAD
    text: bytes
    untagged: list[bytes]
    count: int  # untagged responses received while this command was the oldest
    elapsed: float

    def ok(self) -> Response:
        if self.status != "OK":
            raise ImapError(f"{self.tag} {self.status} {self.text[:200]!r}")
        return self


@dataclass
class Recorder:
    """Latencies (seconds) per label, plus error counts."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)  # the first few failures, verbatim

    def add(self, label: str, seconds: float) -> None:
        self.latencies[label].append(seconds)

    def error(self, label: str, detail: str = "") -> None:
        self.errors[label] += 1
        if detail and len(self.samples) < 5:
            self.samples.append(detail)

    def merge(self, other: Recorder) -> None:
        for label, values in other.latencies.items():
            self.latencies[label].extend(values)
        for label, count in other.errors.items():
            self.errors[label] += count
        self.samples += other.samples[: max(0, 5 - len(self.samples))]

    def plain(self) -> tuple[dict[str, list[float]], dict[str, int], list[str]]:
        """Picklable form, for sending back from worker processes."""
        return dict(self.latencies), dict(self.errors), list(self.samples)

    @classmethod
    def from_plain(
        cls, plain: tuple[dict[str, list[float]], dict[str, int], list[str]]
    ) -> Recorder:
        rec = cls()
        for label, values in plain[0].items():
            rec.latencies[label].extend(values)
        for label, count in plain[1].items():
            rec.errors[label] += count
        rec.samples = list(plain[2])
        return rec


@dataclass
class _InFlight:
    label: str
    keep: bool
    started: float
    future: asyncio.Future[Response]
    command: bytes
    untagged: list[bytes] = field(default_factory=list)
    count: int = 0


class ImapClient:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        recorder: Recorder | None = None,
        prefix: str = "a",
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.recorder = recorder
        self.greeting = b""
        self.on_untagged: Callable[[bytes], None] | None = None
        self._prefix = prefix
        self._next = 0
        self._inflight: dict[str, _InFlight] = {}
        self._order: list[str] = []
        self._continuation: asyncio.Future[bytes] | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        self.bytes_in = 0  # response octets (after inflating, when compressed)
        self.inflater: Inflater | None = None
        self._compress_tag: str | None = None
        self._plain_in = 0

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        recorder: Recorder | None = None,
        timeout: float = 60.0,
    ) -> ImapClient:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, limit=READ_LIMIT), timeout
        )
        client = cls(reader, writer, recorder)
        try:
            client.greeting = await asyncio.wait_for(reader.readuntil(b"\r\n"), timeout)
        except (asyncio.IncompleteReadError, TimeoutError, OSError) as exc:
            writer.close()
            raise ImapError(f"no greeting: {exc!r}") from exc
        if not client.greeting.startswith(b"* OK"):
            writer.close()
            raise ImapError(f"bad greeting {client.greeting!r}")
        client._reader_task = asyncio.get_running_loop().create_task(client._read_loop())
        return client

    # ------------------------------------------------------------ sending

    def send(
        self,
        command: str | bytes,
        literal: bytes | None = None,
        label: str = "",
        keep: bool = False,
    ) -> str:
        """Write one command (with an optional trailing LITERAL+ literal); returns its tag."""
        if self.closed.is_set():
            raise ImapError("connection closed")
        self._next += 1
        tag = f"{self._prefix}{self._next}"
        raw = command.encode() if isinstance(command, str) else command
        parts = [tag.encode(), b" ", raw]
        if literal is not None:
            parts += [b" {%d+}\r\n" % len(literal), literal]
        parts.append(b"\r\n")
        future = asyncio.get_running_loop().create_future()
        name = label or raw.split(b" ", 1)[0].decode().upper()
        self._inflight[tag] = _InFlight(name, keep, time.perf_counter(), future, raw[:120])
        self._order.append(tag)
        self.writer.write(b"".join(parts))
        return tag

    async def wait(self, tag: str, timeout: float = 120.0) -> Response:
        entry = self._inflight.get(tag)
        if entry is None:
            raise ImapError(f"unknown tag {tag}")
        try:
            return await asyncio.wait_for(asyncio.shield(entry.future), timeout)
        except TimeoutError as exc:
            raise ImapError(f"{entry.label} timed out after {timeout}s") from exc

    async def command(
        self,
        command: str | bytes,
        literal: bytes | None = None,
        label: str = "",
        keep: bool = False,
        timeout: float = 120.0,
    ) -> Response:
        tag = self.send(command, literal, label, keep)
        await self.writer.drain()
        return await self.wait(tag, timeout)

    async def idle(self, timeout: float = 60.0) -> str:
        """Send IDLE and wait for the continuation; returns the tag (finish with ``done``)."""
        self._continuation = asyncio.get_running_loop().create_future()
        tag = self.send("IDLE")
        await self.writer.drain()
        try:
            await asyncio.wait_for(self._continuation, timeout)
        except TimeoutError as exc:
            raise ImapError("no continuation for IDLE") from exc
        return tag

    async def done(self, tag: str, timeout: float = 60.0) -> Response:
        self.writer.write(b"DONE\r\n")
        await self.writer.drain()
        return await self.wait(tag, timeout)

    async def compress(self, timeout: float = 60.0) -> None:
        """COMPRESS DEFLATE (RFC 4978); both directions are deflated after the OK."""
        tag = self.send("COMPRESS DEFLATE")
        self._compress_tag = tag  # the reader switches right after this tag's OK
        await self.writer.drain()
        (await self.wait(tag, timeout)).ok()
        self.writer = DeflateWriter(self.writer)  # type: ignore[assignment]

    @property
    def wire_in(self) -> int:
        """Octets received on the socket so far (compressed ones, once compressed)."""
        return self.inflater.wire_in + self._plain_in if self.inflater else self.bytes_in

    async def logout(self, timeout: float = 30.0) -> None:
        with contextlib.suppress(ImapError, OSError):
            await self.command("LOGOUT", timeout=timeout)
        await self.close()

    async def close(self, reset: bool = False) -> None:
        """Close the socket; ``reset`` sends RST (no TIME_WAIT left on this side)."""
        if reset:
            sock = self.writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(self.writer.wait_closed(), 10)
        if self._reader_task is not None:
            self._reader_task.cancel()
        if self.inflater is not None:
            self.inflater.task.cancel()

    # ------------------------------------------------------------ reading

    async def _read_response(self) -> bytes:
        line = await self.reader.readuntil(b"\r\n")
        match = _LITERAL.search(line)
        if match is None:
            return line
        chunks = [line]
        while match is not None:
            chunks.append(await self.reader.readexactly(int(match.group(1))))
            line = await self.reader.readuntil(b"\r\n")
            chunks.append(line)
            match = _LITERAL.search(line)
        return b"".join(chunks)

    async def _read_loop(self) -> None:
        error: BaseException | None = None
        try:
            while True:
                response = await self._read_response()
                self.bytes_in += len(response)
                self._dispatch(response)
        except (asyncio.IncompleteReadError, OSError, asyncio.LimitOverrunError) as exc:
            error = exc
        except asyncio.CancelledError:
            error = ImapError("closed")
        finally:
            self.closed.set()
            for entry in self._inflight.values():
                if not entry.future.done():
                    entry.future.set_exception(ImapError(f"connection lost: {error!r}"))
            if self._continuation is not None and not self._continuation.done():
                self._continuation.set_exception(ImapError("connection lost"))

    def _dispatch(self, response: bytes) -> None:
        if response.startswith(b"* "):
            if self._order:
                entry = self._inflight[self._order[0]]
                entry.count += 1
                if entry.keep:
                    entry.untagged.append(response)
            if self.on_untagged is not None:
                self.on_untagged(response)
            return
        if response.startswith(b"+"):
            if self._continuation is not None and not self._continuation.done():
                self._continuation.set_result(response)
            return
        tag, _, rest = response.partition(b" ")
        entry = self._inflight.pop(tag.decode(errors="replace"), None)
        if entry is None:
            return
        self._order.remove(tag.decode())
        status, _, text = rest.partition(b" ")
        elapsed = time.perf_counter() - entry.started
        if tag.decode() == self._compress_tag and status == b"OK":
            # the next octet from the server is deflated: swap before the loop reads on
            self._plain_in = self.bytes_in
            self.inflater = Inflater(self.reader, READ_LIMIT)
            self.reader = self.inflater.reader
        if self.recorder is not None:
            if status == b"OK":
                self.recorder.add(entry.label, elapsed)
            else:
                detail = entry.command + b" -> " + response[:300]
                self.recorder.error(entry.label, detail.decode(errors="replace").strip())
        entry.future.set_result(
            Response(
                tag.decode(), status.decode(), text.rstrip(), entry.untagged, entry.count, elapsed
            )
        )


# ------------------------------------------------------------ response helpers

_NUMBER = re.compile(rb"^\* (\d+) (EXISTS|RECENT|EXPUNGE)")
_UID = re.compile(rb"UID (\d+)")
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")


def search_uids(response: Response) -> list[int]:
    """The numbers of ``* SEARCH`` (or ``* ESEARCH ... ALL``) responses."""
    out: list[int] = []
    for line in response.untagged:
        if line.startswith(b"* SEARCH"):
            out += [int(x) for x in line[8:].split()]
    return out


def exists_count(response: Response) -> int | None:
    for line in response.untagged:
        match = _NUMBER.match(line)
        if match and match.group(2) == b"EXISTS":
            return int(match.group(1))
    return None


def fetch_uids(response: Response) -> list[int]:
    return [int(m.group(1)) for line in response.untagged if (m := _UID.search(line))]


def append_uid(response: Response) -> int | None:
    match = _APPENDUID.search(response.text)
    return int(match.group(2)) if match else None


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
