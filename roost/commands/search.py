"""SEARCH and UID SEARCH (RFC 9051 sections 6.4.4 and 7.3.4, RFC 4731 ESEARCH,
RFC 5182 SEARCHRES).

Rules:
- CHARSET may be UTF-8 or US-ASCII (any case); anything else is
  ``NO [BADCHARSET (UTF-8 US-ASCII)]``.
- A key of flags and \\Recent only is answered from the view (its flags
  overlaid with the changes since its sync), each distinct flag set tested
  once: ``SelectedView.matching`` gives a mask over the view's messages, so no
  Python step runs per message (unless the mailbox has too many distinct flag
  sets for the view's classes: then each message is looked up).
- Any other key is bound to the view (``search_bind``: sequence numbers, \\Recent,
  ``$`` and ``*`` become UID sets) and given to the store, which answers in
  SQL when it can (``MailStore.search``). Otherwise every message of the view
  (or those that pass the top-level AND parts the store can answer) is tested
  with ``roost.search.evaluate``; its metadata comes in batches, and its bytes
  are read only when a header or body key actually asks (lazily, once).
- A message expunged by another session but not yet announced matches nothing.
- Result forms: a plain SEARCH in an IMAP4rev1 session answers
  ``* SEARCH 2 3 5``. With RETURN, or in an IMAP4rev2 session, the answer is
  ``* ESEARCH (TAG "t") [UID] MIN a MAX b COUNT n ALL set``; RETURN () and a
  rev2 SEARCH without RETURN mean ALL (RFC 9051 6.4.4). MIN, MAX and ALL are
  left out when nothing matched; COUNT 0 stays. RETURN (SAVE) alone sends no
  ESEARCH (RFC 5182 section 2.1).
- SAVE keeps the result as UIDs in ``session.saved_uids``; with MIN and/or MAX
  only those are kept (RFC 5182 section 2.1). A SEARCH that fails with SAVE
  empties the saved result (RFC 5182 section 2.1).
- A MODSEQ key anywhere in the criteria enables CONDSTORE (RFC 7162 3.1), and
  a non-empty answer then carries the highest MODSEQ of the messages it
  returns: ``* SEARCH 2 5 (MODSEQ 917)`` (3.1.6), or ``MODSEQ 917`` at the end
  of ESEARCH (3.1.10): over all matches when ALL or COUNT is returned, else
  over the MIN / MAX messages shown.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import compress
from typing import TYPE_CHECKING

from roost.commands.fetch import BATCH, compact_set
from roost.commands.search_bind import bind
from roost.mime import Part, decoded_header, header_block, header_values, search_text, sent_date
from roost.protocol.commands import Search, SearchKey
from roost.protocol.values import encode_string
from roost.search.evaluate import Predicate, SearchScope, compile_key
from roost.search.sql import translatable
from roost.session.state import Reply
from roost.storage.interface import MessageMeta, StorageError, StorageErrorKind

if TYPE_CHECKING:
    from roost.commands.context import Context
    from roost.session.selected import SelectedView
    from roost.storage.interface import MailStore

CHARSETS = ("UTF-8", "US-ASCII")


@dataclass
class Found:
    """The matching messages, ascending: their UIDs, and their sequence numbers and
    MODSEQs when the answer needs them (a UID SEARCH shows no sequence numbers, a
    search without a MODSEQ key no MODSEQ); lists not asked for may stay empty."""

    uids: list[int] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    modseqs: list[int] = field(default_factory=list)

    def add(self, seq: int, uid: int, modseq: int) -> None:
        self.seqs.append(seq)
        self.uids.append(uid)
        self.modseqs.append(modseq)


class StoredMessage:
    """A ``SearchMessage`` over ``MessageMeta``; the bytes are read on first need."""

    def __init__(self, store: MailStore, seq: int, meta: MessageMeta, recent: bool) -> None:
        self.seq = seq
        self.uid = meta.uid
        self.flags = meta.flags
        self.internaldate: datetime = meta.internaldate
        self.size = meta.size
        self.modseq = meta.modseq
        self.recent = recent
        self._store = store
        self._meta = meta
        self._raw: bytes | None = None
        self._header: bytes | None = None
        self._text: str | None = None
        self._header_text: str | None = None

    def _bytes(self) -> bytes:
        if self._raw is None:
            self._raw = self._store.read_message(self._meta.blob_id)
        return self._raw

    def _header_bytes(self) -> bytes:
        if self._header is None:
            self._header = header_block(self._bytes())
        return self._header

    def header(self, name: str) -> list[str]:
        return header_values(self._header_bytes(), name)

    def header_block(self) -> str:
        if self._header_text is None:
            self._header_text = decoded_header(self._header_bytes())
        return self._header_text

    def text(self) -> str:
        if self._text is None:
            root = Part.from_json(self._meta.structure)
            self._text = search_text(self._bytes(), root)
        return self._text

    def sent_date(self) -> date | None:
        return sent_date(self._header_bytes())


def handle_search(ctx: Context, cmd: Search) -> Reply:
    saving = cmd.returns is not None and "SAVE" in cmd.returns
    if cmd.charset is not None and cmd.charset.upper() not in CHARSETS:
        if saving:
            ctx.session.saved_uids = []
        return Reply("NO", "unsupported charset", code="BADCHARSET (" + " ".join(CHARSETS) + ")")
    try:
        found = _evaluate(ctx, cmd)
    except Exception:
        if saving:  # RFC 5182: a failed SEARCH ... SAVE leaves an empty saved result
            ctx.session.saved_uids = []
        raise
    if saving:
        ctx.session.saved_uids = _saved(found.uids, cmd.returns or ())
    modseq = uses_modseq(cmd.criteria)
    if modseq:  # a CONDSTORE enabling command (RFC 7162 3.1)
        ctx.session.enable_condstore()
    if cmd.returns is None and not ctx.session.rev2:
        numbers = found.uids if cmd.uid else found.seqs
        out = b"SEARCH" + _spaced(numbers)
        if modseq and numbers:
            out += b" (MODSEQ %d)" % max(found.modseqs)
        ctx.untagged(out)
    elif cmd.returns is None or set(cmd.returns) != {"SAVE"}:
        ctx.untagged(_esearch(cmd, found, modseq))
    return Reply("OK", "SEARCH completed")


def _spaced(numbers: list[int]) -> bytes:
    """`` 2 3 5``: each number after a space."""
    # A list's repr ("[2, 3, 5]") renders the numbers in one C call.
    return b" " + repr(numbers)[1:-1].replace(", ", " ").encode("ascii") if numbers else b""


def uses_modseq(key: SearchKey) -> bool:
    """True when a MODSEQ key occurs anywhere in ``key`` (inside NOT, OR, AND)."""
    if key.name == "MODSEQ":
        return True
    return any(isinstance(arg, SearchKey) and uses_modseq(arg) for arg in key.args)


def _evaluate(ctx: Context, cmd: Search) -> Found:
    """The view's messages that match, ascending."""
    view = ctx.view
    predicate = compile_key(cmd.criteria)  # also refuses a malformed key, before any work
    if flags_only(cmd.criteria):
        return _from_view(ctx, cmd, predicate)
    bound = bind(cmd.criteria, view, ctx.session.saved_uids)
    matched = ctx.store.search(view.mailbox_id, bound)
    if matched is not None:
        return _in_view(view, matched, seqs=not cmd.uid)
    scope = SearchScope(
        largest_seq=view.exists(),
        largest_uid=view.uids[-1] if view.uids else 0,
        saved_uids=frozenset(ctx.session.saved_uids),
    )
    pairs = _candidates(ctx, bound)
    found = Found()
    for start in range(0, len(pairs), BATCH):
        batch = pairs[start : start + BATCH]
        metas = {m.uid: m for m in ctx.store.fetch_meta(view.mailbox_id, [u for _, u in batch])}
        for seq, uid in batch:
            meta = metas.get(uid)
            if meta is None:  # expunged elsewhere, not yet announced
                continue
            msg = StoredMessage(ctx.store, seq, meta, uid in view.recent)
            if _matches(predicate, msg, scope):
                found.add(seq, uid, meta.modseq)
    return found


