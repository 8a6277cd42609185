"""COMPRESS=DEFLATE (RFC 4978) end to end, with a tiny compressing client.

imaplib has no COMPRESS, so ``DeflateClient`` is the raw test client with a
zlib raw-deflate compressor and decompressor (wbits -15) switched on after
the COMPRESS response: every command it sends ends with a sync flush, and
what it receives is inflated before the response parser sees it.
"""

from __future__ import annotations

import random
import socket
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest

from roost.server.testing import running_server
from tests.e2e.imapwire import Lit, RawClient, Result

MESSAGE = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhello\r\n"


def big_message(size: int, seed: int = 7) -> bytes:
    """Text lines with some randomness: compresses, but not absurdly."""
    rng = random.Random(seed)
    words = ["mail", "server", "deflate", "window", "literal", "fetch", "über", "ĉu", "日本"]
    lines = [
        b"From: big@example.org",
        b"Subject: large",
        b"Content-Type: text/plain; charset=utf-8",
    ]
    lines.append(b"")
    total = 0
    while total < size:
        line = " ".join(rng.choice(words) for _ in range(12)) + f" {rng.getrandbits(40):x}"
        data = line.encode()
        lines.append(data)
        total += len(data) + 2
    return b"\r\n".join(lines) + b"\r\n"


