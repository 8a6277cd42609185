"""A client-side mirror of one selected mailbox, kept from untagged responses alone.

It does what a careful client does with what the server says, in order:
- ``* n EXISTS`` grows the list (never shrinks it: RFC 9051 7.4.1, only
  EXPUNGE may lower the count); the new messages are unknown slots until a
  FETCH tells their UID.
- ``* n EXPUNGE`` removes message n and renumbers the rest (RFC 9051 7.4.1);
  ``* VANISHED uid-set`` removes by UID (RFC 7162 3.2.10), a UID the client
  was not told yet taking one of the unknown slots where it must sit;
  ``VANISHED (EARLIER)`` reports older expunges for a client's cache and
  leaves the session's messages alone.
- ``* n FETCH (... UID u FLAGS (...) MODSEQ (m))`` names message n: its UID
  is learnt once and must then never change; FLAGS replace the flags
  (``\\Recent`` is kept apart, in ``recent``).
- ``* n RECENT``, ``* FLAGS``, and the codes UIDVALIDITY, UIDNEXT,
  HIGHESTMODSEQ and CLOSED of untagged OK responses.

Every response that breaks a protocol rule raises ``MirrorError`` with the
recent history: an EXPUNGE/VANISHED during a non-UID FETCH, STORE or SEARCH
(RFC 9051 7.5.1), a message number out of range, a UID that changes, is out
of ascending order, is below the UIDNEXT of SELECT for a message announced
later, or comes back after its expunge; EXISTS going down; a message's
MODSEQ going down (RFC 7162 3.1.1); RECENT or \\Recent to an IMAP4rev2
client. Comparison with the server's truth is left to the tests.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .wire import is_status, parse_uid_set, parse_values, split_status

# Non-UID commands during which no EXPUNGE (or VANISHED) may be sent.
NO_EXPUNGE_DURING = frozenset({"FETCH", "STORE", "SEARCH"})
RECENT = "\\Recent"

Snapshot = list[tuple[int, frozenset[str]]]


class MirrorError(AssertionError):
    """The server said something a careful client must reject."""


@dataclass
class Entry:
    uid: int | None = None  # None until a FETCH tells it
    flags: frozenset[str] | None = None
    recent: bool = False
    modseq: int | None = None
    announced_later: bool = False  # by EXISTS after SELECT (its UID must be >= UIDNEXT then)


class Mirror:
    def __init__(self, name: str = "client", *, rev2: bool = False) -> None:
        self.name = name
        self.rev2 = rev2
        self.history: deque[str] = deque(maxlen=60)
        self.reset(None)

    def reset(self, mailbox: str | None) -> None:
        """Forget the selected mailbox (SELECT, EXAMINE, CLOSE, UNSELECT, [CLOSED])."""
        self.mailbox = mailbox
        self.entries: list[Entry] = []
        self.uidvalidity: int | None = None
        self.uidnext_at_select: int | None = None
        self.highestmodseq: int | None = None
        self.recent_count = 0
        self.mailbox_flags: frozenset[str] | None = None
        self.expunged: set[int] = set()
        self.closed = False

    # ------------------------------------------------------------ reading the mirror

    def exists(self) -> int:
        return len(self.entries)

    def uids(self) -> list[int | None]:
        return [e.uid for e in self.entries]

    def unresolved(self) -> list[int]:
        """Sequence numbers of messages whose UID or flags the client has not been told."""
        return [i + 1 for i, e in enumerate(self.entries) if e.uid is None or e.flags is None]

    def snapshot(self) -> list[tuple[int | None, frozenset[str] | None]]:
        """(uid, flags) in sequence-number order; None where not told yet."""
        return [(e.uid, e.flags) for e in self.entries]

    def seq_of(self, uid: int) -> int | None:
        for i, entry in enumerate(self.entries):
            if entry.uid == uid:
                return i + 1
        return None

    def differences(self, truth: Snapshot, *, partial: bool = False) -> list[str]:
        """How the mirror differs from ``truth``; ``partial`` tolerates unknown slots."""
        problems = []
        if len(self.entries) != len(truth):
            problems.append(f"EXISTS {len(self.entries)} but the mailbox has {len(truth)}")
        for seq, (entry, (uid, flags)) in enumerate(zip(self.entries, truth, strict=False), 1):
            if entry.uid != uid and not (partial and entry.uid is None):
                problems.append(f"seq {seq}: UID {entry.uid}, server has {uid}")
            elif entry.flags != flags and not (partial and entry.flags is None):
                problems.append(
                    f"seq {seq} (UID {uid}): flags {_show(entry.flags)} != {_show(flags)}"
                )
        return problems

    def describe(self) -> str:
        lines = [f"{self.name} mirror of {self.mailbox}: {self.snapshot()}", "recent responses:"]
        return "\n".join(lines + [f"  {h}" for h in self.history])

    # ------------------------------------------------------------ applying responses

    def note(self, text: str) -> None:
        self.history.append(text)

    def apply(self, payload: bytes, during: str | None) -> None:
        """One untagged response (without ``* `` and CRLF), received while ``during`` ran.

        ``during`` is the command name as sent (``UID FETCH``, ``IDLE``, ...), None between commands.
        """
        self.note(f"[{during}] * {payload[:300].decode('utf-8', 'replace')}")
        first, _, rest = payload.partition(b" ")
        word = first.decode("ascii", "replace").upper()
        if first.isdigit():
            self._numbered(int(first), rest, during)
        elif is_status(word):
            self._status(payload)
        elif word == "FLAGS":
            (flags,) = parse_values(rest)
            self.mailbox_flags = frozenset(str(f) for f in flags)  # type: ignore[union-attr]
        elif word == "VANISHED":
            self._vanished(rest, during)

    def _numbered(self, number: int, rest: bytes, during: str | None) -> None:
        kind, _, data = rest.partition(b" ")
        kind_name = kind.decode("ascii", "replace").upper()
        if kind_name == "EXISTS":
            self._exists(number, during)
        elif kind_name == "RECENT":
            if self.rev2:
                self.fail(f"* {number} RECENT sent to an IMAP4rev2 client (RFC 9051 removed it)")
            self.recent_count = number
        elif kind_name == "EXPUNGE":
            self._check_expunge_allowed(during, "EXPUNGE")
            self._check_seq(number, "EXPUNGE")
            self._remove(number - 1)
        elif kind_name == "FETCH":
            self._check_seq(number, "FETCH")
            (items,) = parse_values(data)
            self._fetch(number, items)  # type: ignore[arg-type]

    def _exists(self, count: int, during: str | None) -> None:
        if count < len(self.entries):
            self.fail(f"* {count} EXISTS below the {len(self.entries)} messages the client knows")
        later = during not in ("SELECT", "EXAMINE")
        self.entries += [Entry(announced_later=later) for _ in range(count - len(self.entries))]

    def _fetch(self, seq: int, items: list[object]) -> None:
        entry = self.entries[seq - 1]
        pairs = dict(zip(items[::2], items[1::2], strict=True))
        pairs = {str(k).upper(): v for k, v in pairs.items()}
        if "UID" in pairs:
            self._learn_uid(seq, int(pairs["UID"]))  # type: ignore[arg-type]
        if "FLAGS" in pairs:
            flags = frozenset(str(f) for f in pairs["FLAGS"])  # type: ignore[union-attr]
            entry.recent = RECENT in flags
            entry.flags = flags - {RECENT}
            if self.rev2 and entry.recent:
                self.fail(f"\\Recent shown to an IMAP4rev2 client at seq {seq}")
        if "MODSEQ" in pairs:
            (modseq,) = pairs["MODSEQ"]  # type: ignore[misc]
            if entry.modseq is not None and modseq < entry.modseq:
                self.fail(f"MODSEQ of seq {seq} went down from {entry.modseq} to {modseq}")
            entry.modseq = modseq

    def _learn_uid(self, seq: int, uid: int) -> None:
        entry = self.entries[seq - 1]
        if entry.uid is not None:
            if entry.uid != uid:
                self.fail(f"seq {seq} was UID {entry.uid}, now FETCH says UID {uid}")
            return
        if uid in self.expunged:
            self.fail(f"UID {uid} at seq {seq} was expunged before: UIDs are never reused")
        before = [e.uid for e in self.entries[: seq - 1] if e.uid is not None]
        after = [e.uid for e in self.entries[seq:] if e.uid is not None]
        if (before and before[-1] >= uid) or (after and after[0] <= uid):
            self.fail(f"UID {uid} at seq {seq} breaks ascending order ({before[-1:]}, {after[:1]})")
        floor = self.uidnext_at_select
        if floor is not None and entry.announced_later and uid < floor:
            self.fail(f"new message seq {seq} has UID {uid} below UIDNEXT {floor} of SELECT")
        if floor is not None and not entry.announced_later and uid >= floor:
            self.fail(f"seq {seq} existed at SELECT but has UID {uid} >= UIDNEXT {floor}")
        entry.uid = uid

    def _status(self, payload: bytes) -> None:
        status = split_status(payload)
        if status.status == "BYE":
            self.closed = True
        if status.code is None:
            return
        name, _, arg = status.code.partition(" ")
        name = name.upper()
        if name == "CLOSED":
            self.reset(self.mailbox)  # what follows is about the newly selected mailbox
        elif name == "UIDVALIDITY":
            if self.uidvalidity is not None and self.uidvalidity != int(arg):
                self.fail(f"UIDVALIDITY changed from {self.uidvalidity} to {arg}")
            self.uidvalidity = int(arg)
        elif name == "UIDNEXT" and self.uidnext_at_select is None:
            self.uidnext_at_select = int(arg)
        elif name == "HIGHESTMODSEQ":
            self.highestmodseq = int(arg)

    def _vanished(self, rest: bytes, during: str | None) -> None:
        earlier = rest.upper().startswith(b"(EARLIER)")
        uids = parse_uid_set(
            rest[len(b"(EARLIER)") :].strip().decode() if earlier else rest.decode()
        )
        if earlier:
            # SELECT (QRESYNC) / UID FETCH (VANISHED): gone before, for the
            # client's cache; the messages of this session stay as they are.
            in_view = {e.uid for e in self.entries}
            self.expunged.update(u for u in uids if u not in in_view)
            return
        self._check_expunge_allowed(during, "VANISHED")
        for uid in uids:
            index = self._slot_for(uid)
            if index is not None:
                self._remove(index)
            self.expunged.add(uid)

    def _slot_for(self, uid: int) -> int | None:
        """The message a VANISHED UID names: a known one, or the unknown slot where it must sit."""
        last_known = 0
        for i, entry in enumerate(self.entries):
            if entry.uid == uid:
                return i
            if entry.uid is not None:
                if entry.uid > uid:
                    break
                last_known = i + 1
        # An unknown slot between the neighbours of uid: they are all alike to the client.
        for i in range(last_known, len(self.entries)):
            if self.entries[i].uid is not None:
                break
            return i
        return None

    def _remove(self, index: int) -> None:
        entry = self.entries.pop(index)
        if entry.uid is not None:
            self.expunged.add(entry.uid)

    def _check_seq(self, number: int, what: str) -> None:
        if not 1 <= number <= len(self.entries):
            self.fail(f"* {number} {what}: the client knows {len(self.entries)} messages")

    def _check_expunge_allowed(self, during: str | None, what: str) -> None:
        if during in NO_EXPUNGE_DURING:
            self.fail(f"{what} sent during {during} (RFC 9051 7.5.1 forbids it)")

    def fail(self, text: str) -> None:
        raise MirrorError(f"{self.name}: {text}\n{self.describe()}")


def _show(flags: frozenset[str] | None) -> str:
    return "None" if flags is None else "(" + " ".join(sorted(flags)) + ")"
