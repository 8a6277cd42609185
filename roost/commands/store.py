"""STORE and UID STORE (RFC 9051 section 6.4.6; UNCHANGEDSINCE from RFC 7162 section 3.1.3).

Rules:
- FLAGS replaces, +FLAGS adds, -FLAGS removes, through ``store.store_flags``.
- A read-only (EXAMINEd) mailbox refuses: ``NO [READ-ONLY]``. ``\\Recent`` is
  not a flag a client may change (RFC 3501 section 2.3.2): BAD.
- Without .SILENT every message of the set that still exists gets
  ``* seq FETCH (FLAGS (...))`` with its current flags (plus UID for UID STORE),
  changed or not. The current flags come from this store call and from
  ``changes_since`` the view's MODSEQ, so a change another session made is
  shown as it really is.
- New keywords are announced with ``* FLAGS (...)`` first (even with .SILENT:
  FLAGS is not a FETCH response).
- With .SILENT nothing is sent for our own change; the view records it only
  when it is exactly what the client asked for, so a concurrent change by
  someone else is still announced by the session's sync.
- UNCHANGEDSINCE: messages whose MODSEQ is higher are left alone and listed in
  ``OK [MODIFIED set]`` (sequence numbers, or UIDs for UID STORE). Only the
  messages this STORE changed get a FETCH response, and it carries MODSEQ,
  even with .SILENT (RFC 7162 section 3.1.3, as in its example).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from roost.commands.fetch import announce_keywords, compact_set, resolve_messages
from roost.protocol.commands import Store
from roost.session.selected import flag_list
from roost.session.state import Reply
from roost.storage.interface import MessageFlags

if TYPE_CHECKING:
    from roost.commands.context import Context
    from roost.session.selected import SelectedView


def handle_store(ctx: Context, cmd: Store) -> Reply:
    view = ctx.view
    if view.readonly:
        return Reply("NO", "mailbox is read-only", code="READ-ONLY")
    if "\\Recent" in cmd.flags:
        return Reply("BAD", "\\Recent cannot be changed by STORE")
    targets = resolve_messages(ctx, cmd.sequence, cmd.uid)
    if not targets:
        return Reply("OK", "STORE completed")
    changed, failed = ctx.store.store_flags(
        view.mailbox_id, [uid for _, uid in targets], cmd.mode, cmd.flags, cmd.unchangedsince
    )
    new = {state.uid: state for state in changed}
    if cmd.unchangedsince is None and not cmd.silent:
        _report_all(ctx, cmd, targets)
    else:
        announce_keywords(ctx, (f for state in changed for f in state.flags))
        if cmd.unchangedsince is not None:
            _report_conditional(ctx, cmd, targets, new)
        else:
            _record_silent(view, cmd, new)
    if failed:
        seq_of = {uid: seq for seq, uid in targets}
        numbers = sorted(failed) if cmd.uid else sorted(seq_of[u] for u in failed if u in seq_of)
        return Reply("OK", "conditional STORE failed", code="MODIFIED " + compact_set(numbers))
    return Reply("OK", "STORE completed")


def expected_flags(old: frozenset[str], mode: str, flags: tuple[str, ...]) -> frozenset[str]:
    """What a message's flags become under one STORE operation."""
    if mode == "+":
        return old | frozenset(flags)
    if mode == "-":
        return old - frozenset(flags)
    return frozenset(flags)


def _report_all(ctx: Context, cmd: Store, targets: list[tuple[int, int]]) -> None:
    view = ctx.view
    changes = ctx.store.changes_since(view.mailbox_id, view.modseq)
    current = {state.uid: state.flags for state in changes.changed}
    gone = set(changes.expunged)
    # An expunged message's EXPUNGE comes with the sync, when it is allowed.
    shown = [
        (seq, uid, current.get(uid, view.flags.get(uid, frozenset())))
        for seq, uid in targets
        if uid not in gone
    ]
    announce_keywords(ctx, (f for _, _, flags in shown for f in flags))
    for seq, uid, flags in shown:
        ctx.untagged(_fetch_line(ctx, view, seq, uid, flags, cmd.uid, None))
        view.set_flags(uid, flags)


def _record_silent(view: SelectedView, cmd: Store, new: dict[int, MessageFlags]) -> None:
    for uid, state in new.items():
        old = view.flags.get(uid, frozenset())
        if expected_flags(old, cmd.mode, cmd.flags) == state.flags:
            view.set_flags(uid, state.flags)


def _report_conditional(
    ctx: Context, cmd: Store, targets: list[tuple[int, int]], new: dict[int, MessageFlags]
) -> None:
    view = ctx.view
    for seq, uid in targets:
        state = new.get(uid)
        if state is None:
            continue
        if cmd.silent:
            _record_silent(view, cmd, {uid: state})
            flags = None
        else:
            flags = state.flags
            view.set_flags(uid, flags)
        ctx.untagged(_fetch_line(ctx, view, seq, uid, flags, cmd.uid, state.modseq))


def _fetch_line(
    ctx: Context,
    view: SelectedView,
    seq: int,
    uid: int,
    flags: frozenset[str] | None,
    with_uid: bool,
    modseq: int | None,
) -> bytes:
    items: list[bytes] = []
    if with_uid:
        items.append(b"UID %d" % uid)
    if flags is not None:
        recent = uid in view.recent and not ctx.session.rev2
        items.append(b"FLAGS " + flag_list(flags, recent))
    if modseq is not None:
        items.append(b"MODSEQ (%d)" % modseq)
    return b"%d FETCH (" % seq + b" ".join(items) + b")"
