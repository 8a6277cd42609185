"""The selected mailbox as one session sees it: sequence numbers, flags told, \\Recent.

Rules (RFC 9051 sections 2.3.1.2, 5.2, 7.4, 7.5.1):
- ``uids[i]`` is the message with sequence number ``i + 1``. Numbers only
  change when this view announces an EXPUNGE, so every response this session
  sends agrees with what the client was told before.
- ``sync`` brings the view up to the store with ``changes_since(modseq)``:
  EXPUNGEs first (only when the command allows them, else they wait in
  ``pending_expunge`` and the messages keep their numbers and still count in
  EXISTS), then EXISTS (and RECENT for IMAP4rev1) for new messages, then
  FLAGS when new keywords appeared, then ``* n FETCH (FLAGS (...) UID u)`` for
  each message whose flags differ from what this view last reported. UID is
  always included: RFC 9051 6.4.9 wants it in FETCH responses caused by UID
  commands and it is valid everywhere else.
- EXPUNGE responses are sent in ascending order, each number adjusted for the
  ones before it, as in the example of RFC 9051 section 6.4.3.
- With CONDSTORE on (RFC 7162 3.1) every such FETCH also carries
  ``MODSEQ (m)``, and a message whose MODSEQ moved is reported even when its
  flags look the same (set and cleared again elsewhere), unless this session
  has just reported exactly that MODSEQ itself (``reported``, filled by
  ``set_flags``/``told_modseq`` during a command and cleared by each sync).
  New messages are announced by EXISTS only.
- With QRESYNC on, expunges are ``* VANISHED uids`` (UIDs the client knows,
  ascending, as a compact set) instead of ``* n EXPUNGE``, under the same
  rules for when they may be sent (RFC 7162 3.2.10.2).
- ``\\Recent`` (IMAP4rev1 only): a read-write IMAP4rev1 view claims recent
  messages with ``store.take_recent`` when it opens and whenever it sees new
  messages; a read-only view claims nothing and treats as recent the newest
  ``status().recent`` messages; an IMAP4rev2 view has none and claims none,
  so it does not take \\Recent away from IMAP4rev1 sessions.
- ``flags`` never holds ``\\Recent``; the renderer adds it from ``recent``.
- Between commands ``flags`` are the store's flags as of ``modseq`` (every sync
  takes in each change after it), so the store's flags now are ``flags``
  overlaid with ``changes_since(modseq)`` (``current_flags``): FETCH FLAGS
  and SEARCH of a big mailbox need no query per message.
- Big mailboxes (100,000 messages) come from the shared ``mailbox_cache``
  (kept current with ``changes_since``), others from one compact query
  (``store.flag_table``); equal flag sets share one frozenset.
- ``classes`` (``flag_classes.FlagClasses``) holds the class of ``flags[uids[i]]``
  at byte ``i``: whatever changes ``uids`` or ``flags`` here changes it too (or
  drops it, when the mailbox has too many distinct flag sets). ``matching``
  answers flag-only SEARCH from it, with no Python step per message.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from itertools import compress
from operator import sub

from roost.protocol.commands import SYSTEM_FLAGS, SequenceSet
from roost.protocol.values import Atom, encode_value
from roost.session.flag_classes import FLIP, FlagClasses, Verdict, both, uid_mask
from roost.session.mailbox_cache import CACHE, Snapshot
from roost.storage.interface import Changes, MailboxInfo, MailStore, MessageFlags

RECENT = "\\Recent"
# The system flags a client may set (\Recent is the server's), in the order
# RFC 9051 lists them in its FLAGS examples.
SETTABLE_FLAGS = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")


def flag_list(flags: Iterable[str], recent: bool = False) -> bytes:
    """``(\\Seen $Label)``: system flags in their usual order, then keywords sorted."""
    shown = set(flags)
    if recent:
        shown.add(RECENT)
    ordered = [f for f in SYSTEM_FLAGS if f in shown]
    ordered += sorted(f for f in shown if f not in SYSTEM_FLAGS)
    return encode_value([Atom(f) for f in ordered])


def mailbox_flags(keywords: Iterable[str]) -> bytes:
    """The FLAGS response list: the settable system flags, then the keywords sorted."""
    return encode_value([Atom(f) for f in [*SETTABLE_FLAGS, *sorted(set(keywords))]])


def permanent_flags(flags: bytes) -> bytes:
    """The PERMANENTFLAGS list of a read-write mailbox: its FLAGS plus \\* (new keywords)."""
    return flags[:-1] + b" \\*)"


def keywords_of(flags: Iterable[str]) -> set[str]:
    return {f for f in flags if not f.startswith("\\")}


def compact_set(numbers: Iterable[int]) -> str:
    """``1:3,5`` for 1 2 3 5, keeping the given order (COPYUID pairs sets by order)."""
    listed = list(numbers)
    if not listed:
        return ""
    # A run ends where the next number is not one more (found in C, not per number).
    steps = map(sub, listed[1:], listed[:-1])
    starts = [0, *compress(range(1, len(listed)), map((1).__ne__, steps))]
    stops = [*starts[1:], len(listed)]
    return ",".join(
        str(listed[a]) if b - a == 1 else f"{listed[a]}:{listed[b - 1]}"
        for a, b in zip(starts, stops, strict=True)
    )


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Half-open ranges sorted, with overlapping and touching ones merged; empty dropped."""
    out: list[tuple[int, int]] = []
    for start, stop in sorted(spans):
        if start >= stop:
            continue
        if out and start <= out[-1][1]:
            if stop > out[-1][1]:
                out[-1] = (out[-1][0], stop)
        else:
            out.append((start, stop))
    return out


