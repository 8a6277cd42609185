"""FETCH and UID FETCH (RFC 9051 section 6.4.5), plus the message-set helpers
that STORE, COPY, MOVE and SEARCH share.

Rules:
- A non-UID command that names a sequence number above EXISTS (or ``*`` in an
  empty mailbox) is BAD (RFC 9051 section 9, ``seq-number``); UID forms
  silently ignore UIDs that do not exist, and ``n:*`` always takes in the
  highest UID (RFC 9051 section 6.4.9). ``$`` is the saved search result (RFC 5182).
- One ``* seq FETCH (...)`` per message, ascending. UID FETCH always includes UID.
- Metadata is loaded in batches of ``BATCH`` UIDs and a message's bytes only
  when one of its items needs them, one message at a time, so the handler's
  own working set stays small on large mailboxes (the responses themselves
  still collect in ``ctx.lines`` until the command ends).
- Non-PEEK body items set ``\\Seen`` in a read-write mailbox, and then FLAGS
  goes into that message's response even when it was not asked for (RFC 9051
  section 6.4.5). It is set for a whole batch before its messages are
  rendered: one write per batch rather than one per message (so a message
  whose BINARY then fails with UNKNOWN-CTE is \\Seen all the same).
- A response that shows a keyword the client has not seen yet is preceded
  by ``* FLAGS (...)`` listing it (RFC 9051 section 7.3.5).
- A message expunged by another session but not yet announced has no
  metadata any more: it is skipped and the command still succeeds.
- An unknown Content-Transfer-Encoding under BINARY skips that message and the
  command ends ``NO [UNKNOWN-CTE]`` (RFC 3516 section 4.2).
- FLAGS and UID alone (the usual "what changed" FETCH of a big mailbox) are
  answered from the selected view overlaid with the changes since it was
  synced (``SelectedView.current_flags``): no query per message, and each
  distinct flag set is encoded once.
- CONDSTORE (RFC 7162): the MODSEQ item and CHANGEDSINCE enable CONDSTORE for
  the session; CHANGEDSINCE keeps only messages whose MODSEQ is higher and
  implies MODSEQ. Once CONDSTORE is on, every response that shows FLAGS shows
  MODSEQ too, and one whose FLAGS this FETCH added (\\Seen) shows UID as well.
- QRESYNC: ``UID FETCH set items (CHANGEDSINCE n VANISHED)`` first sends
  ``* VANISHED (EARLIER) uids`` for the UIDs of the set expunged after n
  (from the store's expunge log, which is exact); without ENABLE QRESYNC it is
  a BAD. The parser already refuses VANISHED in FETCH or without CHANGEDSINCE.
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

from roost.commands.errors import CommandError
from roost.commands.fetch_items import MessageItems, Renderer, renderer, sets_seen
from roost.mime import UnknownEncoding
from roost.protocol.commands import Fetch, FetchAttr, SequenceSet
from roost.session.selected import compact_set, flag_list, keywords_of, mailbox_flags
from roost.session.state import Reply
from roost.storage.interface import MessageMeta

if TYPE_CHECKING:
    from roost.commands.context import Context

T = TypeVar("T")

BATCH = 500
UNBOUNDED = 2**63  # "*" in a UID set whose upper end is open (VANISHED)

SEEN = "\\Seen"


# ---------------------------------------------------------------- shared helpers


def resolve_messages(ctx: Context, sequence: SequenceSet, uid: bool) -> list[tuple[int, int]]:
    """Ascending (seq, uid) pairs of the selected messages a sequence set names.

    A non-UID set naming a number above EXISTS (or ``*`` in an empty mailbox)
    ends the command with BAD.
    """
    view = ctx.view
    if not uid and not view.sequence_in_range(sequence):
        raise CommandError("BAD", "Invalid message sequence number")
    return view.lookup(sequence, uid, ctx.session.saved_uids)


def announce_keywords(ctx: Context, flags: Iterable[str]) -> None:
    """``* FLAGS (...)`` when flags about to be shown hold keywords the client
    was not told of (RFC 9051 7.3.5), so it comes before the FETCH that shows them."""
    view = ctx.view
    fresh = keywords_of(flags) - view.keywords
    if fresh:
        view.keywords |= fresh
        ctx.untagged(b"FLAGS " + mailbox_flags(view.keywords))


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---------------------------------------------------------------- FETCH


def handle_fetch(ctx: Context, cmd: Fetch) -> Reply:
    session = ctx.session
    if cmd.vanished and not session.qresync:
        return Reply("BAD", "VANISHED needs ENABLE QRESYNC first")
    targets = resolve_messages(ctx, cmd.sequence, cmd.uid)
    attrs = _attributes(cmd)
    if "MODSEQ" in attrs:  # a CONDSTORE enabling command (RFC 7162 3.1)
        session.enable_condstore()
    view = ctx.view
    if cmd.vanished:
        _vanished_earlier(ctx, cmd)
    mark_seen = not view.readonly and any(sets_seen(a) for a in attrs)
    if (
        not mark_seen
        and cmd.changedsince is None
        and set(_shown(session.condstore, attrs, False)) <= _FROM_VIEW
    ):
        _fetch_from_view(ctx, targets, attrs)
        return Reply("OK", "FETCH completed")
    unknown_cte = False
    for batch in chunks(targets, BATCH):
        # One snapshot per batch: a body expunged by another session after its
        # metadata was read is still there for this session, which still has it.
        with ctx.store.snapshot():
            unknown_cte |= _fetch_batch(ctx, cmd, attrs, batch, mark_seen)
    if unknown_cte:
        return Reply("NO", "unknown content-transfer-encoding", code="UNKNOWN-CTE")
    return Reply("OK", "FETCH completed")


def _fetch_batch(
    ctx: Context, cmd: Fetch, attrs: list[FetchAttr], batch: list[tuple[int, int]], mark_seen: bool
) -> bool:
    """The responses for one batch of (seq, uid); True when a BINARY hit an unknown encoding."""
    view, condstore = ctx.view, ctx.session.condstore
    metas = {m.uid: m for m in ctx.store.fetch_meta(view.mailbox_id, [u for _, u in batch])}
    if cmd.changedsince is not None:
        metas = {u: m for u, m in metas.items() if m.modseq > cmd.changedsince}
    newly_seen = _mark_seen(ctx, metas) if mark_seen else set()
    plain, seen = _Plan(_shown(condstore, attrs, False)), _Plan(_shown(condstore, attrs, True))
    unknown_cte = False
    announced: set[frozenset[str]] = set()
    for seq, uid in batch:
        meta = metas.get(uid)
        if meta is None:  # expunged meanwhile, or unchanged since CHANGEDSINCE
            continue
        plan = seen if uid in newly_seen else plain
        try:
            payload = _render(ctx, seq, meta, plan.renderers)
        except UnknownEncoding:
            unknown_cte = True
            continue
        if plan.flags:
            if meta.flags not in announced:  # few distinct flag sets per batch
                announce_keywords(ctx, meta.flags)
                announced.add(meta.flags)
            view.set_flags(uid, meta.flags, meta.modseq if plan.modseq else None)
        ctx.untagged(payload)
    return unknown_cte


class _Plan:
    """One response's items, turned into renderers once per batch, not per message."""

    def __init__(self, shown: list[FetchAttr]) -> None:
        names = {a for a in shown if isinstance(a, str)}
        self.renderers = [renderer(a) for a in shown]
        self.flags = "FLAGS" in names
        self.modseq = "MODSEQ" in names


