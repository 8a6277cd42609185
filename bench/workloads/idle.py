"""Workload 4: N concurrent connections in IDLE (10,000; ``--quick`` 500).

The idlers are spread over worker processes; each logs in (users with cheap
Argon2 hashes: the logins are set-up here, not the measurement), selects
INBOX and enters IDLE, 10 connections per user. When all are idling the
parent reads the server's memory (RSS summed over its processes, and PSS,
which shares a page among the processes mapping it), compares it with the
reading taken before the first connection, and divides by the connections.

Push latency: for a sample of users the parent APPENDs a message to the
user's INBOX on its own connection and each of that user's idlers records
when its ``* n EXISTS`` arrives (CLOCK_MONOTONIC is shared by all processes);
latency = arrival - moment the APPEND was sent. Samples are 0.5 s apart.

Safety: a worker stops opening connections when MemAvailable drops under
2 GiB and reports how many it holds; connections are closed with RST so no
TIME_WAIT is left on the client side.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import re
import time
from dataclasses import dataclass

from bench.client import ImapClient, ImapError
from bench.corpus import Corpus
from bench.procstat import mem_available, process_count, pss_bytes, rss_bytes, tree
from bench.report import percentile
from bench.servers import Account, raise_nofile
from bench.workloads import Bench, Server, open_session

MIN_AVAILABLE = 2 * 2**30
CONNECT_CONCURRENCY = 32  # logins in flight per worker
SETUP_TIMEOUT = 900.0
PUSH_WAIT = 10.0
_EXISTS = re.compile(rb"^\* \d+ EXISTS")
_CTX = mp.get_context("fork")


@dataclass(frozen=True)
class IdleSpec:
    port: int
    accounts: tuple[Account, ...]  # one entry per connection


class _Idler:
    def __init__(self, user: str, arrivals: dict[str, list[float]]) -> None:
        self.user = user
        self.arrivals = arrivals
        self.client: ImapClient | None = None

    def on_untagged(self, line: bytes) -> None:
        if _EXISTS.match(line):
            self.arrivals.setdefault(self.user, []).append(time.monotonic())

    async def start(self, port: int, account: Account) -> None:
        client = await open_session(port, account, timeout=300)
        self.client = client
        (await client.command("SELECT INBOX", timeout=300)).ok()
        client.on_untagged = self.on_untagged
        await client.idle(timeout=300)


async def _hold(spec: IdleSpec, conn) -> None:  # noqa: ANN001
    arrivals: dict[str, list[float]] = {}
    idlers: list[_Idler] = []
    failures: list[str] = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    low_memory = False

    async def open_one(account: Account) -> None:
        nonlocal low_memory
        async with gate:
            if low_memory or mem_available() < MIN_AVAILABLE:
                low_memory = True
                return
            idler = _Idler(account.name, arrivals)
            try:
                await idler.start(spec.port, account)
                idlers.append(idler)
            except (ImapError, OSError) as exc:
                failures.append(repr(exc)[:200])
                if idler.client is not None:
                    await idler.client.close(reset=True)

    await asyncio.gather(*(open_one(a) for a in spec.accounts))
    loop = asyncio.get_running_loop()
    conn.send(("ready", len(idlers), failures[:3], len(failures), low_memory))
    while True:
        message = await loop.run_in_executor(None, conn.recv)
        if message == "collect":
            alive = sum(1 for i in idlers if i.client and not i.client.closed.is_set())
            conn.send((dict(arrivals), alive))
        elif message == "stop":
            break
    for idler in idlers:
        if idler.client is not None:
            await idler.client.close(reset=True)
    conn.send("stopped")


def _worker(spec: IdleSpec, conn) -> None:  # noqa: ANN001
    raise_nofile()
    try:
        asyncio.run(_hold(spec, conn))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        conn.send(("error", repr(exc)))


def _recv(conn, timeout: float):  # noqa: ANN001, ANN202
    if not conn.poll(timeout):
        raise TimeoutError("idle worker did not answer")
    return conn.recv()


async def _push(bench: Bench, server: Server, users: list[Account]) -> list[tuple[str, float]]:
    """APPEND to each sampled user; returns (user, send time)."""
    corpus = Corpus(bench.plan.seed, max_size=20_000)
    sent = []
    for n, account in enumerate(users):
        client = await open_session(server.port, account)
        try:
            data = corpus.message(90_000_000 + n)
            started = time.monotonic()
            (await client.command("APPEND INBOX", literal=data, timeout=60)).ok()
            sent.append((account.name, started))
        finally:
            await client.logout()
        await asyncio.sleep(0.5)
    return sent


def run(bench: Bench, servers: list[Server]) -> None:
    plan = bench.plan
    name = f"4. IDLE, {plan.idle_connections:,} connections"
    users = [bench.accounts[f"idle{n:05d}"] for n in range(plan.idle_users)]
    per_connection = [users[n % len(users)] for n in range(plan.idle_connections)]
    sample = users[:: max(1, len(users) // plan.push_samples)][: plan.push_samples]
    for server in servers:
        bench.log(f"  {server.name}: opening {plan.idle_connections:,} IDLE connections")
        with bench.results.usage(name, server):
            _one_server(bench, name, server, per_connection, sample)


def _one_server(bench: Bench, name: str, server: Server, per_connection: list[Account],
                sample: list[Account]) -> None:  # fmt: skip
    res, plan = bench.results, bench.plan
    rss0, pss0 = rss_bytes(server.pid), pss_bytes(tree(server.pid))
    procs0 = process_count(server.pid)
    pipes, procs = [], []
    for part in range(plan.processes):
        parent, child = _CTX.Pipe()
        spec = IdleSpec(server.port, tuple(per_connection[part :: plan.processes]))
        proc = _CTX.Process(target=_worker, args=(spec, child), daemon=True)
        proc.start()
        pipes.append(parent)
        procs.append(proc)
    try:
        started = time.perf_counter()
        ready = [_recv(p, SETUP_TIMEOUT) for p in pipes]
        for answer in ready:
            if answer[0] != "ready":
                raise RuntimeError(f"idle worker failed: {answer}")
        held = sum(a[1] for a in ready)
        failed = sum(a[3] for a in ready)
        setup = time.perf_counter() - started
        bench.log(f"    {held:,} idling after {setup:.0f}s ({failed} failed)")
        time.sleep(2)  # let the server settle (login processes, GC)
        rss1, pss1 = rss_bytes(server.pid), pss_bytes(tree(server.pid))
        procs1 = process_count(server.pid)
        sent = asyncio.run(_push(bench, server, sample))
        time.sleep(min(PUSH_WAIT, 2.0))
        for p in pipes:
            p.send("collect")
        collected = [_recv(p, 120) for p in pipes]
        alive = sum(c[1] for c in collected)
        latencies, missing = _latencies(sent, [c[0] for c in collected], plan.idle_per_user)
        for p in pipes:
            p.send("stop")
        for p in pipes:
            _recv(p, 300)
    finally:
        for proc in procs:
            proc.join(30)
            if proc.is_alive():
                proc.kill()
    per = max(held, 1)
    res.set(name, "connections held", "count", "higher", server.name, held)
    res.set(name, "RSS per connection", "KiB", "lower", server.name, (rss1 - rss0) / per / 1024)
    res.set(name, "PSS per connection", "KiB", "lower", server.name, (pss1 - pss0) / per / 1024)
    res.set(name, "push latency p50", "ms", "lower", server.name, percentile(latencies, 50) * 1000)
    res.set(name, "push latency p99", "ms", "lower", server.name, percentile(latencies, 99) * 1000)
    res.set(name, "time to open all", "s", "lower", server.name, setup)
    res.detail(
        f"- {name}, {server.name}: held {held:,} ({failed} failed, {alive:,} still open at the end), "
        f"RSS {rss0 / 2**20:.0f} -> {rss1 / 2**20:.0f} MiB, PSS {pss0 / 2**20:.0f} -> "
        f"{pss1 / 2**20:.0f} MiB, processes {procs0} -> {procs1}, push samples "
        f"{len(latencies)} ({missing} idlers saw no EXISTS within the wait)"
    )
    if any(a[4] for a in ready):
        res.note(f"IDLE on {server.name}: stopped opening connections at MemAvailable < 2 GiB")
    if failed:
        res.note(f"IDLE on {server.name}: {failed} connections failed, e.g. {ready[0][2][:1]}")


def _latencies(sent: list[tuple[str, float]], arrivals: list[dict[str, list[float]]],
               per_user: int) -> tuple[list[float], int]:  # fmt: skip
    merged: dict[str, list[float]] = {}
    for part in arrivals:
        for user, times in part.items():
            merged.setdefault(user, []).extend(times)
    out, missing = [], 0
    for user, t_sent in sent:
        got = [t - t_sent for t in merged.get(user, []) if t >= t_sent]
        out += got
        missing += max(0, per_user - len(got))
    return out, missing
