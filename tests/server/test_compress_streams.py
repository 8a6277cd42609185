"""The COMPRESS stream wrappers on their own: order, cancellation, close, bounded reads."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest

from roost.protocol.compress import Deflater, Inflater
from roost.server.compress import (
    OFFLOAD_SIZE,
    SLICE_SIZE,
    DeflateWriter,
    InflatingReader,
    _slices,
)
from roost.server.exchange import Hangup


async def _pair() -> tuple[asyncio.StreamWriter, asyncio.StreamReader, asyncio.StreamWriter]:
    a, b = socket.socketpair()
    _, writer = await asyncio.open_connection(sock=a)
    peer_reader, peer_writer = await asyncio.open_connection(sock=b)
    return writer, peer_reader, peer_writer


def _inflate(data: bytes) -> bytes:
    return zlib.decompressobj(-15).decompress(data)


def test_batches_keep_their_order_across_the_pool_and_cancellation() -> None:
    async def main() -> tuple[bytes, bytes]:
        plain, peer, peer_writer = await _pair()
        received = asyncio.create_task(peer.read())  # to EOF
        expected = b""
        with ThreadPoolExecutor(2) as pool:
            writer = DeflateWriter(plain, Deflater(), pool)
            big = os.urandom(3 * SLICE_SIZE + 5)  # incompressible: the socket fills up too
            writer.write(big)
            expected += big
            first = asyncio.create_task(writer.drain())
            await asyncio.sleep(0.001)  # compressing in the pool now
            first.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await first
            for i in range(50):  # small batches, inline, must come after the big one
                line = b"* %d EXISTS\r\n" % i
                writer.write(line)
                expected += line
                await writer.drain()
            writer.writelines([b"a" * OFFLOAD_SIZE, b"b" * 10])  # offloaded, not cancelled
            expected += b"a" * OFFLOAD_SIZE + b"b" * 10
            await writer.drain()
            writer.write(b"* BYE\r\n")  # not drained: close flushes it
            expected += b"* BYE\r\n"
            writer.close()
            await writer.wait_closed()
        data = await received
        peer_writer.close()
        await peer_writer.wait_closed()
        return expected, data

    expected, data = asyncio.run(main())
    assert _inflate(data) == expected


def test_close_waits_for_the_batch_in_flight() -> None:
    async def main() -> tuple[bytes, bytes]:
        plain, peer, peer_writer = await _pair()
        received = asyncio.create_task(peer.read())
        with ThreadPoolExecutor(1) as pool:
            writer = DeflateWriter(plain, Deflater(), pool)
            body = b"x" * (3 * OFFLOAD_SIZE)
            writer.write(body)
            draining = asyncio.create_task(writer.drain())
            await asyncio.sleep(0)
            writer.write(b"tail")
            writer.close()  # the job is still running: close after it lands
            with contextlib.suppress(ConnectionResetError):  # drain after close, as usual
                await draining
            await writer.wait_closed()
        data = await received
        peer_writer.close()
        await peer_writer.wait_closed()
        return body + b"tail", data

    expected, data = asyncio.run(main())
    assert _inflate(data) == expected


def test_slices_regroup_and_cut_without_losing_bytes() -> None:
    chunks = [b"a" * 10, b"b" * 25, b"c" * 3, b"d" * 40]
    groups = list(_slices(chunks, 16))
    assert [sum(map(len, g)) for g in groups] == [16, 16, 16, 16, 14]
    assert b"".join(bytes(part) for g in groups for part in g) == b"".join(chunks)
    assert list(_slices([], 16)) == []


def test_no_half_close_on_a_compressed_stream() -> None:
    async def main() -> None:
        plain, _, peer_writer = await _pair()
        writer = DeflateWriter(plain, Deflater(), None)
        assert not writer.can_write_eof()
        with pytest.raises(RuntimeError):
            writer.write_eof()
        writer.close()
        await writer.wait_closed()
        peer_writer.close()
        await peer_writer.wait_closed()

    asyncio.run(main())


def _reader(
    compressed: bytes, burst: int = 1 << 30
) -> tuple[InflatingReader, list[tuple[str, str | None]]]:
    source = asyncio.StreamReader()
    source.feed_data(compressed)
    source.feed_eof()
    said: list[tuple[str, str | None]] = []

    async def bye(text: str, code: str | None = None) -> None:
        said.append((text, code))

    return InflatingReader(source, Inflater(burst), bye), said


def test_reads_are_bounded_and_end_at_eof() -> None:
    data = b"a NOOP\r\n" * 100_000

    async def main() -> list[bytes]:
        reader, _ = _reader(zlib.compress(data, 9, wbits=-15))
        chunks = []
        while chunk := await reader.read(4096):
            chunks.append(chunk)
        return chunks

    chunks = asyncio.run(main())
    assert b"".join(chunks) == data
    assert max(map(len, chunks)) == 4096


def test_bomb_says_bye_and_hangs_up() -> None:
    async def main() -> tuple[list[tuple[str, str | None]], int]:
        reader, said = _reader(zlib.compress(b"A" * 20_000_000, 9, wbits=-15), burst=1_000_000)
        total = 0
        with pytest.raises(Hangup, match="compression"):
            while chunk := await reader.read(65536):
                total += len(chunk)
        return said, total

    said, total = asyncio.run(main())
    assert said == [("Compressed data expands too much", "LIMIT")]
    assert total < 2_000_000