def _matches(predicate: Predicate, msg: StoredMessage, scope: SearchScope) -> bool:
    """The predicate, or False for a message another session expunged (and
    whose body went) while this search ran: it is simply no longer there."""
    try:
        return predicate(msg, scope)
    except StorageError as exc:
        if exc.kind is not StorageErrorKind.EXPUNGEISSUED:
            raise
        return False


_VIEW_KEYS = frozenset(
    {"ALL", "ANSWERED", "DELETED", "DRAFT", "FLAGGED", "SEEN", "UNANSWERED", "UNDELETED",
     "UNDRAFT", "UNFLAGGED", "UNSEEN", "NEW", "OLD", "RECENT", "KEYWORD", "UNKEYWORD"}
)  # fmt: skip


def flags_only(key: SearchKey) -> bool:
    """Does ``key`` look at nothing but flags and \\Recent (which the view holds)?"""
    stack = [key]
    while stack:
        k = stack.pop()
        if k.name in ("AND", "OR", "NOT"):
            stack.extend(a for a in k.args if isinstance(a, SearchKey))
        elif k.name not in _VIEW_KEYS:
            return False
    return True


def _uses_recent(key: SearchKey) -> bool:
    if key.name in ("RECENT", "NEW", "OLD"):
        return True
    return any(isinstance(a, SearchKey) and _uses_recent(a) for a in key.args)


class _FlagsOf:
    """What a flags-only key reads of a message (the evaluator reads nothing else)."""

    def __init__(self, flags: frozenset[str], recent: bool) -> None:
        self.flags = flags
        self.recent = recent


