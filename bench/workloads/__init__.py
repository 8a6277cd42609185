"""The eight workloads; each runs the same steps against both servers in turn.

Every workload module has ``run(bench: Bench, servers: list[Server]) -> None``
and writes its figures into ``bench.results``. ``Server`` is anything with
``name``, ``port`` and ``pid`` (``bench.roost_server.Roost``,
``bench.dovecot.Dovecot``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bench.client import ImapClient, Recorder, quote
from bench.plan import Plan
from bench.report import Results
from bench.servers import HOST, Account


class Server(Protocol):
    name: str
    port: int

    @property
    def pid(self) -> int: ...


@dataclass
class Bench:
    plan: Plan
    results: Results
    accounts: dict[str, Account]
    log: Callable[[str], None]
    shared: dict[str, object] = field(default_factory=dict)  # across the per-server calls


async def open_session(port: int, account: Account, recorder: Recorder | None = None,
                timeout: float = 120.0) -> ImapClient:  # fmt: skip
    """Connect to 127.0.0.1:port and LOGIN; raises ImapError on failure."""
    client = await ImapClient.connect(HOST, port, recorder, timeout=timeout)
    try:
        (await client.command(
            f"LOGIN {quote(account.name)} {quote(account.password)}", timeout=timeout
        )).ok()  # fmt: skip
    except BaseException:
        await client.close()
        raise
    return client
