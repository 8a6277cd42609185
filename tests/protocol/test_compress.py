"""Raw DEFLATE for COMPRESS (RFC 4978): Deflater, Inflater, and the command's syntax."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roost.protocol.commands import Compress
from roost.protocol.compress import DecompressionError, Deflater, Inflater
from roost.protocol.errors import ParseError
from roost.protocol.parser import parse_command

BIG = 1 << 30


def client_deflate(data: bytes, flush: int = zlib.Z_SYNC_FLUSH) -> bytes:
    z = zlib.compressobj(6, zlib.DEFLATED, -15)
    return z.compress(data) + z.flush(flush)


def drain(inflater: Inflater, size: int = 1 << 16) -> bytes:
    out = b""
    while chunk := inflater.read(size):
        out += chunk
    return out


@settings(max_examples=40, deadline=None)
@given(batches=st.lists(st.binary(max_size=3000), min_size=1, max_size=6))
def test_every_batch_decodes_on_arrival(batches: list[bytes]) -> None:
    """Z_SYNC_FLUSH: a client inflating batch by batch gets each batch whole, at once."""
    deflater, client = Deflater(), zlib.decompressobj(-15)
    for batch in batches:
        wire = deflater.compress([batch[: len(batch) // 2], batch[len(batch) // 2 :]])
        assert wire.endswith(b"\x00\x00\xff\xff")  # the empty stored block of a sync flush
        assert client.decompress(wire) == batch
    assert deflater.raw_bytes == sum(map(len, batches))


@settings(max_examples=40, deadline=None)
@given(
    data=st.binary(max_size=20000) | st.text(max_size=5000).map(str.encode),
    cut=st.integers(1, 500),
    size=st.integers(1, 4096),
)
def test_inflater_round_trip_in_any_pieces(data: bytes, cut: int, size: int) -> None:
    wire = client_deflate(data)
    inflater, out = Inflater(BIG), b""
    for i in range(0, len(wire), cut):
        inflater.feed(wire[i : i + cut])
        while chunk := inflater.read(size):
            assert len(chunk) <= size
            out += chunk
    assert out == data


def test_output_per_read_is_bounded_and_input_waits() -> None:
    wire = client_deflate(b"x" * 1_000_000)
    inflater = Inflater(BIG)
    inflater.feed(wire)
    first = inflater.read(1000)
    assert len(first) == 1000
    assert inflater.pending > 0  # the rest of the input is not inflated yet
    assert len(first) + len(drain(inflater, 1000)) == 1_000_000
    assert inflater.pending == 0


def test_output_held_inside_zlib_is_handed_over_without_more_input() -> None:
    """One long back-reference can leave output in zlib with all input consumed."""
    data = b"ab" * 5000 + b"\r\n"
    inflater = Inflater(BIG)
    inflater.feed(client_deflate(data))
    assert drain(inflater, 1) == data


def test_ratio_budget_allows_a_burst_then_refuses() -> None:
    bomb = client_deflate(b"\x00" * 50_000_000)
    assert len(bomb) < 100_000
    inflater = Inflater(burst=10_000_000, ratio=100)
    inflater.feed(bomb)
    with pytest.raises(DecompressionError) as info:
        drain(inflater)
    assert info.value.code == "LIMIT"
    # refused soon after the burst (plus what the consumed input earned at 100:1)
    assert 10_000_000 <= inflater.raw_bytes <= 12_000_000


def test_budget_refills_with_ordinary_input() -> None:
    """Ordinary text never runs out, however long the connection lasts."""
    inflater = Inflater(burst=100_000, ratio=100)
    z = zlib.compressobj(6, zlib.DEFLATED, -15)
    for i in range(2000):
        line = f"a{i} UID FETCH {i}:{i + 7} (FLAGS BODY.PEEK[HEADER])\r\n".encode()
        inflater.feed(z.compress(line) + z.flush(zlib.Z_SYNC_FLUSH))
        assert drain(inflater) == line


def test_corrupt_input() -> None:
    inflater = Inflater(BIG)
    inflater.feed(b"\xff" * 10)
    with pytest.raises(DecompressionError, match="Invalid compressed data"):
        inflater.read(100)


def test_data_after_the_end_of_the_stream() -> None:
    inflater = Inflater(BIG)
    inflater.feed(client_deflate(b"a NOOP\r\n", zlib.Z_FINISH))
    assert drain(inflater) == b"a NOOP\r\n"
    assert inflater.ended
    assert inflater.read(10) == b""
    inflater.feed(b"more")
    with pytest.raises(DecompressionError, match="end of the compressed stream"):
        inflater.read(10)


def test_trailing_bytes_in_the_same_chunk_as_the_end() -> None:
    inflater = Inflater(BIG)
    inflater.feed(client_deflate(b"x", zlib.Z_FINISH) + b"junk")
    with pytest.raises(DecompressionError):
        inflater.read(10)


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        Inflater(0)
    with pytest.raises(ValueError):
        Inflater(BIG).read(0)  # zlib would read 0 as "no limit"


@pytest.mark.parametrize(
    "wire, text",
    [
        (b"a COMPRESS", "space"),
        (b"a COMPRESS ", "mechanism"),
        (b"a COMPRESS DEFLATE extra", "unexpected"),
        (b'a COMPRESS "DEFLATE"', "mechanism"),
    ],
)
def test_compress_syntax_errors(wire: bytes, text: str) -> None:
    with pytest.raises(ParseError, match=text) as info:
        parse_command(wire)
    assert info.value.tag == "a"


def test_compress_parses_any_atom_upper_cased() -> None:
    assert parse_command(b"x compress Deflate") == Compress("x", "DEFLATE")
