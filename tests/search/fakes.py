"""A small in-memory SearchMessage for evaluator tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime


@dataclass
class FakeMessage:
    seq: int = 1
    uid: int = 1
    flags: frozenset[str] = frozenset()
    internaldate: datetime = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
    size: int = 1000
    modseq: int = 1
    recent: bool = False
    headers: dict[str, list[str]] = field(default_factory=dict)  # keys lower case
    body: str = ""
    sent: date | None = None
    calls: list[str] = field(default_factory=list)

    def header(self, name: str) -> list[str]:
        self.calls.append("header")
        return self.headers.get(name.lower(), [])

    def header_block(self) -> str:
        self.calls.append("header_block")
        return "".join(f"{k}: {v}\r\n" for k, vs in self.headers.items() for v in vs)

    def text(self) -> str:
        self.calls.append("text")
        return self.body

    def sent_date(self) -> date | None:
        self.calls.append("sent_date")
        return self.sent
