"""What COMPRESS=DEFLATE (RFC 4978) costs and saves: ``python -m bench.compress_cost``.

Starts roost in this process (``roost.server.testing.running_server``, loopback,
ephemeral ports), loads one mailbox with generated messages of mixed sizes
(``bench.corpus``, reproducible from the seed), then fetches the whole mailbox
(``FETCH 1:* BODY.PEEK[]``) on a plain connection and on compressed ones, and
prints for each: bytes on the wire from the server, bytes after inflating,
wall time, and the server's CPU time.

Server CPU is this process's CPU time minus the client thread's own
(``time.process_time`` - ``time.thread_time``): the server's event loop and
worker threads are the only other threads. Loopback has no bandwidth limit,
so the wall time shows the cost; the "at 10 Mbit/s" column is the transfer
time the wire bytes alone would need on such a link (computed, not measured).

Each figure is the median of ``--repeat`` runs. ``--levels`` chooses the
zlib levels measured (the server's default is
``roost.protocol.compress.DEFAULT_LEVEL``; other levels are set for the run).
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from bench.corpus import Corpus
from roost.protocol import compress
from roost.server.testing import running_server

USER, PASSWORD = "bench", "bench-password"
LINK_BITS_PER_SECOND = 10_000_000
_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")


class Client:
    """A blocking IMAP client that can switch on COMPRESS=DEFLATE; counts wire bytes."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=120)
        self.buffer = b""
        self.wire_in = 0
        self.tag = 0
        self.deflater: zlib._Compress | None = None
        self.inflater: zlib._Decompress | None = None
        self.read_line()  # greeting

    def _fill(self) -> None:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise EOFError("server closed the connection")
        self.wire_in += len(chunk)
        self.buffer += self.inflater.decompress(chunk) if self.inflater else chunk

    def read_line(self) -> bytes:
        while (end := self.buffer.find(b"\r\n")) < 0:
            self._fill()
        line, self.buffer = self.buffer[: end + 2], self.buffer[end + 2 :]
        return line

    def read_exact(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self._fill()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def command(self, text: bytes) -> tuple[bytes, int]:
        """Send one command; returns (tagged line, bytes of the responses after inflating)."""
        self.tag += 1
        tag = b"b%d" % self.tag
        data = tag + b" " + text + b"\r\n"
        if self.deflater is not None:
            data = self.deflater.compress(data) + self.deflater.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)
        size = 0
        while True:
            line = self.read_line()
            size += len(line)
            if (m := _LITERAL.search(line)) is not None:
                size += len(self.read_exact(int(m.group(1))))
                continue
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise RuntimeError(f"{text!r} failed: {line!r}")
                return line, size

    def compress(self) -> None:
        self.command(b"COMPRESS DEFLATE")
        self.deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.inflater = zlib.decompressobj(-15)

    def close(self) -> None:
        self.sock.close()


@dataclass
class Run:
    wire: int
    inflated: int
    wall: float
    server_cpu: float


def load(port: int, count: int, seed: int, max_size: int) -> int:
    corpus = Corpus(seed, max_size=max_size)
    client = Client("127.0.0.1", port)
    client.command(b"LOGIN " + USER.encode() + b" " + PASSWORD.encode())
    total = 0
    for i in range(count):
        message = corpus.message(i)
        total += len(message)
        client.command(b"APPEND INBOX {%d+}\r\n" % len(message) + message)
    client.close()
    return total


def fetch_all(port: int, level: int | None) -> Run:
    client = Client("127.0.0.1", port)
    client.command(b"LOGIN " + USER.encode() + b" " + PASSWORD.encode())
    if level is not None:
        compress.DEFAULT_LEVEL = level
        client.compress()
    client.command(b"EXAMINE INBOX")
    wire_before = client.wire_in
    cpu, own, wall = time.process_time(), time.thread_time(), time.perf_counter()
    _, inflated = client.command(b"FETCH 1:* BODY.PEEK[]")
    wall = time.perf_counter() - wall
    server_cpu = (time.process_time() - cpu) - (time.thread_time() - own)
    run = Run(client.wire_in - wire_before, inflated, wall, server_cpu)
    client.close()
    return run


def median_run(runs: list[Run]) -> Run:
    return Run(
        int(statistics.median(r.wire for r in runs)),
        int(statistics.median(r.inflated for r in runs)),
        statistics.median(r.wall for r in runs),
        statistics.median(r.server_cpu for r in runs),
    )


def table(rows: list[tuple[str, Run]]) -> str:
    head = (
        f"{'connection':<22}{'wire bytes':>14}{'ratio':>8}{'wall s':>9}"
        f"{'server CPU s':>14}{'at 10 Mbit/s':>14}"
    )
    lines = [head, "-" * len(head)]
    for name, run in rows:
        ratio = run.inflated / run.wire if run.wire else 0.0
        link = run.wire * 8 / LINK_BITS_PER_SECOND
        lines.append(
            f"{name:<22}{run.wire:>14,}{ratio:>8.2f}{run.wall:>9.3f}"
            f"{run.server_cpu:>14.3f}{link:>13.1f}s"
        )
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.compress_cost", description=__doc__)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-size", type=int, default=2_000_000, help="largest message")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--levels", default=f"{compress.DEFAULT_LEVEL},1", help="zlib levels")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    levels = [int(x) for x in args.levels.split(",") if x]
    default_level = compress.DEFAULT_LEVEL
    with (
        tempfile.TemporaryDirectory(prefix="roost-compress-") as tmp,
        running_server(Path(tmp) / "data") as server,
    ):
        server.add_user(USER, PASSWORD)
        total = load(server.imap_port, args.messages, args.seed, args.max_size)
        print(f"mailbox: {args.messages} messages, {total:,} bytes (seed {args.seed})")
        variants: list[tuple[str, int | None]] = [("plain", None)]
        variants += [(f"COMPRESS level {lv}", lv) for lv in levels]
        rows = []
        try:
            for name, level in variants:
                runs = [fetch_all(server.imap_port, level) for _ in range(args.repeat)]
                rows.append((name, median_run(runs)))
        finally:
            compress.DEFAULT_LEVEL = default_level
    print(f"FETCH 1:* BODY.PEEK[], median of {args.repeat} runs")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
