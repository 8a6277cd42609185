"""Workload 8: QRESYNC resync of a big mailbox after changes made elsewhere (issue 3).

The mailbox: user ``qsync``'s INBOX, loaded like the big mailbox of workload
2 (``qresync_count`` messages, 100,000; ``--quick`` 2,000; same corpus,
flags and dates). Per server:

1. Device A logs in, ``ENABLE QRESYNC``, ``SELECT INBOX``, records
   UIDVALIDITY and HIGHESTMODSEQ, fetches ``UID FETCH 1:* (FLAGS)`` (its
   state) and logs out.
2. Device B makes ``qresync_changes`` (1,000) changes, one command (or
   pair) at a time, from a seeded generator, so both servers get the same
   changes: ~40 % flag changes (``UID STORE u +FLAGS.SILENT`` or ``-FLAGS``
   of \\Seen or \\Flagged on a random message, always a real change), ~30 %
   expunges of random messages A knew (``UID STORE u +FLAGS.SILENT
   (\\Deleted)`` then ``UID EXPUNGE u``, which must expunge exactly one),
   ~30 % APPENDs (APPENDUID gives the new UID). The suite keeps the model:
   UIDs, flags, what changed (``bench.workloads.qresync_model``).
3. ``SETTLE`` seconds later (a device comes back later, not within the
   second: Dovecot's Maildir rescans a ``cur/`` directory changed less than
   a second ago, ``MAILDIR_SYNC_SECS``), A comes back ``qresync_repeats``
   times: connect, LOGIN, ENABLE QRESYNC, ``SELECT INBOX (QRESYNC
   (uidvalidity modseq))``. Timed: the SELECT from its write to its tagged
   OK, and the whole from connect; octets received and server CPU for the
   SELECT. Checked: ``* VANISHED (EARLIER)`` is exactly the expunged UIDs,
   the FETCH responses are exactly the re-flagged and new messages still
   there, with the model's flags, and EXISTS is right. The first run is the
   real case (the first access after the changes: the server catches up
   then); the others are repeats.
4. The baseline, a client without QRESYNC: connect, LOGIN, ``SELECT INBOX``,
   ``UID FETCH 1:* (FLAGS)``, checked message by message against the model:
   ``qresync_repeats`` times now (repeats), then once more as a first access
   after B makes ``qresync_changes`` further changes (and ``SETTLE``).
"""

from __future__ import annotations

import asyncio
import random
import re
import statistics
import time
from dataclasses import dataclass

from bench.client import ImapClient, ImapError, Response, append_uid, quote
from bench.corpus import Corpus
from bench.procstat import cpu_seconds
from bench.servers import HOST, Account
from bench.workloads import Bench, Server, open_session
from bench.workloads.push import nodelay
from bench.workloads.qresync_model import (
    Model,
    UidBag,
    check_full,
    check_qresync,
    codes,
    fetched,
)

OP_TIMEOUT = 900.0
SETTLE = 3.0  # seconds between the last change and the first resync
FIRST_MESSAGE = 96_000_000  # corpus indices of the APPENDed messages
FLAGS_TOGGLED = ("\\Seen", "\\Flagged")
_EXPUNGE = re.compile(rb"^\* \d+ EXPUNGE")


@dataclass
class Snapshot:
    uidvalidity: int
    modseq: int
    flags: dict[int, frozenset[str]]
    seconds: float


# ------------------------------------------------------------ steps


async def _snapshot(port: int, account: Account) -> Snapshot:
    client = await open_session(port, account)
    try:
        started = time.perf_counter()
        (await client.command("ENABLE QRESYNC")).ok()
        got = codes((await client.command("SELECT INBOX", keep=True, timeout=OP_TIMEOUT)).ok())
        state = fetched(
            (await client.command("UID FETCH 1:* (FLAGS)", keep=True, timeout=OP_TIMEOUT)).ok()
        )
        seconds = time.perf_counter() - started
    finally:
        await client.logout()
    if "UIDVALIDITY" not in got or "HIGHESTMODSEQ" not in got:
        raise ImapError(f"SELECT after ENABLE QRESYNC gave no UIDVALIDITY/HIGHESTMODSEQ: {got}")
    if len(state) != got.get("EXISTS"):
        raise ImapError(f"UID FETCH 1:* (FLAGS) gave {len(state)} messages, EXISTS {got}")
    return Snapshot(got["UIDVALIDITY"], got["HIGHESTMODSEQ"], state, seconds)


async def _timed(client: ImapClient, command: str, model: Model, kind: str,
                 literal: bytes | None = None) -> Response:  # fmt: skip
    response = await client.command(command, literal=literal, keep=True, timeout=OP_TIMEOUT)
    model.times.setdefault(kind, []).append(response.elapsed)
    if response.status != "OK":
        model.problems.append(f"{command[:60]} -> {response.status} {response.text[:200]!r}")
    return response


