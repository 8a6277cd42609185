"""Workload 5: login rate with Argon2id (m=64 MiB, t=3, p=1 on both servers).

``login_concurrency`` clients (spread over the worker processes) each loop
for ``login_duration`` seconds: connect, LOGIN as one of ``login_users``
users (round robin), LOGOUT. Figures: successful logins per second and the
LOGIN latency. Run without an authentication cache on both servers, and with
one: Dovecot's ``auth_cache`` (a second private instance configured with
``auth_cache_size = 10M``); roost has no auth cache, so that row says n/a.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bench.client import ImapError, Recorder
from bench.report import percentile
from bench.servers import Account
from bench.workers import run_workers, split
from bench.workloads import Bench, Server, open_session


@dataclass(frozen=True)
class LoginSpec:
    port: int
    accounts: tuple[Account, ...]
    offset: int
    duration: float


def _worker(specs: list[LoginSpec], ready) -> tuple:  # noqa: ANN001
    ready()
    deadline = time.monotonic() + specs[0].duration
    rec = Recorder()

    async def loop(spec: LoginSpec) -> None:
        n = spec.offset
        while time.monotonic() < deadline:
            account = spec.accounts[n % len(spec.accounts)]
            n += 1
            try:
                client = await open_session(spec.port, account, rec, timeout=60)
            except (ImapError, OSError) as exc:
                rec.error("LOGIN", repr(exc)[:200])
                await asyncio.sleep(0.1)
                continue
            await client.logout()

    async def main() -> None:
        await asyncio.gather(*(loop(s) for s in specs))

    asyncio.run(main())
    return rec.plain(), time.monotonic()


def measure(bench: Bench, name: str, server: Server) -> None:
    plan = bench.plan
    accounts = tuple(bench.accounts[f"login{n:02d}"] for n in range(plan.login_users))
    specs = [LoginSpec(server.port, accounts, n, plan.login_duration)
             for n in range(plan.login_concurrency)]  # fmt: skip
    bench.log(f"  {server.name}: {plan.login_concurrency} clients for {plan.login_duration:.0f}s")
    with bench.results.usage(name, server):
        t0, results = run_workers(_worker, split(specs, plan.processes),
                                  timeout=plan.login_duration + 300)  # fmt: skip
    wall = max(r[1] for r in results) - t0
    rec = Recorder()
    for plain, _ in results:
        rec.merge(Recorder.from_plain(plain))
    lat = rec.latencies.get("LOGIN", [])
    res = bench.results
    res.set(name, "logins/s", "1/s", "higher", server.name, len(lat) / wall)
    res.set(name, "LOGIN latency p50", "ms", "lower", server.name, percentile(lat, 50) * 1000)
    res.set(name, "LOGIN latency p99", "ms", "lower", server.name, percentile(lat, 99) * 1000)
    errors = rec.errors.get("LOGIN", 0)
    if errors:
        res.note(f"{name}: {errors} logins failed on {server.name}, e.g. {rec.samples[:1]}")
