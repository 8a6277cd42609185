"""Workload 7: IDLE push latency, one event at a time (issue 3).

One user, one mailbox (INBOX). An IDLE client selects it and enters IDLE;
another session of the same user, with no mailbox selected (like a
delivery), APPENDs a message (LITERAL+, the literal sent with the
command), then waits until the IDLE client has seen the
``* n EXISTS`` for it (and the APPEND's tagged OK) before the next APPEND.
Latency = the moment the EXISTS line arrived at the IDLE client minus the
moment the APPEND's last octet (literal end and CRLF) was handed to the
kernel. Both clients run in this one process on one event loop, so one
CLOCK_MONOTONIC serves both ends; TCP_NODELAY is set on every client socket.

Two series per server: the IDLE client alone (``push_events``, 1,000), then
with ``push_fanout`` (100) more idlers on the same mailbox
(``push_fanout_events``): the IDLE client's latency and the time until the
last of all idlers has the EXISTS (the fan-out). Each EXISTS must carry the
expected message count; an event not seen within ``WAIT`` counts as missed.

Dovecot runs with its defaults for IDLE (stated in the details):
``mailbox_idle_check_interval = 30 secs`` (the fallback poll) with inotify
on (the suite raises ``fs.inotify.max_user_instances`` during this
workload, as for workload 4), and its built-in, not configurable, 0.5 s
delay between a change notification and the check (``NOTIFY_DELAY_MSECS``
in lib-storage's mailbox-watch.c). roost runs untuned.
"""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import time

from bench.client import ImapClient, ImapError
from bench.corpus import Corpus
from bench.report import Usage, percentile
from bench.servers import Account
from bench.workloads import Bench, Server, open_session

WAIT = 10.0  # seconds for one event to reach every idler
MAX_MISSED = 20  # then the series is abandoned: the server is not pushing
LOGIN_CONCURRENCY = 4
FIRST_MESSAGE = 95_000_000  # corpus indices apart from every other workload's
MAX_SIZE = 20_000
_EXISTS = re.compile(rb"^\* (\d+) EXISTS")


class Watch:
    """The ``* n EXISTS`` arrivals of one IDLE connection, and waiters for them."""

    def __init__(self) -> None:
        self.arrivals: dict[int, float] = {}
        self.highest = 0
        self._waiters: list[tuple[int, asyncio.Future[float]]] = []

    def on_untagged(self, line: bytes) -> None:
        match = _EXISTS.match(line)
        if match is None:
            return
        now = time.monotonic()
        count = int(match.group(1))
        self.arrivals.setdefault(count, now)
        self.highest = max(self.highest, count)
        keep = []
        for wanted, future in self._waiters:
            if count >= wanted:
                if not future.done():
                    future.set_result(now)
            else:
                keep.append((wanted, future))
        self._waiters = keep

    async def wait(self, count: int, timeout: float) -> float | None:
        """When the EXISTS for ``count`` (or more) arrived; None if not within ``timeout``."""
        if self.highest >= count:
            return min(t for n, t in self.arrivals.items() if n >= count)
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append((count, future))
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return None


def nodelay(client: ImapClient) -> None:
    sock = client.writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def _idler(port: int, account: Account) -> tuple[ImapClient, Watch, int, str]:
    """A session in IDLE on INBOX; returns (client, watch, EXISTS at SELECT, IDLE tag)."""
    client = await open_session(port, account, timeout=300)
    nodelay(client)
    response = (await client.command("SELECT INBOX", keep=True, timeout=300)).ok()
    exists = next((int(m.group(1)) for x in response.untagged if (m := _EXISTS.match(x))), -1)
    watch = Watch()
    client.on_untagged = watch.on_untagged
    tag = await client.idle(timeout=300)
    return client, watch, exists, tag


class Series:
    """One series of events: latencies (seconds) of the IDLE client and of the last idler."""

    def __init__(self) -> None:
        self.first: list[float] = []
        self.last: list[float] = []
        self.append: list[float] = []
        self.missed = 0
        self.wrong: list[str] = []
        self.seconds = 0.0


