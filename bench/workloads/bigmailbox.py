"""Workload 2: one big mailbox (100,000 messages; ``--quick`` 2,000).

One client, one command at a time (each is a big operation on its own):
STATUS (before selecting), SELECT, ``UID FETCH 1:* (FLAGS)``,
``FETCH 1:* (ENVELOPE)``, ``UID SEARCH`` on two headers (SUBJECT, FROM) and
on two flags (FLAGGED, UNSEEN), and COPY of the first 10,000 messages to
another mailbox. Each operation runs twice; the table shows the second run
(warm: Dovecot's index and cache have been used once, roost's page cache is
warm) and the details give both. The growth series runs SELECT and
``UID FETCH 1:* (FLAGS)`` on mailboxes of 10k and 100k (and 1M with
``--million``) messages.

Correctness is checked while timing: FETCH must return one response per
message, and both servers must find the same number of messages for each
search (the corpus knows how many subjects say "invoice").
"""

from __future__ import annotations

import asyncio
import time

from bench.client import ImapClient, exists_count, search_uids
from bench.workloads import Bench, Server, open_session

OP_TIMEOUT = 900.0
FROM_WORD = "user07"


def _ops(count: int, copy_count: int) -> list[tuple[str, str, str]]:
    """(label, command, check) with check one of "", "all", "search"."""
    return [
        ("STATUS", "STATUS big (MESSAGES UNSEEN UIDNEXT)", ""),
        ("SELECT", "SELECT big", "exists"),
        ("UID FETCH 1:* (FLAGS)", "UID FETCH 1:* (FLAGS)", "all"),
        ("FETCH 1:* (ENVELOPE)", "FETCH 1:* (ENVELOPE)", "all"),
        ('UID SEARCH SUBJECT "invoice"', 'UID SEARCH SUBJECT "invoice"', "search"),
        (f'UID SEARCH FROM "{FROM_WORD}"', f'UID SEARCH FROM "{FROM_WORD}"', "search"),
        ("UID SEARCH FLAGGED", "UID SEARCH FLAGGED", "search"),
        ("UID SEARCH UNSEEN", "UID SEARCH UNSEEN", "search"),
        (f"COPY {copy_count:,} messages", f"COPY 1:{copy_count} big-copy", ""),
    ]


async def _timed(client: ImapClient, command: str, check: str) -> tuple[float, int | None]:
    keep = check in ("search", "exists")
    started = time.perf_counter()
    response = await client.command(command, keep=keep, timeout=OP_TIMEOUT)
    elapsed = time.perf_counter() - started
    response.ok()
    if check == "all":
        return elapsed, response.count
    if check == "search":
        return elapsed, len(search_uids(response))
    if check == "exists":
        return elapsed, exists_count(response)
    return elapsed, None


async def _big(bench: Bench, server: Server) -> dict[str, tuple[list[float], int | None]]:
    plan = bench.plan
    client = await open_session(server.port, bench.accounts["big"])
    out: dict[str, tuple[list[float], int | None]] = {}
    try:
        (await client.command("CREATE big-copy")).ok()
        for label, command, check in _ops(plan.big_count, plan.copy_count):
            times, found = [], None
            for _ in range(2):
                elapsed, found = await _timed(client, command, check)
                times.append(elapsed)
            out[label] = (times, found)
            bench.log(f"    {label}: {times[0]:.3f}s / {times[1]:.3f}s ({found})")
        for size in plan.growth:
            box = "big" if size == plan.big_count else f"g{size}"
            for label, command, check in (
                (f"SELECT ({size:,} msgs)", f"SELECT {box}", "exists"),
                (f"UID FETCH 1:* (FLAGS) ({size:,} msgs)", "UID FETCH 1:* (FLAGS)", "all"),
            ):
                times, found = [], None
                for _ in range(2):
                    elapsed, found = await _timed(client, command, check)
                    times.append(elapsed)
                out[label] = (times, found)
                bench.log(f"    {label}: {times[0]:.3f}s / {times[1]:.3f}s ({found})")
    finally:
        await client.logout()
    return out


def run(bench: Bench, servers: list[Server]) -> None:
    name = f"2. big mailbox ({bench.plan.big_count:,} msgs)"
    found: dict[str, dict[str, int | None]] = bench.shared.setdefault("big-found", {})  # type: ignore[assignment]
    for server in servers:
        bench.log(f"  {server.name}")
        with bench.results.usage(name, server):
            out = asyncio.run(_big(bench, server))
        found[server.name] = {label: n for label, (_, n) in out.items()}
        for label, (times, n) in out.items():
            bench.results.set(name, label, "s", "lower", server.name, times[1])
            bench.results.detail(f"- {name}, {server.name}: {label}: first {times[0]:.3f}s, "
                                 f"repeat {times[1]:.3f}s, result {n}")  # fmt: skip
    _check(bench, found)


def _check(bench: Bench, found: dict[str, dict[str, int | None]]) -> None:
    if len(found) < 2:
        return
    roost, dovecot = found.get("roost", {}), found.get("Dovecot", {})
    for label, n in roost.items():
        if label in dovecot and n != dovecot[label]:
            bench.results.note(
                f"big mailbox: {label} gave {n} on roost, {dovecot[label]} on Dovecot"
            )
