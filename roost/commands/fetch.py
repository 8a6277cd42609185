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
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from roost.commands.errors import CommandError
from roost.commands.fetch_items import MessageItems, sets_seen
from roost.mime import UnknownEncoding
from roost.protocol.commands import Fetch, FetchAttr, SequenceSet
from roost.session.selected import keywords_of, mailbox_flags
from roost.session.state import Reply
from roost.storage.interface import MessageMeta

if TYPE_CHECKING:
    from roost.commands.context import Context

BATCH = 500

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


def chunks(items: Sequence[tuple[int, int]], size: int) -> Iterator[Sequence[tuple[int, int]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def compact_set(numbers: Iterable[int]) -> str:
    """``1:3,5`` for 1 2 3 5, keeping the given order (COPYUID pairs sets by order)."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ",".join(str(a) if a == b else f"{a}:{b}" for a, b in runs)


# ---------------------------------------------------------------- FETCH


def handle_fetch(ctx: Context, cmd: Fetch) -> Reply:
    targets = resolve_messages(ctx, cmd.sequence, cmd.uid)
    attrs = _attributes(cmd)
    view = ctx.view
    mark_seen = not view.readonly and any(sets_seen(a) for a in attrs)
    unknown_cte = False
    for batch in chunks(targets, BATCH):
        metas = {m.uid: m for m in ctx.store.fetch_meta(view.mailbox_id, [u for _, u in batch])}
        if cmd.changedsince is not None:
            metas = {u: m for u, m in metas.items() if m.modseq > cmd.changedsince}
        newly_seen = _mark_seen(ctx, metas) if mark_seen else set()
        for seq, uid in batch:
            meta = metas.get(uid)
            if meta is None:  # expunged meanwhile, or unchanged since CHANGEDSINCE
                continue
            shown = attrs + ["FLAGS"] if uid in newly_seen and "FLAGS" not in attrs else attrs
            try:
                payload = _render(ctx, seq, meta, shown)
            except UnknownEncoding:
                unknown_cte = True
                continue
            if "FLAGS" in shown:
                announce_keywords(ctx, meta.flags)
                view.set_flags(uid, meta.flags)
            ctx.untagged(payload)
    if unknown_cte:
        return Reply("NO", "unknown content-transfer-encoding", code="UNKNOWN-CTE")
    return Reply("OK", "FETCH completed")


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


def _render(ctx: Context, seq: int, meta: MessageMeta, attrs: list[FetchAttr]) -> bytes:
    view = ctx.view
    items = MessageItems(
        meta,
        lambda: ctx.store.read_message(meta.blob_id),
        recent=meta.uid in view.recent,
        rev2=ctx.session.rev2,
    )
    body = b" ".join(items.render(attr) for attr in attrs)
    return b"%d FETCH (" % seq + body + b")"


__all__ = [
    "announce_keywords",
    "BATCH",
    "chunks",
    "compact_set",
    "handle_fetch",
    "resolve_messages",
]