async def _series(bench: Bench, server: Server, others: int, events: int, first_index: int,
                  usage: Usage) -> Series:  # fmt: skip
    account = bench.accounts["push"]
    out = Series()
    main, watch, exists, main_tag = await _idler(server.port, account)
    gate = asyncio.Semaphore(LOGIN_CONCURRENCY)

    async def one() -> tuple[ImapClient, Watch, int, str]:
        async with gate:
            return await _idler(server.port, account)

    extra = await asyncio.gather(*(one() for _ in range(others)))
    appender = await open_session(server.port, account)
    nodelay(appender)
    corpus = Corpus(bench.plan.seed, max_size=MAX_SIZE)
    try:
        for n, (_, _, seen, _) in enumerate(extra):
            if seen != exists:
                out.wrong.append(f"idler {n} selected {seen} messages, the IDLE client {exists}")
        watches = [watch] + [w for _, w, _, _ in extra]
        messages = [corpus.message(first_index + i) for i in range(events)]
        usage.restart()  # server CPU from here: the logins above are set-up
        started = time.monotonic()
        for data in messages:
            exists += 1
            await _event(appender, watches, exists, data, out)
            if out.missed > MAX_MISSED:
                raise ImapError(f"{out.missed} EXISTS not pushed within {WAIT}s on "
                                f"{server.name}; last EXISTS seen {watch.highest}")  # fmt: skip
        out.seconds = time.monotonic() - started
        for n, w in enumerate(watches):
            if w.highest != exists:
                out.wrong.append(f"idler {n} ended at EXISTS {w.highest}, expected {exists}")
    finally:
        await appender.logout()
        for client, _, _, tag in [(main, watch, 0, main_tag), *extra]:
            try:
                (await client.done(tag, timeout=60)).ok()
            except (ImapError, OSError) as exc:
                out.wrong.append(f"DONE failed: {exc!r}"[:200])
            await client.logout()
    return out


async def _event(appender: ImapClient, watches: list[Watch], count: int, data: bytes,
                 out: Series) -> None:  # fmt: skip
    """One APPEND, awaited at every idler; the latencies go into ``out``."""
    tag = appender.send("APPEND INBOX", literal=data)
    if appender.writer.transport.get_write_buffer_size():
        await appender.writer.drain()  # only when the kernel did not take it all at once
    sent = time.monotonic()
    # the tagged OK may come before or after the EXISTS: wait for both at once
    answer, *arrived = await asyncio.gather(
        appender.wait(tag, 60), *(w.wait(count, WAIT) for w in watches)
    )
    if answer.status != "OK":
        out.wrong.append(f"APPEND answered {answer.status} {answer.text[:200]!r}")
    out.append.append(answer.elapsed)
    if arrived[0] is None or any(t is None for t in arrived):
        out.missed += 1
    if arrived[0] is not None:
        out.first.append(arrived[0] - sent)
    if all(t is not None for t in arrived):
        out.last.append(max(t for t in arrived if t is not None) - sent)


def dovecot_settings(server: Server) -> str:
    """Dovecot's IDLE settings as its own doveconf reports them ("" for roost)."""
    conf = getattr(server, "conf", None)
    if server.name != "Dovecot" or conf is None:
        return ""
    names = ["mailbox_idle_check_interval", "imap_idle_notify_interval"]
    out = subprocess.run(["doveconf", "-c", str(conf), *names], capture_output=True, text=True,
                         check=False)  # fmt: skip
    return "; ".join(x.strip() for x in out.stdout.splitlines() if x.strip())


def run(bench: Bench, servers: list[Server]) -> None:
    plan = bench.plan
    series = [
        (f"7. IDLE push, 1 idler ({plan.push_events:,} events)", 0, plan.push_events),
        (f"7. IDLE push, {plan.push_fanout + 1} idlers ({plan.push_fanout_events:,} events)",
         plan.push_fanout, plan.push_fanout_events),
    ]  # fmt: skip
    for server in servers:
        first_index = FIRST_MESSAGE
        for name, others, events in series:
            bench.log(f"  {server.name}: {events} APPENDs, {others + 1} idler(s)")
            with bench.results.usage(name, server) as usage:
                out = asyncio.run(_series(bench, server, others, events, first_index, usage))
            first_index += events
            _report(bench, name, server, out, others)


def _report(bench: Bench, name: str, server: Server, out: Series, others: int) -> None:
    res = bench.results

    def ms(values: list[float], p: float) -> float:
        return percentile(values, p) * 1000

    res.set(name, "push latency p50", "ms", "lower", server.name, ms(out.first, 50))
    res.set(name, "push latency p99", "ms", "lower", server.name, ms(out.first, 99))
    res.set(name, "push latency max", "ms", "lower", server.name, ms(out.first, 100))
    if others:
        res.set(name, "last idler p50", "ms", "lower", server.name, ms(out.last, 50))
        res.set(name, "last idler p99", "ms", "lower", server.name, ms(out.last, 99))
        res.set(name, "last idler max", "ms", "lower", server.name, ms(out.last, 100))
    res.set(name, "events missed", "count", "lower", server.name, out.missed)
    settings = dovecot_settings(server)
    res.detail(
        f"- {name}, {server.name}: {len(out.first)} events in {out.seconds:.1f}s, "
        f"APPEND p50 {ms(out.append, 50):.2f} ms, IDLE client min {ms(out.first, 0):.2f} ms, "
        f"{out.missed} missed" + (f"; settings: {settings}" if settings else "")
    )
    bench.log(f"    p50 {ms(out.first, 50):.2f} ms, p99 {ms(out.first, 99):.2f} ms, "
              f"max {ms(out.first, 100):.2f} ms, missed {out.missed}")  # fmt: skip
    for text in out.wrong[:3]:
        res.note(f"{name} on {server.name}: {text}")