class SelectedView:
    def __init__(
        self,
        mailbox: MailboxInfo,
        readonly: bool,
        table: Snapshot,
        recent: set[int],
        keywords: Iterable[str],
        *,
        claims_recent: bool,
    ) -> None:
        self.mailbox_id = mailbox.id
        self.name = mailbox.name
        self.readonly = readonly
        self.uidvalidity = mailbox.uidvalidity
        self.uids: list[int] = table.uids
        self.flags: dict[int, frozenset[str]] = table.flags  # the store never holds \Recent
        self.classes: FlagClasses | None = table.classes  # None: too many distinct flag sets
        self.recent: set[int] = recent
        self.modseq = table.highestmodseq  # of the same snapshot as the messages
        self.uidnext = max(mailbox.uidnext, self.uids[-1] + 1 if self.uids else 1)
        self.keywords: set[str] = set(keywords)
        self.pending_expunge: set[int] = set()
        # uid -> MODSEQ this session reported in the current command (CONDSTORE)
        self.reported: dict[int, int] = {}
        self._claims_recent = claims_recent

    @classmethod
    def open(
        cls, store: MailStore, mailbox: MailboxInfo, readonly: bool, *, rev2: bool = False
    ) -> SelectedView:
        """Load the view; ``rev2`` views keep no \\Recent (RFC 9051 removed it)."""
        claims = not readonly and not rev2
        floor = store.take_recent(mailbox.id) if claims else None
        recent_count = store.status(mailbox.id).recent if readonly and not rev2 else 0
        table = CACHE.snapshot(store, mailbox.id)
        uids = table.uids
        if floor is not None:
            recent = set(uids[bisect_left(uids, floor) :])
        else:
            recent = set(uids[len(uids) - recent_count :]) if recent_count else set()
        keywords = set(store.keywords(mailbox.id)) | table.keywords
        return cls(mailbox, readonly, table, recent, keywords, claims_recent=claims)

    # ------------------------------------------------------------ numbering

    def exists(self) -> int:
        return len(self.uids)

    def seq_of(self, uid: int) -> int | None:
        i = self.index_of(uid)
        return None if i is None else i + 1

    def index_of(self, uid: int) -> int | None:
        i = bisect_left(self.uids, uid)
        return i if i < len(self.uids) and self.uids[i] == uid else None

    def first_unseen(self) -> int | None:
        flags = self.flags
        for i, uid in enumerate(self.uids):
            if "\\Seen" not in flags[uid]:
                return i + 1
        return None

    def current_flags(self, store: MailStore) -> tuple[dict[int, frozenset[str]], set[int]]:
        """The store's flags now of the messages that changed since ``modseq``, and the
        UIDs the store no longer has (expunged since, or already seen expunged but not
        yet announced); every other message of the view still has ``flags``."""
        changes = store.changes_since(self.mailbox_id, self.modseq)
        return {c.uid: c.flags for c in changes.changed}, self.pending_expunge.union(
            changes.expunged
        )

    def matching(self, store: MailStore, verdict: Verdict, *, recent: bool) -> bytes | None:
        """A 0/1 byte per message of the view (``uids`` order): 1 where
        ``verdict(flags, is_recent)`` holds for its flags in the store now (see
        ``current_flags``); 0 for messages expunged meanwhile. Without ``recent``
        every message is passed as not recent. None: the view keeps no classes."""
        if self.classes is None:
            return None
        fresh, gone = self.current_flags(store)
        classes = self.classes
        if fresh:
            classes = classes.copy()
            for uid, flags in fresh.items():
                i = self.index_of(uid)
                if i is not None and not classes.put(i, flags):
                    return None
        marks = uid_mask(self.uids, self.recent) if recent and self.recent else None
        mask = classes.matching(verdict, marks)
        if gone:
            mask = both(mask, uid_mask(self.uids, gone).translate(FLIP))
        return mask

    def lookup(self, seqset: SequenceSet, uid: bool, saved: list[int]) -> list[tuple[int, int]]:
        """Ascending (seq, uid) of the messages a set names that exist in the view.

        ``uid``: the numbers are UIDs, and a range ending in ``*`` always takes
        in the last message (``5:*`` with 3 as the highest UID is ``3:5``).
        Otherwise they are sequence numbers; numbers above EXISTS are dropped
        here (callers answer BAD first, see ``sequence_in_range``). ``$`` is
        ``saved``, the session's SEARCHRES UIDs.
        """
        if seqset.saved:
            wanted = set(saved)
            return [(i + 1, u) for i, u in enumerate(self.uids) if u in wanted]
        out: list[tuple[int, int]] = []
        for start, stop in self.spans(seqset, uid):
            out.extend(zip(range(start + 1, stop + 1), self.uids[start:stop], strict=True))
        return out

    def spans(self, seqset: SequenceSet, uid: bool) -> list[tuple[int, int]]:
        """Sorted, disjoint index ranges [start, stop) of ``uids`` that a set (not
        ``$``) names, with ``lookup``'s rules."""
        uids = self.uids
        if not uids:
            return []
        if uid:
            resolved = seqset.resolve(uids[-1])
            return merge_spans(
                (bisect_left(uids, lo), bisect_right(uids, hi)) for lo, hi in resolved
            )
        count = len(uids)
        return merge_spans((max(lo, 1) - 1, min(hi, count)) for lo, hi in seqset.resolve(count))

    def sequence_in_range(self, seqset: SequenceSet) -> bool:
        """False when a message-number set names a number above EXISTS (or
        ``*`` in an empty mailbox): RFC 9051 section 9 makes that a BAD."""
        if seqset.saved:
            return True
        count = len(self.uids)
        for r in seqset.ranges:
            for n in (r.start, r.end):
                if (n is None and count == 0) or (n is not None and n > count):
                    return False
        return True

    # ------------------------------------------------------------ updates

    def set_flags(self, uid: int, flags: frozenset[str], modseq: int | None = None) -> None:
        """Record flags this session has just reported itself (its own STORE/FETCH),
        and the MODSEQ it showed with them, if any."""
        # Keywords are not recorded here: a new one still needs its FLAGS response.
        old = self.flags.get(uid)
        if old is not None:
            new = frozenset(flags) - {RECENT}
            if new != old:
                self._put_flags(bisect_left(self.uids, uid), uid, new)
            if modseq is not None:
                self.reported[uid] = modseq

    def _put_flags(self, index: int, uid: int, flags: frozenset[str]) -> None:
        """Message ``uid`` (at ``index``) now has ``flags`` in this view."""
        self.flags[uid] = flags
        if self.classes is not None and not self.classes.put(index, flags):
            self.classes = None

    def told_modseq(self, uid: int, modseq: int) -> None:
        """Record a MODSEQ reported without FLAGS (a .SILENT STORE under CONDSTORE)."""
        if uid in self.flags:
            self.reported[uid] = modseq

    def sync(
        self,
        store: MailStore,
        expunge_ok: bool,
        rev2: bool,
        *,
        condstore: bool = False,
        qresync: bool = False,
    ) -> list[bytes]:
        """Untagged responses that bring the client up to date; updates the view."""
        changes = store.changes_since(self.mailbox_id, self.modseq)
        self.modseq = max(self.modseq, changes.highestmodseq)
        gone = set(changes.expunged)
        self.pending_expunge |= {u for u in gone if u in self.flags}
        lines: list[bytes] = []
        if expunge_ok and self.pending_expunge:
            lines += self._announce_expunges(qresync)
        new = self._new_messages(changes, gone)
        if new:
            lines += self._add_messages(store, new, rev2)
        lines += self._keyword_update(changes.changed)
        lines += self._flag_updates(changes.changed, rev2, condstore, {c.uid for c in new})
        self.reported.clear()
        return lines

    def _new_messages(self, changes: Changes, gone: set[int]) -> list[MessageFlags]:
        last = self.uids[-1] if self.uids else 0
        return [c for c in changes.changed if c.uid > last and c.uid not in gone]

    def _announce_expunges(self, qresync: bool) -> list[bytes]:
        gone = self.pending_expunge
        dropped = uid_mask(self.uids, gone)
        if qresync:
            uids = compress(self.uids, dropped)
            lines = [b"* VANISHED " + compact_set(uids).encode("ascii") + b"\r\n"]
        else:
            seqs = compress(range(1, len(self.uids) + 1), dropped)
            lines = [b"* %d EXPUNGE\r\n" % (seq - done) for done, seq in enumerate(seqs)]
        kept = dropped.translate(FLIP)
        self.uids = list(compress(self.uids, kept))
        if self.classes is not None:
            self.classes.keep(kept)
        for uid in gone:
            self.flags.pop(uid, None)
            self.recent.discard(uid)
            self.reported.pop(uid, None)
        self.pending_expunge = set()
        return lines

    def sync_writes(self, store: MailStore) -> bool:
        """Would ``sync`` write now? Only a view that claims \\Recent does, on new
        messages (the same test as ``sync``'s)."""
        if not self._claims_recent:
            return False
        changes = store.changes_since(self.mailbox_id, self.modseq)
        return bool(self._new_messages(changes, set(changes.expunged)))

    def _add_messages(self, store: MailStore, new: list[MessageFlags], rev2: bool) -> list[bytes]:
        for state in new:
            flags = state.flags - {RECENT}
            self.uids.append(state.uid)
            self.flags[state.uid] = flags
            if self.classes is not None and not self.classes.append(flags):
                self.classes = None
        self.uidnext = max(self.uidnext, self.uids[-1] + 1)
        lines = [b"* %d EXISTS\r\n" % len(self.uids)]
        if rev2:
            return lines
        if self._claims_recent:
            floor = store.take_recent(self.mailbox_id)
            self.recent |= {s.uid for s in new if s.uid >= floor}
        elif self.readonly:
            count = store.status(self.mailbox_id).recent
            newest = set(self.uids[len(self.uids) - count :]) if count else set()
            self.recent |= {s.uid for s in new if s.uid in newest}
        lines.append(b"* %d RECENT\r\n" % len(self.recent))
        return lines

    def _keyword_update(self, changed: list[MessageFlags]) -> list[bytes]:
        """A FLAGS response when keywords appeared that the client was not told of."""
        fresh: set[str] = set()
        for state in changed:
            fresh |= keywords_of(state.flags)
        if fresh <= self.keywords:
            return []
        self.keywords |= fresh
        flags = mailbox_flags(self.keywords)
        lines = [b"* FLAGS " + flags + b"\r\n"]
        if not self.readonly:
            lines.append(
                b"* OK [PERMANENTFLAGS " + permanent_flags(flags) + b"] Flags permitted\r\n"
            )
        return lines

    def _flag_updates(
        self, changed: list[MessageFlags], rev2: bool, condstore: bool, new: set[int]
    ) -> list[bytes]:
        lines = []
        for state in changed:
            told = self.flags.get(state.uid)
            flags = state.flags - {RECENT}
            if told is None or state.uid in self.pending_expunge or state.uid in new:
                continue
            if told == flags and (not condstore or self.reported.get(state.uid) == state.modseq):
                continue
            seq = self.seq_of(state.uid)
            assert seq is not None  # the view holds every uid of ``flags``
            self._put_flags(seq - 1, state.uid, flags)
            recent = not rev2 and state.uid in self.recent
            modseq = b" MODSEQ (%d)" % state.modseq if condstore else b""
            lines.append(
                b"* %d FETCH (FLAGS " % seq
                + flag_list(flags, recent)
                + b" UID %d%s)\r\n" % (state.uid, modseq)
            )
        return lines