_FROM_VIEW = frozenset({"UID", "FLAGS"})


def _fetch_from_view(ctx: Context, targets: list[tuple[int, int]], attrs: list[FetchAttr]) -> None:
    """FETCH of FLAGS and/or UID from the view and the changes since its sync."""
    view = ctx.view
    fresh, gone = view.current_flags(ctx.store)
    lines = ctx.lines
    if "FLAGS" not in attrs:  # UID alone
        lines.extend(b"* %d FETCH (UID %d)\r\n" % t for t in targets if t[1] not in gone)
        return
    start = len(lines)
    flags_of, recent, rev1 = view.flags, view.recent, not ctx.session.rev2
    encoded: dict[tuple[frozenset[str], bool], bytes] = {}  # each distinct flag list once
    order = "".join(a[0] for a in attrs)  # "UF", "FU" or "F"
    template = {
        "UF": b"* %d FETCH (UID %d FLAGS %s)\r\n",
        "FU": b"* %d FETCH (FLAGS %s UID %d)\r\n",
        "F": b"* %d FETCH (FLAGS %s)\r\n",
    }[order]
    for seq, uid in targets:
        if uid in gone:  # expunged meanwhile: skipped, as when its row is gone
            continue
        flags = fresh.get(uid)
        if flags is None:
            flags = flags_of[uid]
        else:
            view.set_flags(uid, flags)
        key = (flags, rev1 and uid in recent)
        text = encoded.get(key)
        if text is None:
            text = encoded[key] = flag_list(*key)
        if order == "UF":
            lines.append(template % (seq, uid, text))
        elif order == "FU":
            lines.append(template % (seq, text, uid))
        else:
            lines.append(template % (seq, text))
    # A keyword the client has not been told of: FLAGS goes before these responses.
    new = keywords_of({f for flags, _ in encoded for f in flags}) - view.keywords
    if new:
        view.keywords |= new
        lines.insert(start, b"* FLAGS " + mailbox_flags(view.keywords) + b"\r\n")


