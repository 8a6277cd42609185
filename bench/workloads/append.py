"""Workload 3: APPEND throughput from 1 session and from 20 sessions.

Each session logs in as its own user and appends its messages to INBOX one
after another (``APPEND INBOX (\\Seen) {n+}``, the literal sent with the
command: no round trip for a continuation). The messages come from the
corpus with its full size distribution (1 KB to several MB) and are made
before the clock starts; both servers get the very same messages. Figures:
messages/s and MB/s over the wall time from the common start to the last
OK, and the latency of one APPEND. Logins happen before the clock starts,
and server CPU time is measured from the start of the clock.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bench.client import Recorder
from bench.corpus import Corpus
from bench.report import percentile
from bench.servers import Account
from bench.workers import run_workers, split
from bench.workloads import Bench, Server, open_session

BASE = 80_000_000  # corpus indices apart from every other workload's


@dataclass(frozen=True)
class AppendSpec:
    port: int
    account: Account
    first: int
    count: int
    corpus_seed: int


def _worker(specs: list[AppendSpec], ready) -> tuple:  # noqa: ANN001
    messages = []
    for spec in specs:
        corpus = Corpus(spec.corpus_seed)
        messages.append([corpus.message(spec.first + i) for i in range(spec.count)])
    rec = Recorder()
    ended = [0.0]

    async def main() -> None:
        # log in first: the clock covers the APPENDs only
        clients = [await open_session(spec.port, spec.account) for spec in specs]
        await asyncio.get_running_loop().run_in_executor(None, ready)
        try:
            await asyncio.gather(*(one(c, b) for c, b in zip(clients, messages, strict=True)))
            ended[0] = time.monotonic()
        finally:
            for client in clients:
                await client.logout()

    async def one(client, batch: list[bytes]) -> None:  # noqa: ANN001
        client.recorder = rec
        for data in batch:
            (await client.command("APPEND INBOX (\\Seen)", literal=data, timeout=300)).ok()
        client.recorder = None

    asyncio.run(main())
    return rec.plain(), ended[0], sum(len(m) for b in messages for m in b)


def run(bench: Bench, servers: list[Server]) -> None:
    plan = bench.plan
    for sessions, each in ((1, plan.append_single), (plan.append_sessions, plan.append_each)):
        name = f"3. APPEND, {sessions} session{'s' if sessions > 1 else ''}"
        for server in servers:
            specs = [
                AppendSpec(
                    server.port, bench.accounts[f"app{n:02d}"], BASE + n * 10_000, each, plan.seed
                )  # fmt: skip
                for n in range(sessions)
            ]
            bench.log(f"  {server.name}: {sessions} x {each} messages")
            with bench.results.usage(name, server) as usage:
                t0, results = run_workers(_worker, split(specs, plan.processes), timeout=1800,
                                          on_start=usage.restart)  # fmt: skip
            wall = max(r[1] for r in results) - t0
            rec = Recorder()
            for plain, _, _ in results:
                rec.merge(Recorder.from_plain(plain))
            size = sum(r[2] for r in results)
            count = len(rec.latencies.get("APPEND", []))
            res = bench.results
            res.set(name, "messages/s", "msg/s", "higher", server.name, count / wall)
            res.set(name, "MB/s", "MB/s", "higher", server.name, size / wall / 1e6)
            lat = rec.latencies.get("APPEND", [])
            res.set(name, "APPEND latency p50", "ms", "lower", server.name,
                    percentile(lat, 50) * 1000)  # fmt: skip
            res.set(name, "APPEND latency p99", "ms", "lower", server.name,
                    percentile(lat, 99) * 1000)  # fmt: skip
            errors = sum(rec.errors.values())
            if errors:
                res.note(f"{name}: {errors} APPENDs failed on {server.name}")
            res.detail(f"- {name}, {server.name}: {count} messages, {size / 1e6:.1f} MB "
                       f"in {wall:.2f}s")  # fmt: skip