async def _timed(client: ImapClient, command: str, model: Model, kind: str,
                 literal: bytes | None = None) -> Response:  # fmt: skip
    response = await client.command(command, literal=literal, keep=True, timeout=OP_TIMEOUT)
    model.times.setdefault(kind, []).append(response.elapsed)
    if response.status != "OK":
        model.problems.append(f"{command[:60]} -> {response.status} {response.text[:200]!r}")
    return response


async def _change(bench: Bench, port: int, flags: dict[int, frozenset[str]],
                  round_: int) -> tuple[Model, float]:  # fmt: skip
    """Device B's changes to a mailbox holding ``flags``; returns the model after them
    and their time. Expunges pick among the messages there before the round."""
    plan = bench.plan
    rng = random.Random(plan.seed * 7_919 + plan.qresync_changes * 31 + round_)
    model = Model(dict(flags))
    every, originals = UidBag(sorted(flags)), UidBag(sorted(flags))
    corpus = Corpus(plan.seed, max_size=plan.big_max_size)
    first = FIRST_MESSAGE + round_ * plan.qresync_changes
    client = await open_session(port, bench.accounts["qsync"])
    started = time.perf_counter()
    try:
        (await client.command("SELECT INBOX", timeout=OP_TIMEOUT)).ok()
        for n in range(plan.qresync_changes):
            roll = rng.random()
            if roll < 0.4:
                await _flag(client, model, every.choice(rng), rng.choice(FLAGS_TOGGLED))
            elif roll < 0.7 and originals.items:
                uid = originals.choice(rng)
                await _expunge(client, model, uid)
                originals.remove(uid)
                every.remove(uid)
            else:
                every.add(await _append(client, model, corpus.message(first + n)))
    finally:
        await client.logout()
    return model, time.perf_counter() - started


async def _flag(client: ImapClient, model: Model, uid: int, flag: str) -> None:
    sign = "-" if flag in model.flags[uid] else "+"  # always a real change
    await _timed(client, f"UID STORE {uid} {sign}FLAGS.SILENT ({flag})", model, "flag")
    model.flags[uid] = model.flags[uid] ^ {flag}
    model.changed.add(uid)


async def _expunge(client: ImapClient, model: Model, uid: int) -> None:
    await _timed(client, f"UID STORE {uid} +FLAGS.SILENT (\\Deleted)", model, "delete")
    answer = await _timed(client, f"UID EXPUNGE {uid}", model, "expunge")
    gone = sum(1 for x in answer.untagged if _EXPUNGE.match(x))
    if gone != 1:
        model.problems.append(f"UID EXPUNGE {uid} expunged {gone} messages")
    del model.flags[uid]
    model.expunged.add(uid)


async def _append(client: ImapClient, model: Model, data: bytes) -> int:
    answer = await _timed(client, "APPEND INBOX", model, "append", literal=data)
    uid = append_uid(answer)
    if uid is None:
        raise ImapError(f"APPEND gave no APPENDUID: {answer.text[:200]!r}")
    model.flags[uid] = frozenset()
    model.new.add(uid)
    return uid


@dataclass
class Run:
    select: float  # seconds, the measured command(s) only
    total: float  # seconds from connect
    octets: int  # received for the measured command(s)
    cpu: float  # server CPU seconds for them
    verdict: str  # "exact" or what was wrong


async def _connect(port: int, account: Account) -> ImapClient:
    client = await ImapClient.connect(HOST, port)
    nodelay(client)
    login = f"LOGIN {quote(account.name)} {quote(account.password)}"
    (await client.command(login)).ok()
    return client


async def _resync(server: Server, account: Account, snap: Snapshot, model: Model) -> Run:
    started = time.perf_counter()
    client = await _connect(server.port, account)
    try:
        (await client.command("ENABLE QRESYNC")).ok()
        cpu0, octets0 = cpu_seconds(server.pid), client.bytes_in
        t0 = time.perf_counter()
        command = f"SELECT INBOX (QRESYNC ({snap.uidvalidity} {snap.modseq}))"
        response = await client.command(command, keep=True, timeout=OP_TIMEOUT)
        t1 = time.perf_counter()
        octets, cpu = client.bytes_in - octets0, cpu_seconds(server.pid) - cpu0
    finally:
        await client.logout()
    return Run(t1 - t0, t1 - started, octets, cpu, check_qresync(response, model))


async def _full(server: Server, account: Account, model: Model) -> Run:
    started = time.perf_counter()
    client = await _connect(server.port, account)
    try:
        cpu0, octets0 = cpu_seconds(server.pid), client.bytes_in
        t0 = time.perf_counter()
        select = (await client.command("SELECT INBOX", keep=True, timeout=OP_TIMEOUT)).ok()
        response = await client.command("UID FETCH 1:* (FLAGS)", keep=True, timeout=OP_TIMEOUT)
        t1 = time.perf_counter()
        octets, cpu = client.bytes_in - octets0, cpu_seconds(server.pid) - cpu0
    finally:
        await client.logout()
    return Run(t1 - t0, t1 - started, octets, cpu, check_full(select, response, model))


# ------------------------------------------------------------ the workload


@dataclass
class Outcome:
    snap: Snapshot
    model: Model
    changing: float
    resyncs: list[Run]
    fulls: list[Run]  # repeats, then the first access after more changes


