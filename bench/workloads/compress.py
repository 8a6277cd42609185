"""Workload 6: the cost of COMPRESS=DEFLATE (RFC 4978) for a client on a slow link.

One user's INBOX of ``compress_count`` messages (full size distribution) is
fetched whole twice over — ``UID FETCH 1:* (ENVELOPE)`` (text that packs
well) and ``UID FETCH 1:* (BODY.PEEK[])`` (all bodies, base64 attachments
included) — on a plain connection and on one that sent ``COMPRESS DEFLATE``
right after LOGIN. Each command runs twice and the second run counts.
Figures per server: time, octets on the wire and server CPU time, plain and
compressed. Loopback has no bandwidth limit, so the time shows the CPU cost
of deflating; the octets show what a slow link would save.
"""

from __future__ import annotations

import asyncio
import time

from bench.client import ImapClient
from bench.procstat import cpu_seconds
from bench.workloads import Bench, Server, open_session

COMMANDS = (
    ("envelopes", "UID FETCH 1:* (ENVELOPE)"),
    ("bodies", "UID FETCH 1:* (BODY.PEEK[])"),
)
TIMEOUT = 600.0


async def _measure(client: ImapClient, pid: int, command: str) -> tuple[float, int, float]:
    """(seconds, wire octets, server CPU seconds) of the second of two runs."""
    await client.command(command, timeout=TIMEOUT)
    wire0, cpu0 = client.wire_in, cpu_seconds(pid)
    started = time.perf_counter()
    (await client.command(command, timeout=TIMEOUT)).ok()
    elapsed = time.perf_counter() - started
    return elapsed, client.wire_in - wire0, cpu_seconds(pid) - cpu0


async def _one(bench: Bench, server: Server, compressed: bool) -> dict[str, tuple]:
    client = await open_session(server.port, bench.accounts["zip"])
    out = {}
    try:
        if compressed:
            await client.compress()
        (await client.command("SELECT INBOX")).ok()
        for label, command in COMMANDS:
            out[label] = await _measure(client, server.pid, command)
    finally:
        await client.logout()
    return out


def run(bench: Bench, servers: list[Server]) -> None:
    name = f"6. COMPRESS=DEFLATE ({bench.plan.compress_count:,} msgs)"
    res = bench.results
    for server in servers:
        bench.log(f"  {server.name}")
        with res.usage(name, server):
            plain = asyncio.run(_one(bench, server, False))
            packed = asyncio.run(_one(bench, server, True))
        for label, _ in COMMANDS:
            (t0, w0, c0), (t1, w1, c1) = plain[label], packed[label]
            res.set(name, f"{label}: time, plain", "s", "lower", server.name, t0)
            res.set(name, f"{label}: time, compressed", "s", "lower", server.name, t1)
            res.set(name, f"{label}: wire MB, plain", "MB", "lower", server.name, w0 / 1e6)
            res.set(name, f"{label}: wire MB, compressed", "MB", "lower", server.name, w1 / 1e6)
            res.set(name, f"{label}: server CPU, plain", "s", "lower", server.name, c0)
            res.set(name, f"{label}: server CPU, compressed", "s", "lower", server.name, c1)
            bench.log(f"    {label}: {t0:.2f}s {w0 / 1e6:.1f} MB plain, "
                      f"{t1:.2f}s {w1 / 1e6:.1f} MB compressed")  # fmt: skip
