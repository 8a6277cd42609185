"""COMPRESS=DEFLATE (RFC 4978) for the load client: raw deflate both ways.

After the server's OK to ``COMPRESS DEFLATE`` every octet in both directions
is a raw deflate stream (no zlib header, window bits -15). ``DeflateWriter``
compresses each write and ends it with a sync flush so the server can act on
a command at once; ``inflate`` starts a pump task that reads the socket's
stream, inflates, and feeds a fresh ``StreamReader`` the client reads from,
counting the compressed octets that came over the wire.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

CHUNK = 256 * 1024


class DeflateWriter:
    """Enough of ``asyncio.StreamWriter`` for ``ImapClient``, with deflate in front."""

    def __init__(self, raw: asyncio.StreamWriter) -> None:
        self.raw = raw
        self._deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.wire_out = 0

    def write(self, data: bytes) -> None:
        out = self._deflate.compress(data) + self._deflate.flush(zlib.Z_SYNC_FLUSH)
        self.wire_out += len(out)
        self.raw.write(out)

    async def drain(self) -> None:
        await self.raw.drain()

    def close(self) -> None:
        self.raw.close()

    async def wait_closed(self) -> None:
        await self.raw.wait_closed()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.raw.get_extra_info(name, default)


class Inflater:
    """Reads ``raw``, inflates, feeds ``reader``; ``wire_in`` counts compressed octets."""

    def __init__(self, raw: asyncio.StreamReader, limit: int) -> None:
        self.raw = raw
        self.reader = asyncio.StreamReader(limit=limit)
        self.wire_in = 0
        self._inflate = zlib.decompressobj(-15)
        self.task = asyncio.get_running_loop().create_task(self._pump())

    async def _pump(self) -> None:
        try:
            while True:
                data = await self.raw.read(CHUNK)
                if not data:
                    break
                self.wire_in += len(data)
                self.reader.feed_data(self._inflate.decompress(data))
        except (OSError, zlib.error) as exc:
            self.reader.set_exception(exc)
            return
        self.reader.feed_eof()