def _shown(condstore: bool, attrs: list[FetchAttr], newly_seen: bool) -> list[FetchAttr]:
    """The items of one message's response.

    A message this FETCH just marked \\Seen also shows FLAGS (RFC 9051 6.4.5),
    and under CONDSTORE its UID and MODSEQ too (RFC 7162 3.2.4). Under CONDSTORE
    every response that shows FLAGS shows MODSEQ, so the client's cache never
    holds flags with a stale mod-sequence (RFC 7162 3.1).
    """
    extra: list[FetchAttr] = []
    if newly_seen and "FLAGS" not in attrs:
        extra.append("FLAGS")
    if newly_seen and condstore and "UID" not in attrs:
        extra.append("UID")
    if condstore and "MODSEQ" not in attrs and (newly_seen or "FLAGS" in attrs):
        extra.append("MODSEQ")
    return attrs + extra if extra else attrs


def _vanished_earlier(ctx: Context, cmd: Fetch) -> None:
    """``* VANISHED (EARLIER) uids``: the UIDs of the set expunged after CHANGEDSINCE
    (RFC 7162 3.2.6), before any FETCH response.

    ``*`` takes in every UID above the range start, expunged ones included: a
    client asking ``n:*`` wants everything it may have missed. UIDs the view
    still holds (expunged elsewhere, not yet announced) are left to the plain
    VANISHED that the sync after this UID command sends.
    """
    view = ctx.view
    assert cmd.changedsince is not None  # the parser guarantees it
    expunged = ctx.store.changes_since(view.mailbox_id, cmd.changedsince).expunged
    inside = uid_membership(cmd.sequence, ctx.session.saved_uids)
    gone = [uid for uid in expunged if inside(uid) and uid not in view.flags]
    if gone:
        ctx.untagged(b"VANISHED (EARLIER) " + compact_set(gone).encode("ascii"))


def uid_membership(seqset: SequenceSet, saved: list[int]) -> Callable[[int], bool]:
    """A fast test "is this UID in the set" (``*`` unbounded; ``$`` the saved UIDs)."""
    if seqset.saved:
        return set(saved).__contains__
    ranges = sorted(seqset.resolve(UNBOUNDED))
    merged: list[list[int]] = []
    for lo, hi in ranges:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    starts = [lo for lo, _ in merged]

    def inside(uid: int) -> bool:
        i = bisect_right(starts, uid) - 1
        return i >= 0 and uid <= merged[i][1]

    return inside


def _attributes(cmd: Fetch) -> list[FetchAttr]:
    """The items in request order, without duplicates; UID first for UID FETCH."""
    attrs: list[FetchAttr] = []
    if cmd.uid:
        attrs.append("UID")
    for attr in cmd.attributes:
        if attr not in attrs:
            attrs.append(attr)
    # RFC 7162 3.1.4.1: CHANGEDSINCE implies MODSEQ in every response.
    if cmd.changedsince is not None and "MODSEQ" not in attrs:
        attrs.append("MODSEQ")
    return attrs


def _mark_seen(ctx: Context, metas: dict[int, MessageMeta]) -> set[int]:
    """Set \\Seen on the batch's unseen messages; updates ``metas``; returns those UIDs."""
    view = ctx.view
    unseen = [uid for uid, meta in metas.items() if SEEN not in meta.flags]
    if not unseen:
        return set()
    changed, _ = ctx.store.store_flags(view.mailbox_id, unseen, "+", [SEEN])
    for state in changed:
        if state.uid in metas:
            metas[state.uid] = dataclasses.replace(
                metas[state.uid], flags=state.flags, modseq=state.modseq
            )
    return {state.uid for state in changed}


def _render(ctx: Context, seq: int, meta: MessageMeta, renderers: list[Renderer]) -> bytes:
    store = ctx.store
    items = MessageItems(
        meta,
        store.read_message,
        recent=meta.uid in ctx.view.recent,
        rev2=ctx.session.rev2,
        read_head=store.read_head,
    )
    return b"%d FETCH (" % seq + b" ".join([render(items) for render in renderers]) + b")"


__all__ = [
    "announce_keywords",
    "BATCH",
    "chunks",
    "compact_set",
    "handle_fetch",
    "resolve_messages",
    "uid_membership",
]
