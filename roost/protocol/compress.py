"""Raw DEFLATE for COMPRESS=DEFLATE (RFC 4978), sans-IO.

RFC 4978 section 3: the stream is DEFLATE (RFC 1951) with no zlib or gzip
framing (zlib ``wbits=-15``), one stream per direction for the rest of the
connection. The driver's stream wrappers (``roost.server.compress``) do the I/O.

Rules:
- ``Deflater.compress`` ends every batch with a sync flush (``Z_SYNC_FLUSH``,
  RFC 4978 section 4): the client can inflate and act on every response the
  moment it arrives, never waiting for more data. The window carries over
  between batches, which is where most of the gain on similar responses is.
- ``Inflater`` never inflates more than the caller asks for in one ``read``:
  compressed input not yet inflated stays in zlib's ``unconsumed_tail``, so
  memory is bounded by one network read plus one output chunk, however well
  the input compresses.
- Decompression bombs: inflating costs CPU even when the output is thrown away
  (the framer discards an over-long line without answering until its CRLF), so
  the output is also metered against the input, as a token bucket: every
  compressed byte earns ``ratio`` inflated bytes, the bucket holds at most
  ``burst``. The driver sizes ``burst`` as the largest command its framer
  accepts, so no acceptable command is ever refused for compressing well;
  beyond that, a stream that keeps inflating more than ``ratio`` : 1 (deflate
  reaches about 1032 : 1 on repeated bytes; real IMAP commands and mail come
  nowhere near 100 : 1) is refused with ``DecompressionError`` (code LIMIT)
  after at most ``burst`` bytes of work.
- Corrupt input, and any data after the client ended its deflate stream, is a
  ``DecompressionError`` too: a deflate stream cannot be resynchronised, so
  the connection ends.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

WBITS = -15  # raw deflate, 32 KiB window (RFC 4978 section 3)
# Dovecot's default too; level 1 costs about half the CPU for a few per cent
# more bytes (bench/compress_cost.py measures both).
DEFAULT_LEVEL = 6
DEFAULT_RATIO = 100


class DecompressionError(Exception):
    """The client's compressed stream cannot be accepted; ``code`` for the BYE."""

    def __init__(self, text: str, code: str | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.code = code


class Deflater:
    """One compressing direction: ``compress(chunks)`` -> bytes ending in a sync flush."""

    def __init__(self, level: int | None = None) -> None:
        # Read at call time, so a benchmark can try another default.
        self._z = zlib.compressobj(DEFAULT_LEVEL if level is None else level, zlib.DEFLATED, WBITS)
        self.raw_bytes = 0  # before compression, for the log and the benchmark
        self.wire_bytes = 0

    def compress(self, chunks: Iterable[bytes | memoryview]) -> bytes:
        """Compress one batch; the result decodes completely on its own arrival."""
        parts = []
        for chunk in chunks:
            self.raw_bytes += len(chunk)
            parts.append(self._z.compress(chunk))
        parts.append(self._z.flush(zlib.Z_SYNC_FLUSH))
        out = b"".join(parts)
        self.wire_bytes += len(out)
        return out


class Inflater:
    """One inflating direction with bounded output and a ratio budget (module docstring)."""

    def __init__(self, burst: int, ratio: int = DEFAULT_RATIO) -> None:
        if burst <= 0 or ratio <= 0:
            raise ValueError("burst and ratio must be positive")
        self._z = zlib.decompressobj(WBITS)
        self._input = b""
        self._burst = burst
        self._ratio = ratio
        self._tokens = burst
        self.wire_bytes = 0
        self.raw_bytes = 0

    @property
    def pending(self) -> int:
        """Compressed bytes received but not inflated yet."""
        return len(self._input)

    @property
    def ended(self) -> bool:
        """The client finished its deflate stream (nothing more may follow)."""
        return self._z.eof

    def feed(self, data: bytes) -> None:
        self.wire_bytes += len(data)
        self._input = self._input + data if self._input else data

    def read(self, max_bytes: int) -> bytes:
        """Up to ``max_bytes`` inflated bytes; ``b""`` when more input is needed.

        Raises ``DecompressionError`` for corrupt input, data after the end of
        the stream, or a stream that inflates beyond its budget.
        """
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")  # zlib reads 0 as "no limit"
        if self._z.eof:
            if self._input:
                raise DecompressionError("Data after the end of the compressed stream")
            return b""
        # Called even with no input left: zlib may still hold output it could
        # not hand over within the last call's max_bytes.
        try:
            out = self._z.decompress(self._input, max_bytes)
        except zlib.error:
            raise DecompressionError("Invalid compressed data") from None
        consumed = len(self._input) - len(self._z.unconsumed_tail)
        self._input = self._z.unconsumed_tail
        if self._z.eof and self._z.unused_data:
            raise DecompressionError("Data after the end of the compressed stream")
        self._spend(consumed, len(out))
        return out

    def _spend(self, consumed: int, produced: int) -> None:
        self._tokens = min(self._burst, self._tokens + consumed * self._ratio) - produced
        self.raw_bytes += produced
        if self._tokens < 0:
            raise DecompressionError("Compressed data expands too much", "LIMIT")


__all__ = ["DEFAULT_LEVEL", "DEFAULT_RATIO", "WBITS", "DecompressionError", "Deflater", "Inflater"]
