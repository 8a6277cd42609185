"""COMPRESS=DEFLATE (RFC 4978): the command, and the stream wrappers it installs.

The driver runs COMPRESS itself (it changes the transport), in the
authenticated and selected states (``command-auth`` in RFC 4978 section 5):

- ``COMPRESS DEFLATE`` -> the tagged OK goes out uncompressed, then every byte
  in both directions is raw DEFLATE (``roost.protocol.compress``) until the
  connection ends. Compression sits above TLS (implicit or STARTTLS): the
  wrappers wrap whatever streams the driver holds. STARTTLS cannot follow,
  since it is valid only before login.
- A second COMPRESS, or TLS-level compression on the connection, is
  ``NO [COMPRESSIONACTIVE]``; a mechanism other than DEFLATE is BAD ("invalid
  argument", RFC 4978 section 3).
- The client must wait for the response before it sends compressed data. If
  the framer already holds bytes after the COMPRESS line, they were sent
  uncompressed too early: BAD, compression stays off and they are read as
  commands. Bytes not yet read from the socket belong to the compressed
  stream, whenever they arrived.

``DeflateWriter`` is a ``StreamWriter`` whose ``write`` / ``writelines``
collect a batch and whose ``drain`` compresses it with one sync flush (the
driver always drains after writing, and ``close`` flushes what is left).
Batches of ``OFFLOAD_SIZE`` or more (a FETCH of message bodies) are
compressed in the server's worker pool, so the event loop keeps serving other
connections, in slices that go out as each is ready; a lock keeps batches in
order, and it is released only when a batch's output has been written, even
if the waiting coroutine was cancelled, so the deflate stream never loses or
reorders a block.

``InflatingReader`` has the one read method the driver uses; it hands out at
most ``n`` inflated bytes per call and fetches compressed input only when the
inflater runs dry, so memory stays bounded by one read plus one chunk. A
stream that cannot be inflated (corrupt, or expanding beyond the budget the
framer's limits give, see ``Inflater``) ends the connection with ``* BYE``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Protocol

from roost.protocol.commands import Compress
from roost.protocol.compress import DecompressionError, Deflater, Inflater
from roost.protocol.responses import tagged
from roost.server.exchange import Hangup
from roost.server.logging import log_event

if TYPE_CHECKING:
    from roost.server.driver import Driver

log = logging.getLogger("roost.server")

MECHANISM = "DEFLATE"
# Batches this big are compressed off the event loop (about a millisecond of
# zlib work at level 6; below it the thread hop costs more than it saves).
OFFLOAD_SIZE = 64 * 1024
# Output of an offloaded batch goes out in slices this big (each with its own
# sync flush), so the client receives the start while the rest is compressed.
SLICE_SIZE = 256 * 1024
# Compressed bytes fetched from the socket at a time.
SOURCE_READ = 64 * 1024


class ByteSource(Protocol):
    """What the driver reads from: a ``StreamReader``, or an ``InflatingReader`` on one."""

    async def read(self, n: int = -1) -> bytes: ...


# ---------------------------------------------------------------- the command


async def start(driver: Driver, command: Compress) -> None:
    """Run COMPRESS (its state was checked by the driver)."""
    tag = command.tag
    if command.mechanism != MECHANISM:
        await driver.write(tagged(tag, "BAD", "Unsupported compression mechanism"))
        return
    if compression_active(driver.writer):
        text = "Compression is already active"
        await driver.write(tagged(tag, "NO", text, "COMPRESSIONACTIVE"))
        return
    if driver.connection.buffered:
        text = "Wait for the COMPRESS response before sending more"
        await driver.write(tagged(tag, "BAD", text))
        return
    await driver.write(tagged(tag, "OK", "DEFLATE active"))
    limits = driver.connection.limits
    # The largest command the framer accepts may compress as well as it likes.
    burst = limits.max_line_length + limits.command_size
    writer = DeflateWriter(driver.writer, Deflater(), driver.shared.executor)
    driver.reader = InflatingReader(driver.reader, Inflater(burst), driver.bye)
    driver.writer = writer
    log_event(log, "compress", peer=driver.peer, mechanism=MECHANISM)


def compression_active(writer: asyncio.StreamWriter) -> bool:
    """COMPRESS already ran, or TLS compresses below us (RFC 4978 section 3)."""
    if isinstance(writer, DeflateWriter):
        return True
    ssl_object = writer.get_extra_info("ssl_object")
    return ssl_object is not None and ssl_object.compression() is not None


# ---------------------------------------------------------------- output


class DeflateWriter(asyncio.StreamWriter):
    """A ``StreamWriter`` on the same transport that compresses (module docstring)."""

    def __init__(
        self, plain: asyncio.StreamWriter, deflater: Deflater, executor: Executor | None
    ) -> None:
        transport = plain.transport
        super().__init__(transport, transport.get_protocol(), None, asyncio.get_running_loop())
        # Kept alive on purpose: a collected StreamWriter closes its transport.
        self._plain = plain
        self.deflater = deflater
        self._executor = executor  # None: always compress on the loop
        self._pending: list[bytes] = []
        self._lock = asyncio.Lock()  # held from taking a batch until its output is written
        self._closing = False

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self._pending.append(data)

    def writelines(self, data: Iterable[bytes]) -> None:  # type: ignore[override]
        self._pending.extend(data)

    def can_write_eof(self) -> bool:
        return False  # a half-close would cut the deflate stream

    def write_eof(self) -> None:
        raise RuntimeError("write_eof() is not possible on a compressed stream")

    async def drain(self) -> None:
        if self._pending:
            await self._flush()
        await super().drain()

    async def _flush(self) -> None:
        await self._lock.acquire()
        batch, self._pending = self._pending, []
        if self._executor is None or sum(map(len, batch)) < OFFLOAD_SIZE:
            try:
                if batch:
                    self._emit(self.deflater.compress(batch))
            finally:
                self._lock.release()
            return
        try:
            loop = asyncio.get_running_loop()
            job = loop.run_in_executor(self._executor, self._compress_in_slices, batch, loop)
        except BaseException:  # the pool is shut down: nothing was compressed
            self._lock.release()
            raise
        job.add_done_callback(self._landed)  # unlocks even if we are cancelled meanwhile
        await asyncio.shield(job)

    def _compress_in_slices(self, batch: list[bytes], loop: asyncio.AbstractEventLoop) -> None:
        """In a worker: compress slice by slice, each handed to the loop as soon as it is ready.

        The loop runs the ``_emit`` calls in order, and before the job's own
        completion (also queued with ``call_soon_threadsafe``, after them).
        """
        for piece in _slices(batch, SLICE_SIZE):
            loop.call_soon_threadsafe(self._emit, self.deflater.compress(piece))

    def _landed(self, job: asyncio.Future[None]) -> None:
        try:
            if job.cancelled() or job.exception() is not None:
                self.transport.abort()  # the deflate stream lost a block: it cannot go on
        finally:
            self._lock.release()
            if self._closing:
                self._close_now()

    def _emit(self, data: bytes) -> None:
        if data and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        """Flush what was written (after any batch still being compressed), then close."""
        self._closing = True
        if not self._lock.locked():
            self._close_now()

    def _close_now(self) -> None:
        batch, self._pending = self._pending, []
        if batch:
            self._emit(self.deflater.compress(batch))
        d = self.deflater
        log_event(log, "compress-out", logging.DEBUG, raw=d.raw_bytes, wire=d.wire_bytes)
        super().close()


def _slices(chunks: list[bytes], size: int) -> Iterator[list[bytes | memoryview]]:
    """``chunks`` regrouped into lists of about ``size`` bytes (long chunks are cut)."""
    group: list[bytes | memoryview] = []
    filled = 0
    for chunk in chunks:
        view = memoryview(chunk)
        while len(view):
            take = view[: size - filled]
            group.append(take)
            filled += len(take)
            view = view[len(take) :]
            if filled >= size:
                yield group
                group, filled = [], 0
    if group:
        yield group


# ---------------------------------------------------------------- input


class InflatingReader:
    """``read(n)`` of inflated bytes from a compressed ``source`` (module docstring)."""

    def __init__(
        self,
        source: ByteSource,
        inflater: Inflater,
        bye: Callable[[str, str | None], Awaitable[None]],
    ) -> None:
        self._source = source
        self.inflater = inflater
        self._bye = bye

    async def read(self, n: int = -1) -> bytes:
        """At most ``n`` inflated bytes (one chunk if ``n`` < 1); ``b""`` at end of stream."""
        size = n if n > 0 else SOURCE_READ
        if self.inflater.pending:
            # Output capped by ``size`` left input behind: a command with a big
            # literal, or a bomb. Let other connections run between chunks.
            await asyncio.sleep(0)
        while True:
            try:
                data = self.inflater.read(size)
            except DecompressionError as error:
                await self._bye(error.text, error.code)
                raise Hangup(f"compression: {error.text}") from None
            if data:
                return data
            chunk = await self._source.read(SOURCE_READ)
            if not chunk:
                return b""
            self.inflater.feed(chunk)


__all__ = [
    "MECHANISM",
    "OFFLOAD_SIZE",
    "ByteSource",
    "DeflateWriter",
    "InflatingReader",
    "compression_active",
    "start",
]
