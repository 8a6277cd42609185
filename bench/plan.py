"""The sizes of one benchmark run: ``full()`` (about 40 minutes here) or ``quick()``.

Every count, duration and concurrency of every workload lives here, so the
report can state them and ``--quick`` is one switch.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

WORKLOADS = ("mixed", "bigmailbox", "append", "idle", "login", "compress", "push", "qresync")


@dataclass(frozen=True)
class Plan:
    quick: bool
    seed: int = 1
    processes: int = 2  # load-generator processes (this machine has 2 cores)
    # (1) mixed traffic
    mixed_sessions: tuple[int, ...] = (10, 100)
    mixed_duration: float = 40.0
    mixed_inbox: int = 300  # messages in each mixed user's INBOX
    # (2) big mailbox
    big_count: int = 100_000
    growth: tuple[int, ...] = (10_000, 100_000)
    copy_count: int = 10_000
    big_max_size: int = 64_000  # bytes; keeps 100k messages at ~1.5 GB per server
    # (3) APPEND throughput
    append_single: int = 1000  # long enough that one run is not a matter of noise
    append_sessions: int = 20
    append_each: int = 150
    # (4) IDLE
    idle_connections: int = 10_000
    idle_per_user: int = 10
    push_samples: int = 20
    # (5) login
    login_duration: float = 20.0
    login_concurrency: int = 8
    login_users: int = 10
    # (6) COMPRESS=DEFLATE
    compress_count: int = 2_000
    # (7) IDLE push latency: APPENDs one at a time, each awaited at the idler
    push_events: int = 1_000
    push_fanout: int = 100  # other idlers on the same mailbox, second series
    push_fanout_events: int = 200
    # (8) QRESYNC resync after changes made while the client was away
    qresync_count: int = 100_000
    qresync_changes: int = 1_000
    qresync_repeats: int = 3

    @property
    def mixed_users(self) -> int:
        return max(1, max(self.mixed_sessions) // 2)  # two devices per user

    @property
    def idle_users(self) -> int:
        return max(1, self.idle_connections // self.idle_per_user)

    @classmethod
    def full(cls, million: bool = False) -> Plan:
        plan = cls(quick=False)
        if million:
            plan = dataclasses.replace(plan, growth=(*plan.growth, 1_000_000))
        return plan

    @classmethod
    def small(cls) -> Plan:
        return cls(
            quick=True,
            mixed_sessions=(4, 10),
            mixed_duration=8.0,
            mixed_inbox=100,
            big_count=2_000,
            growth=(200, 2_000),
            copy_count=200,
            append_single=40,
            append_sessions=4,
            append_each=10,
            idle_connections=500,
            push_samples=5,
            login_duration=5.0,
            login_concurrency=4,
            login_users=4,
            compress_count=300,
            push_events=50,
            push_fanout=10,
            push_fanout_events=20,
            qresync_count=2_000,
            qresync_changes=300,
        )

    def describe(self) -> list[str]:
        return [f"{f.name}={getattr(self, f.name)}" for f in dataclasses.fields(self)]
