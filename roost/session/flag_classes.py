"""Each message's flag set as a one-byte class id, in the order of a view's UIDs.

Responsibility: flag-only SEARCH of a big mailbox without a Python step per
message. Next to its ascending UIDs a message list keeps ``ids``, whose byte
``i`` is the class of message ``i``: the index in ``sets`` of its flag set. A
key of flags and \\Recent is decided once per class (by the caller, with the
reference evaluator), and the answer for every message then comes from
``bytes.translate`` and ``itertools.compress``, which run in C.

Rules:
- ``sets[ids[i]]`` equals the flags of message ``i``; equal sets share one id.
- A byte holds ``LIMIT`` (256) ids. A new set takes the next id; when all are
  taken, the ids still in use are renumbered; when ``LIMIT`` sets are really in
  use, ``put`` and ``append`` return False and the owner drops the structure
  (such mailboxes are searched message by message).
- Nothing here knows IMAP: a verdict is any function of (flags, recent).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from itertools import compress

LIMIT = 256
# bytes.translate table that turns 0 into 1 and 1 into 0 (a 0/1 mask's complement)
FLIP = bytes([1, 0]) + bytes(254)

Verdict = Callable[[frozenset[str], bool], bool]


class FlagClasses:
    __slots__ = ("sets", "ids", "_id_of")

    def __init__(self, sets: list[frozenset[str]], ids: bytearray) -> None:
        self.sets = sets
        self.ids = ids
        self._id_of = {flags: i for i, flags in enumerate(sets)}

    @classmethod
    def build(cls, flags: Iterable[frozenset[str]]) -> FlagClasses | None:
        """The classes of messages with these flags, in order; None: too many sets."""
        listed = flags if isinstance(flags, list) else list(flags)
        distinct = list(dict.fromkeys(listed))
        if len(distinct) > LIMIT:
            return None
        out = cls(distinct, bytearray())
        out.ids = bytearray(map(out._id_of.__getitem__, listed))
        return out

    def copy(self) -> FlagClasses:
        return FlagClasses(list(self.sets), bytearray(self.ids))

    def __len__(self) -> int:
        return len(self.ids)

    def flags_at(self, index: int) -> frozenset[str]:
        return self.sets[self.ids[index]]

    def put(self, index: int, flags: frozenset[str]) -> bool:
        """Message ``index`` now has ``flags``; False: no id left (drop this)."""
        cid = self._class(flags)
        if cid is None:
            return False
        self.ids[index] = cid
        return True

    def append(self, flags: frozenset[str]) -> bool:
        """A new last message; False: no id left (drop this)."""
        cid = self._class(flags)
        if cid is None:
            return False
        self.ids.append(cid)
        return True

    def keep(self, kept: bytes) -> None:
        """Keep the messages whose byte in ``kept`` is 1 (the others are gone)."""
        self.ids = bytearray(compress(self.ids, kept))

    def matching(self, verdict: Verdict, recent: bytes | None = None) -> bytes:
        """One byte per message: 1 where ``verdict(flags, is_recent)`` holds.

        ``recent`` is a 0/1 byte per message; None means no message is recent."""
        plain = self._translated(verdict, False)
        if recent is None:
            return plain
        # Recent messages take the answer for recent ones: (plain & ~r) | (as_recent & r).
        r = int.from_bytes(recent, "little")
        mixed = int.from_bytes(plain, "little") & ~r
        mixed |= int.from_bytes(self._translated(verdict, True), "little") & r
        return mixed.to_bytes(len(self.ids), "little")

    def _translated(self, verdict: Verdict, recent: bool) -> bytes:
        table = bytearray(256)
        for cid, flags in enumerate(self.sets):
            table[cid] = verdict(flags, recent)
        return bytes(self.ids.translate(table))

    def _class(self, flags: frozenset[str]) -> int | None:
        cid = self._id_of.get(flags)
        if cid is not None:
            return cid
        if len(self.sets) == LIMIT and not self._renumber():
            return None
        self.sets.append(flags)
        self._id_of[flags] = cid = len(self.sets) - 1
        return cid

    def _renumber(self) -> bool:
        """Drop the sets no message has any more; False when none could go."""
        live = sorted(set(self.ids))
        if len(live) == LIMIT:
            return False
        table = bytearray(range(256))
        for new, old in enumerate(live):
            table[old] = new
        self.ids = self.ids.translate(table)
        self.sets = [self.sets[old] for old in live]
        self._id_of = {flags: i for i, flags in enumerate(self.sets)}
        return True


def both(a: bytes | bytearray, b: bytes | bytearray) -> bytes:
    """The bytewise AND of two 0/1 masks of one length."""
    return (int.from_bytes(a, "little") & int.from_bytes(b, "little")).to_bytes(len(a), "little")


def uid_mask(uids: Sequence[int], chosen: set[int] | frozenset[int]) -> bytearray:
    """A 0/1 byte per UID of ``uids`` (ascending): 1 for those in ``chosen``."""
    if len(chosen) * 8 > len(uids):  # many: one pass in C over the UIDs
        return bytearray(map(chosen.__contains__, uids))
    mask = bytearray(len(uids))
    count = len(uids)
    for uid in chosen:
        i = bisect_left(uids, uid)
        if i < count and uids[i] == uid:
            mask[i] = 1
    return mask