def _one_server(bench: Bench, server: Server, account: Account) -> Outcome:
    plan = bench.plan
    snap = asyncio.run(_snapshot(server.port, account))
    model, changing = asyncio.run(_change(bench, server.port, snap.flags, 1))
    time.sleep(SETTLE)
    resyncs = [asyncio.run(_resync(server, account, snap, model))
               for _ in range(plan.qresync_repeats)]  # fmt: skip
    fulls = [asyncio.run(_full(server, account, model)) for _ in range(plan.qresync_repeats)]
    more, _ = asyncio.run(_change(bench, server.port, model.flags, 2))
    model.problems += more.problems
    time.sleep(SETTLE)
    fulls.append(asyncio.run(_full(server, account, more)))
    return Outcome(snap, model, changing, resyncs, fulls)


def run(bench: Bench, servers: list[Server]) -> None:
    plan = bench.plan
    name = f"8. QRESYNC, {plan.qresync_count:,} msgs after {plan.qresync_changes:,} changes"
    account = bench.accounts["qsync"]
    for server in servers:
        bench.log(f"  {server.name}: snapshot, {plan.qresync_changes} changes, resyncs")
        with bench.results.usage(name, server):
            out = _one_server(bench, server, account)
        _report(bench, name, server, out)


def _report(bench: Bench, name: str, server: Server, out: Outcome) -> None:
    res, s = bench.results, server.name
    first, again = out.resyncs[0], out.resyncs[1:] or out.resyncs
    full_first, full_again = out.fulls[-1], out.fulls[:-1]

    def med(runs: list[Run], attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in runs)

    res.set(name, "QRESYNC SELECT, first after the changes", "s", "lower", s, first.select)
    res.set(name, "QRESYNC SELECT, repeated (median)", "s", "lower", s, med(again, "select"))
    res.set(name, "QRESYNC first: connect + LOGIN + ENABLE + SELECT", "s", "lower", s,
            first.total)  # fmt: skip
    res.set(name, "QRESYNC SELECT received", "KB", "lower", s, first.octets / 1e3)
    res.set(name, "QRESYNC SELECT server CPU, first", "s", "lower", s, first.cpu)
    res.set(name, "full: SELECT + UID FETCH 1:* (FLAGS), first", "s", "lower", s,
            full_first.select)  # fmt: skip
    res.set(name, "full: SELECT + UID FETCH, repeated (median)", "s", "lower", s,
            med(full_again, "select"))  # fmt: skip
    res.set(name, "full first: connect + LOGIN + SELECT + FETCH", "s", "lower", s,
            full_first.total)  # fmt: skip
    res.set(name, "full resync received", "KB", "lower", s, full_first.octets / 1e3)
    res.set(name, "full resync server CPU, first", "s", "lower", s, full_first.cpu)
    exact = all(r.verdict == "exact" for r in out.resyncs + out.fulls)
    res.set(name, "answers checked against the model", "", "", s, "exact" if exact else "WRONG")
    res.set(name, f"making the {bench.plan.qresync_changes:,} changes", "s", "lower", s,
            out.changing)  # fmt: skip
    _details(bench, name, s, out)


def _details(bench: Bench, name: str, s: str, out: Outcome) -> None:
    res, model, snap = bench.results, out.model, out.snap
    kinds = ", ".join(
        f"{k} x{len(v)} p50 {statistics.median(v) * 1000:.1f} ms" for k, v in model.times.items()
    )
    res.detail(
        f"- {name}, {s}: snapshot (ENABLE, SELECT, UID FETCH 1:* (FLAGS)) {snap.seconds:.2f}s, "
        f"UIDVALIDITY {snap.uidvalidity}, HIGHESTMODSEQ {snap.modseq}; changes: "
        f"{len(model.changed)} messages re-flagged, {len(model.expunged)} expunged, "
        f"{len(model.new)} appended, {len(model.flags):,} left, in {out.changing:.1f}s "
        f"({kinds}); expected FETCH {len(model.expected_fetch())}"
    )
    for label, runs in (("QRESYNC", out.resyncs), ("full (last: first access)", out.fulls)):
        listing = "; ".join(f"{r.select:.3f}s / {r.total:.3f}s, {r.octets:,} octets, CPU "
                            f"{r.cpu:.2f}s, {r.verdict}" for r in runs)  # fmt: skip
        res.detail(f"- {name}, {s}: {label} runs (command / from connect): {listing}")
    for run_ in out.resyncs + out.fulls:
        if run_.verdict != "exact":
            res.note(f"{name} on {s}: answer not exact: {run_.verdict[:600]}")
            break
    for text in model.problems[:3]:
        res.note(f"{name} on {s}: {text}")
    first, full = out.resyncs[0], out.fulls[-1]
    bench.log(f"    QRESYNC SELECT first {first.select:.3f}s ({first.octets / 1e3:.1f} KB, "
              f"{first.verdict[:80]}), full first {full.select:.3f}s "
              f"({full.octets / 1e3:.0f} KB, {full.verdict[:80]})")  # fmt: skip
