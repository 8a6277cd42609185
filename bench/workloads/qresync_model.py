"""The model behind workload 8 (``qresync``): what the mailbox holds, and the checks.

Pure helpers, no I/O: parsing the responses the checks need (FETCH UID and
FLAGS, ``* VANISHED (EARLIER)`` sets, UIDVALIDITY / HIGHESTMODSEQ / EXISTS),
the model of the mailbox that device B's changes keep up to date, and the
comparison of a resync answer with it. \\Recent is ignored everywhere (which
session sees a message first is not what is measured).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from bench.client import Response

RECENT = "\\Recent"
_UID = re.compile(rb"[( ]UID (\d+)")
_FLAGS = re.compile(rb"FLAGS \(([^)]*)\)")
_CODE = re.compile(rb"^\* OK \[(UIDVALIDITY|HIGHESTMODSEQ) (\d+)\]")
_EXISTS = re.compile(rb"^\* (\d+) EXISTS")
_FETCH = re.compile(rb"^\* \d+ FETCH ")
_VANISHED = b"* VANISHED (EARLIER) "


def uid_set(text: str) -> set[int]:
    out: set[int] = set()
    for part in text.split(","):
        low, _, high = part.partition(":")
        a, b = int(low), int(high or low)
        out.update(range(min(a, b), max(a, b) + 1))
    return out


def fetched(response: Response) -> dict[int, frozenset[str]]:
    """UID -> flags (without \\Recent) of the FETCH responses."""
    out = {}
    for line in response.untagged:
        if not _FETCH.match(line):
            continue
        uid, flags = _UID.search(line), _FLAGS.search(line)
        if uid is None or flags is None:
            continue
        names = flags.group(1).decode(errors="replace").split()
        out[int(uid.group(1))] = frozenset(f for f in names if f != RECENT)
    return out


def vanished(response: Response) -> set[int]:
    out: set[int] = set()
    for line in response.untagged:
        if line.startswith(_VANISHED):
            out |= uid_set(line[len(_VANISHED) :].decode().strip())
    return out


def codes(response: Response) -> dict[str, int]:
    out = {}
    for line in response.untagged:
        if m := _CODE.match(line):
            out[m.group(1).decode()] = int(m.group(2))
        elif m := _EXISTS.match(line):
            out["EXISTS"] = int(m.group(1))
    return out


class UidBag:
    """UIDs with O(1) add, remove and random choice."""

    def __init__(self, uids: list[int]) -> None:
        self.items = list(uids)
        self.index = {u: i for i, u in enumerate(self.items)}

    def add(self, uid: int) -> None:
        self.index[uid] = len(self.items)
        self.items.append(uid)

    def remove(self, uid: int) -> None:
        i = self.index.pop(uid)
        last = self.items.pop()
        if last != uid:
            self.items[i] = last
            self.index[last] = i

    def choice(self, rng: random.Random) -> int:
        return self.items[rng.randrange(len(self.items))]


@dataclass
class Model:
    flags: dict[int, frozenset[str]]  # the messages there now
    changed: set[int] = field(default_factory=set)
    expunged: set[int] = field(default_factory=set)
    new: set[int] = field(default_factory=set)
    times: dict[str, list[float]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def expected_fetch(self) -> set[int]:
        return (self.changed | self.new) & set(self.flags)


# ------------------------------------------------------------ checks


def _diff(label: str, got: set[int], want: set[int]) -> list[str]:
    out = []
    if got - want:
        out.append(f"{label}: {len(got - want)} unexpected, e.g. {sorted(got - want)[:5]}")
    if want - got:
        out.append(f"{label}: {len(want - got)} missing, e.g. {sorted(want - got)[:5]}")
    return out


def _flag_errors(got: dict[int, frozenset[str]], model: Model) -> list[str]:
    wrong = [u for u, f in got.items() if u in model.flags and f != model.flags[u]]
    if not wrong:
        return []
    u = wrong[0]
    return [f"{len(wrong)} messages with wrong flags, e.g. UID {u}: {sorted(got[u])} "
            f"instead of {sorted(model.flags[u])}"]  # fmt: skip


def check_qresync(response: Response, model: Model) -> str:
    if response.status != "OK":
        return f"SELECT answered {response.status} {response.text[:200]!r}"
    problems = _diff("VANISHED (EARLIER)", vanished(response), model.expunged)
    got = fetched(response)
    problems += _diff("FETCH", set(got), model.expected_fetch())
    problems += _flag_errors(got, model)
    exists = codes(response).get("EXISTS")
    if exists != len(model.flags):
        problems.append(f"EXISTS {exists}, expected {len(model.flags)}")
    return "; ".join(problems) or "exact"


def check_full(select: Response, response: Response, model: Model) -> str:
    if response.status != "OK":
        return f"UID FETCH answered {response.status} {response.text[:200]!r}"
    got = fetched(response)
    problems = _diff("UID FETCH 1:* (FLAGS)", set(got), set(model.flags))
    problems += _flag_errors(got, model)
    exists = codes(select).get("EXISTS")
    if exists != len(model.flags):
        problems.append(f"EXISTS {exists}, expected {len(model.flags)}")
    return "; ".join(problems) or "exact"