def _from_view(ctx: Context, cmd: Search, predicate: Predicate) -> Found:
    """A flags-only SEARCH over the view's flags and the changes since its sync,
    testing each distinct (flags, recent) once. MODSEQ is not asked: none kept."""
    view = ctx.view
    scope = SearchScope(largest_seq=view.exists(), largest_uid=view.uids[-1] if view.uids else 0)

    def verdict(flags: frozenset[str], recent: bool) -> bool:
        return predicate(_FlagsOf(flags, recent), scope)  # type: ignore[arg-type]

    mask = view.matching(ctx.store, verdict, recent=_uses_recent(cmd.criteria))
    if mask is None:  # too many distinct flag sets for the view's classes
        return _from_view_each(ctx, cmd.criteria, predicate, scope)
    uids = list(compress(view.uids, mask))
    seqs = [] if cmd.uid else list(compress(range(1, len(view.uids) + 1), mask))
    return Found(uids, seqs)


def _from_view_each(
    ctx: Context, criteria: SearchKey, predicate: Predicate, scope: SearchScope
) -> Found:
    """``_from_view`` looking up each message's flags (and \\Recent)."""
    view = ctx.view
    fresh, gone = view.current_flags(ctx.store)
    flags_of, recent = view.flags, view.recent
    if not fresh and not gone and not _uses_recent(criteria):
        # The view is in sync and \\Recent not asked: one pass in C.
        distinct = set(flags_of.values())
        hits = {f for f in distinct if predicate(_FlagsOf(f, False), scope)}  # type: ignore[arg-type]
        uids = view.uids
        chosen = list(map(hits.__contains__, map(flags_of.__getitem__, uids)))
        return Found(list(compress(uids, chosen)), list(compress(range(1, len(uids) + 1), chosen)))
    verdicts: dict[tuple[frozenset[str], bool], bool] = {}
    found = Found()
    for seq, uid in enumerate(view.uids, start=1):
        if uid in gone:  # expunged elsewhere, not yet announced
            continue
        flags = fresh.get(uid)
        key = (flags_of[uid] if flags is None else flags, uid in recent)
        verdict = verdicts.get(key)
        if verdict is None:
            verdict = verdicts[key] = predicate(_FlagsOf(*key), scope)  # type: ignore[arg-type]
        if verdict:
            found.add(seq, uid, 0)
    return found


def _in_view(view: SelectedView, matched: list[tuple[int, int]], seqs: bool = True) -> Found:
    """The store's matches that the view holds (not those it has not announced yet);
    without ``seqs`` no sequence numbers are looked up (a UID SEARCH shows none)."""
    found = Found()
    if not seqs:
        held = view.flags
        for uid, modseq in matched:
            if uid in held:
                found.uids.append(uid)
                found.modseqs.append(modseq)
        return found
    uids, count = view.uids, len(view.uids)
    for uid, modseq in matched:
        i = bisect_left(uids, uid)
        if i < count and uids[i] == uid:
            found.add(i + 1, uid, modseq)
    return found


def _candidates(ctx: Context, bound: SearchKey) -> list[tuple[int, int]]:
    """(seq, uid) of the messages the evaluator must test: every message of the
    view, or, when some of the key's top-level AND can run in the store, those
    that pass that part (a message must pass every part to match)."""
    view = ctx.view
    pairs = list(enumerate(view.uids, start=1))
    if bound.name != "AND":
        return pairs
    parts = tuple(k for k in bound.args if isinstance(k, SearchKey) and translatable(k))
    if not parts:
        return pairs
    passed = ctx.store.search(view.mailbox_id, SearchKey("AND", parts))
    if passed is None:
        return pairs
    found = _in_view(view, passed)
    return list(zip(found.seqs, found.uids, strict=True))


def _saved(uids: list[int], returns: tuple[str, ...]) -> list[int]:
    if not uids or not ({"MIN", "MAX"} & set(returns)):
        return uids
    kept = set()
    if "MIN" in returns:
        kept.add(uids[0])
    if "MAX" in returns:
        kept.add(uids[-1])
    return sorted(kept)


def _esearch(cmd: Search, found: Found, modseq: bool) -> bytes:
    """``ESEARCH (TAG "t") [UID] MIN .. MAX .. COUNT .. ALL .. [MODSEQ ..]`` (RFC 9051 7.3.4)."""
    wanted = set(cmd.returns) if cmd.returns else {"ALL"}
    numbers = found.uids if cmd.uid else found.seqs
    out = b"ESEARCH (TAG " + encode_string(cmd.tag.encode("utf-8")) + b")"
    if cmd.uid:
        out += b" UID"
    if numbers and "MIN" in wanted:
        out += b" MIN %d" % numbers[0]
    if numbers and "MAX" in wanted:
        out += b" MAX %d" % numbers[-1]
    if "COUNT" in wanted:
        out += b" COUNT %d" % len(numbers)
    if numbers and "ALL" in wanted:
        out += b" ALL " + compact_set(numbers).encode("ascii")
    if modseq and numbers:
        out += b" MODSEQ %d" % _highest_modseq(found.modseqs, wanted)
    return out


def _highest_modseq(modseqs: list[int], wanted: set[str]) -> int:
    """RFC 7162 3.1.10: over every match for ALL / COUNT, else over MIN / MAX."""
    if wanted & {"ALL", "COUNT"}:
        return max(modseqs)
    shown = []
    if "MIN" in wanted:
        shown.append(modseqs[0])
    if "MAX" in wanted:
        shown.append(modseqs[-1])
    return max(shown, default=max(modseqs))
