"""Workload 1: mixed client traffic from N concurrent sessions.

Each session is one device of a user (two devices per user, so sessions see
each other's changes): LOGIN, SELECT INBOX, a resync ``UID FETCH 1:* (FLAGS)``,
then commands drawn with the weights below until the common deadline, then
LOGOUT. Every session's first LOGIN+SELECT happens before the clock starts
(100 Argon2id checks take ~40 CPU-seconds here and would swamp the window);
with probability ``RECONNECT`` per command a session logs out and logs in
again (a device reconnecting), so LOGIN is still part of the traffic. Server
CPU time is measured over the timed window; peak RSS over the whole step. Commands are sent one at a time, as most
clients do in a mailbox; every command's latency is recorded by name.

Weights (per 100 commands): NOOP 20 (polling), FETCH hdr 22 (a window of
20 messages: size, flags, date and the list headers), FETCH body 14 (one
whole message), FETCH struct 6 (BODYSTRUCTURE), STORE 16 (\\Seen/\\Flagged
on and off), SEARCH 8 (UNSEEN, SUBJECT, FROM, SINCE), APPEND 7 (a corpus
message), EXPUNGE 5 (STORE \\Deleted on this session's own appended
messages, then EXPUNGE), SELECT 2 (re-select INBOX + FLAGS resync).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

from bench.client import ImapClient, ImapError, Recorder, append_uid, fetch_uids
from bench.corpus import Corpus
from bench.report import percentile
from bench.servers import Account
from bench.workers import run_workers, split
from bench.workloads import Bench, Server, open_session

RECONNECT = 1 / 3000
WEIGHTS = {
    "NOOP": 20, "FETCH hdr": 22, "FETCH body": 14, "FETCH struct": 6, "STORE": 16,
    "SEARCH": 8, "APPEND": 7, "EXPUNGE": 5, "SELECT": 2,
}  # fmt: skip
HEADER_ITEMS = (
    "(UID RFC822.SIZE FLAGS INTERNALDATE "
    "BODY.PEEK[HEADER.FIELDS (DATE FROM TO CC SUBJECT MESSAGE-ID)])"
)
SEARCHES = ("UNSEEN", 'SUBJECT "invoice"', 'FROM "user07"', "SINCE 1-Jun-2023")
APPEND_BASE = 50_000_000  # corpus indices for appended messages, apart from loaded ones


@dataclass(frozen=True)
class SessionSpec:
    port: int
    account: Account
    seed: int
    corpus_seed: int
    duration: float


class _Session:
    def __init__(self, spec: SessionSpec, rec: Recorder) -> None:
        self.spec = spec
        self.rec = rec
        self.rng = random.Random(spec.seed)
        self.corpus = Corpus(spec.corpus_seed, max_size=1_000_000)
        self.uids: list[int] = []
        self.own: list[int] = []
        self.appended = 0

    async def connect(self) -> ImapClient | None:
        """LOGIN + SELECT + resync; None (error recorded) when that fails."""
        try:
            client = await open_session(self.spec.port, self.spec.account, self.rec)
        except (ImapError, OSError) as exc:
            self.rec.error("connect", repr(exc)[:200])
            return None
        try:
            await self._select(client)
        except (ImapError, OSError) as exc:
            self.rec.error("session", repr(exc)[:200])
            await client.close()
            return None
        return client

    async def run(self, client: ImapClient | None, deadline: float) -> None:
        while time.monotonic() < deadline:
            if client is None:
                client = await self.connect()
                if client is None:
                    await asyncio.sleep(0.5)
                    continue
            try:
                while time.monotonic() < deadline:
                    if self.rng.random() < RECONNECT:
                        break
                    await self._one(client)
                await client.logout()
            except (ImapError, OSError) as exc:
                self.rec.error("session", repr(exc)[:200])
                await client.close()
            client = None

    async def _select(self, client) -> None:  # noqa: ANN001
        (await client.command("SELECT INBOX")).ok()
        resync = await client.command("UID FETCH 1:* (FLAGS)", label="FETCH flags", keep=True)
        self.uids = fetch_uids(resync.ok()) or [1]

    async def _one(self, client) -> None:  # noqa: ANN001
        kind = self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        rng, uid = self.rng, self.rng.choice(self.uids)
        if kind == "NOOP":
            await client.command("NOOP")
        elif kind == "FETCH hdr":
            start = rng.randrange(max(1, len(self.uids) - 20))
            window = self.uids[start : start + 20]
            await client.command(f"UID FETCH {window[0]}:{window[-1]} {HEADER_ITEMS}", label=kind)
        elif kind == "FETCH body":
            await client.command(f"UID FETCH {uid} (BODY.PEEK[])", label=kind)
        elif kind == "FETCH struct":
            await client.command(f"UID FETCH {uid} (BODYSTRUCTURE)", label=kind)
        elif kind == "STORE":
            change = rng.choice(("+FLAGS.SILENT (\\Seen)", "-FLAGS.SILENT (\\Seen)",
                                 "+FLAGS (\\Flagged)", "-FLAGS (\\Flagged)"))  # fmt: skip
            await client.command(f"UID STORE {uid} {change}", label=kind)
        elif kind == "SEARCH":
            await client.command(f"UID SEARCH {rng.choice(SEARCHES)}", label=kind)
        elif kind == "APPEND":
            await self._append(client)
        elif kind == "EXPUNGE":
            await self._expunge(client)
        else:
            await self._select(client)

    async def _append(self, client) -> None:  # noqa: ANN001
        index = APPEND_BASE + self.spec.seed * 100_000 + self.appended
        self.appended += 1
        data = self.corpus.message(index)
        response = await client.command("APPEND INBOX (\\Seen)", literal=data, label="APPEND")
        uid = append_uid(response)
        if uid is not None:
            self.own.append(uid)
            self.uids.append(uid)

    async def _expunge(self, client) -> None:  # noqa: ANN001
        if not self.own:
            await client.command("NOOP")
            return
        uids = ",".join(map(str, self.own))
        await client.command(f"UID STORE {uids} +FLAGS.SILENT (\\Deleted)", label="STORE")
        await client.command("EXPUNGE")
        gone = set(self.own)
        self.uids = [u for u in self.uids if u not in gone] or [1]
        self.own = []


def _worker(specs: list[SessionSpec], ready) -> tuple:  # noqa: ANN001
    setup, rec = Recorder(), Recorder()

    async def main() -> None:
        # the first LOGIN of every session happens before the clock starts
        sessions = [_Session(s, setup) for s in specs]
        clients = await asyncio.gather(*(s.connect() for s in sessions))
        await asyncio.get_running_loop().run_in_executor(None, ready)
        deadline = time.monotonic() + specs[0].duration
        for session, client in zip(sessions, clients, strict=True):
            session.rec = rec
            if client is not None:
                client.recorder = rec
        await asyncio.gather(*(s.run(c, deadline) for s, c in zip(sessions, clients, strict=True)))

    asyncio.run(main())
    return rec.plain(), time.monotonic(), setup.plain()


def run(bench: Bench, servers: list[Server]) -> None:
    plan = bench.plan
    users = [bench.accounts[f"mix{n:03d}"] for n in range(plan.mixed_users)]
    for sessions in plan.mixed_sessions:
        name = f"1. mixed, {sessions} sessions"
        for server in servers:
            specs = [
                SessionSpec(
                    server.port, users[(n // 2) % len(users)], n + 1, plan.seed, plan.mixed_duration
                )  # fmt: skip
                for n in range(sessions)
            ]
            bench.log(f"  {server.name}: {sessions} sessions for {plan.mixed_duration:.0f}s")
            with bench.results.usage(name, server) as usage:
                t0, results = run_workers(_worker, split(specs, plan.processes),
                                          timeout=plan.mixed_duration + 900,
                                          on_start=usage.restart)  # fmt: skip
            end = max(r[1] for r in results)
            rec, setup = Recorder(), Recorder()
            for plain, _, setup_plain in results:
                rec.merge(Recorder.from_plain(plain))
                setup.merge(Recorder.from_plain(setup_plain))
            _report(bench, name, server.name, rec, end - t0)
            first = setup.latencies.get("LOGIN", [])
            bench.results.detail(
                f"- {name}, {server.name}: first logins (before the clock) "
                f"n={len(first)} p50={percentile(first, 50) * 1000:.0f}ms "
                f"max={max(first, default=0) * 1000:.0f}ms, errors {dict(setup.errors)}"
            )  # fmt: skip
            for sample in setup.samples:
                bench.results.note(f"{name}, {server.name}: failed while connecting: `{sample}`")


def _report(bench: Bench, name: str, server: str, rec: Recorder, wall: float) -> None:
    res = bench.results
    everything = [x for values in rec.latencies.values() for x in values]
    res.set(name, "throughput", "commands/s", "higher", server, len(everything) / wall)
    res.set(name, "latency p50 (all commands)", "ms", "lower", server,
            percentile(everything, 50) * 1000)  # fmt: skip
    res.set(name, "latency p99 (all commands)", "ms", "lower", server,
            percentile(everything, 99) * 1000)  # fmt: skip
    res.set(name, "errors (NO/BAD/dropped)", "count", "lower", server, sum(rec.errors.values()))
    parts = []
    for label in sorted(rec.latencies):
        values = rec.latencies[label]
        parts.append(f"{label} n={len(values)} p50={percentile(values, 50) * 1000:.1f}ms "
                     f"p99={percentile(values, 99) * 1000:.1f}ms")  # fmt: skip
    errors = ", ".join(f"{k}={v}" for k, v in sorted(rec.errors.items())) or "none"
    res.detail(f"- {name}, {server}: " + "; ".join(parts) + f"; errors: {errors}")
    for sample in rec.samples:
        res.note(f"{name}, {server}: failed command: `{sample}`")