class DeflateClient(RawClient):
    """RawClient that compresses both directions once ``compress`` succeeded."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.deflater: zlib._Compress | None = None
        self.inflater: zlib._Decompress | None = None
        self.wire_in = self.wire_out = 0
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def compress(self, mechanism: str = "DEFLATE") -> Result:
        result = self.command(f"COMPRESS {mechanism}")
        if result.ok:
            assert self.buffer == b"", "nothing may follow the OK uncompressed"
            self.deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
            self.inflater = zlib.decompressobj(-15)
        return result

    def send(self, data: bytes) -> None:
        if self.deflater is not None:
            data = self.deflater.compress(data) + self.deflater.flush(zlib.Z_SYNC_FLUSH)
        self.wire_out += len(data)
        self.sock.sendall(data)

    def send_compressed(self, data: bytes) -> None:
        """Send already compressed bytes as they are."""
        self.wire_out += len(data)
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.wire_in += len(chunk)
        self.buffer += self.inflater.decompress(chunk) if self.inflater is not None else chunk
        return True


def connect(server, *, login: bool = True, tls: bool = False) -> DeflateClient:
    if tls:
        client = DeflateClient(server.host, server.imaps_port, server.ssl_context())
    else:
        client = DeflateClient(server.host, server.imap_port)
    if login:
        assert client.command("LOGIN alice secret").ok
    return client


def summary(result: Result) -> tuple:
    return (result.status, result.code, result.text, result.untagged, result.continuations)


def populate(server, sizes: list[int]) -> list[bytes]:
    messages = [big_message(size, seed) for seed, size in enumerate(sizes)]
    client = connect(server)
    try:
        for message in messages:
            assert client.command("APPEND INBOX ", Lit(message, nonsync=True)).ok
    finally:
        client.close()
    return messages


READ_SCRIPT = [
    "EXAMINE INBOX",
    "FETCH 1:* (FLAGS UID RFC822.SIZE ENVELOPE BODYSTRUCTURE)",
    "FETCH 1:* BODY.PEEK[]",
    "UID FETCH 2 BODY.PEEK[TEXT]<100.5000>",
    "UID SEARCH TEXT deflate",
    'LIST "" *',
    "STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY)",
    "NOOP",
]


def run_script(client: DeflateClient) -> list[tuple]:
    return [summary(client.command(line, tag=f"s{i}")) for i, line in enumerate(READ_SCRIPT)]


# ---------------------------------------------------------------- capability and state


def test_advertised_after_login_only(server) -> None:
    client = connect(server, login=False)
    try:
        assert b"COMPRESS=DEFLATE" not in client.greeting
        before = client.command("CAPABILITY").named("CAPABILITY")[0]
        assert "COMPRESS=DEFLATE" not in before
        assert client.command("LOGIN alice secret").ok
        after = client.command("CAPABILITY").named("CAPABILITY")[0]
        assert "COMPRESS=DEFLATE" in after
    finally:
        client.close()


def test_compress_before_login_is_bad(server) -> None:
    client = connect(server, login=False)
    try:
        result = client.compress()
        assert result.status == "BAD"
        assert client.deflater is None
        assert client.command("LOGIN alice secret").ok  # still uncompressed
        assert client.compress().ok
        assert client.command("NOOP").ok
    finally:
        client.close()


def test_unknown_mechanism_is_bad_and_changes_nothing(server) -> None:
    client = connect(server)
    try:
        assert client.compress("LZW").status == "BAD"
        assert client.command("NOOP").ok
        assert client.compress("deflate").ok  # mechanism names are case-insensitive
        assert client.command("NOOP").ok
    finally:
        client.close()


def test_compress_twice_is_no_compressionactive(server) -> None:
    client = connect(server)
    try:
        assert client.compress().ok
        second = client.command("COMPRESS DEFLATE")  # sent compressed
        assert (second.status, second.code) == ("NO", "COMPRESSIONACTIVE")
        assert client.command("SELECT INBOX").ok
        assert client.compress("LZW").status == "BAD"
    finally:
        client.close()


def test_compress_in_selected_state(server) -> None:
    client = connect(server)
    try:
        assert client.command("SELECT INBOX").ok
        assert client.compress().ok
        assert client.command("APPEND INBOX ", Lit(MESSAGE)).ok
        fetched = client.command("FETCH 1 BODY.PEEK[]").fetches()
        assert fetched[1]["BODY[]"] == MESSAGE
    finally:
        client.close()


def test_data_pipelined_after_compress_is_refused(server) -> None:
    """RFC 4978: the client waits for the response; early bytes stay plain commands."""
    client = connect(server)
    try:
        client.send(b"c1 COMPRESS DEFLATE\r\nc2 NOOP\r\n")
        first, second = client.read_response(), client.read_response()
        assert first.startswith(b"c1 BAD"), first
        assert second.startswith(b"c2 OK"), second
    finally:
        client.close()


# ---------------------------------------------------------------- same answers, fewer bytes


def test_compressed_session_answers_like_a_plain_one(server) -> None:
    populate(server, [2_000, 300_000, 1_500_000, 40_000])
    plain, packed = connect(server), connect(server)
    try:
        assert packed.compress().ok
        plain_in, packed_in = plain.wire_in, packed.wire_in
        expected = run_script(plain)
        got = run_script(packed)
        assert got == expected
        assert expected[2][3], "the FETCH returned bodies"
        # The bodies are text: DEFLATE must shrink them a lot.
        assert packed.wire_in - packed_in < (plain.wire_in - plain_in) / 2
    finally:
        plain.close()
        packed.close()


def test_append_large_message_through_compressed_stream(server) -> None:
    message = big_message(3_000_000, seed=99)
    client = connect(server)
    try:
        assert client.compress().ok
        assert client.command("SELECT INBOX").ok
        sync = client.command("APPEND INBOX (\\Seen) ", Lit(message))  # waits for "+"
        assert sync.ok and sync.continuations
        assert client.command("APPEND INBOX ", Lit(MESSAGE, nonsync=True)).ok
        result = client.command("FETCH 1:2 (FLAGS BODY.PEEK[])")
        fetches = result.fetches()
        assert fetches[1]["BODY[]"] == message
        assert "\\Seen" in fetches[1]["FLAGS"]
        assert fetches[2]["BODY[]"] == MESSAGE
        assert client.wire_out < len(message) / 2
    finally:
        client.close()


def test_idle_through_compressed_stream(server) -> None:
    idler, other = connect(server), connect(server)
    try:
        assert idler.compress().ok
        assert idler.command("SELECT INBOX").ok
        idler.send(b"i1 IDLE\r\n")
        assert idler.read_response().startswith(b"+ ")
        assert other.command("APPEND INBOX ", Lit(MESSAGE)).ok
        assert idler.read_response() == b"* 1 EXISTS"
        idler.send(b"DONE\r\n")
        done = Result("i1", "", None, "")
        assert idler.read_until_tagged(done).ok
        assert idler.command("FETCH 1 BODY.PEEK[]").fetches()[1]["BODY[]"] == MESSAGE
    finally:
        idler.close()
        other.close()


def test_notify_through_compressed_stream(server) -> None:
    watcher, other = connect(server), connect(server)
    try:
        assert watcher.compress().ok
        assert watcher.command("NOTIFY SET (PERSONAL (MessageNew MessageExpunge))").ok
        assert other.command("APPEND INBOX ", Lit(MESSAGE)).ok
        assert b"STATUS" in watcher.read_response()
        assert watcher.command("NOOP").ok
    finally:
        watcher.close()
        other.close()


def test_logout_through_compressed_stream(server) -> None:
    client = connect(server)
    try:
        assert client.compress().ok
        result = client.command("LOGOUT")
        assert result.ok and result.untagged[0].startswith(b"BYE")
        assert client.closed_by_peer()
    finally:
        client.close()


# ---------------------------------------------------------------- TLS


def test_compress_over_implicit_tls(server) -> None:
    client = connect(server, tls=True)
    try:
        assert client.compress().ok
        assert client.command("APPEND INBOX ", Lit(MESSAGE)).ok
        assert client.command("SELECT INBOX").ok
        assert client.command("FETCH 1 BODY.PEEK[]").fetches()[1]["BODY[]"] == MESSAGE
    finally:
        client.close()


def test_compress_after_starttls_and_no_starttls_after_compress(server) -> None:
    client = connect(server, login=False)
    try:
        assert client.command("STARTTLS").ok
        client.sock = server.ssl_context().wrap_socket(client.sock, server_hostname=server.host)
        assert client.command("LOGIN alice secret").ok
        assert client.compress().ok
        assert client.command("STARTTLS").status == "BAD"
        assert client.command("NOOP").ok
    finally:
        client.close()


# ---------------------------------------------------------------- hostile input


def bomb_chunks(total: int, chunk: int = 1 << 20):
    """The compressed form of ``total`` bytes of 'A' (no CRLF), about 1/1000 of its size.

    Once the window is all 'A', each further MiB compresses to the same block,
    so the bomb is that block repeated (checked), cheap to make at any size.
    """
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = b"A" * chunk
    first = z.compress(block) + z.flush(zlib.Z_SYNC_FLUSH)
    steady = z.compress(block) + z.flush(zlib.Z_SYNC_FLUSH)
    assert z.compress(block) + z.flush(zlib.Z_SYNC_FLUSH) == steady
    assert zlib.decompressobj(-15).decompress(first + steady * 2) == block * 3
    yield first
    for _ in range(total // chunk - 1):
        yield steady


def send_until_closed(client: DeflateClient, chunks) -> int:
    """Send chunks until the server stops reading; returns the bytes sent."""
    sent = 0
    client.sock.settimeout(10)
    try:
        for data in chunks:
            client.send_compressed(data)
            sent += len(data)
    except OSError:  # reset or broken pipe: the server closed on us
        pass
    return sent


def read_all(client: DeflateClient) -> bytes:
    client.sock.settimeout(10)
    try:
        while client._fill():
            pass
    except OSError:
        pass
    return client.buffer


@pytest.mark.parametrize("literal_limit", [1 << 20, None], ids=["1MiB-literals", "defaults"])
def test_decompression_bomb_ends_the_connection_quickly(
    tmp_path: Path, literal_limit: int | None
) -> None:
    """4 GiB of 'A' in ~4 MB of deflate: BYE [LIMIT] after the framer's worth, memory flat.

    With the default limits the server inflates up to its largest command
    (4 x 64 MiB of literals) before it refuses; with 1 MiB literals, 4 MiB.
    """
    overrides = {} if literal_limit is None else {"max_literal_size": literal_limit}
    with running_server(tmp_path / "data", **overrides) as server:
        server.add_user("alice", "secret")
        client = connect(server)
        try:
            assert client.compress().ok
            tracemalloc.start()
            started = time.monotonic()
            sent = send_until_closed(client, bomb_chunks(4 << 30))
            answer = read_all(client)
            elapsed = time.monotonic() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        finally:
            client.close()
    assert b"* BYE [LIMIT]" in answer, answer[-300:]
    assert sent > 0
    assert elapsed < 20
    assert peak < 32 << 20, f"peak traced memory {peak} bytes"


def test_compressible_command_within_the_limits_is_accepted(tmp_path: Path) -> None:
    """A 1 MiB literal of zeros inflates ~1000:1 but is a command the framer takes."""
    with running_server(tmp_path / "data", max_literal_size=1 << 20) as server:
        server.add_user("alice", "secret")
        client = connect(server)
        try:
            assert client.compress().ok
            zeros = b"Subject: z\r\n\r\n" + b"0" * ((1 << 20) - 14)
            assert client.command("APPEND INBOX ", Lit(zeros, nonsync=True)).ok
            assert client.command("SELECT INBOX").ok
            assert client.command("FETCH 1 BODY.PEEK[]").fetches()[1]["BODY[]"] == zeros
        finally:
            client.close()


def test_corrupt_compressed_stream_ends_the_connection(server) -> None:
    client = connect(server)
    try:
        assert client.compress().ok
        client.send_compressed(b"\xff" * 64)  # block type 3 does not exist
        answer = read_all(client)
        assert b"* BYE" in answer and b"Invalid compressed data" in answer
    finally:
        client.close()


def test_data_after_the_end_of_the_client_stream_ends_the_connection(server) -> None:
    client = connect(server)
    try:
        assert client.compress().ok
        z = zlib.compressobj(6, zlib.DEFLATED, -15)
        client.send_compressed(z.compress(b"a NOOP\r\n") + z.flush(zlib.Z_FINISH))
        assert client.read_response().startswith(b"a OK")
        client.send_compressed(b"b NOOP\r\n")
        answer = read_all(client)
        assert b"* BYE" in answer and b"end of the compressed stream" in answer
    finally:
        client.close()


@pytest.mark.parametrize("split", [1, 7])
def test_commands_split_anywhere_in_the_compressed_stream(server, split: int) -> None:
    """Compressed bytes arriving a few at a time still make whole commands."""
    client = connect(server)
    try:
        assert client.compress().ok
        assert client.deflater is not None
        data = client.deflater.compress(b"a NOOP\r\nb SELECT INBOX\r\n")
        data += client.deflater.flush(zlib.Z_SYNC_FLUSH)
        client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(0, len(data), split):
            client.send_compressed(data[i : i + split])
        assert client.read_response().startswith(b"a OK")
        result = Result("b", "", None, "")
        client.read_until_tagged(result)
        assert result.ok
    finally:
        client.close()
