"""STORE and UID STORE (RFC 9051 section 6.4.6; CONDSTORE from RFC 7162 section 3.1.3).

Rules:
- FLAGS replaces, +FLAGS adds, -FLAGS removes, through ``store.store_flags``.
- A read-only (EXAMINEd) mailbox refuses: ``NO [READ-ONLY]``. ``\\Recent`` is
  not a flag a client may change (RFC 3501 section 2.3.2): BAD.
- Without .SILENT every message of the set that still exists (and passed the
  UNCHANGEDSINCE test, when given) gets ``* seq FETCH (FLAGS (...))`` with its
  current flags, changed or not (plus UID for UID STORE). The current flags
  come from this store call and from ``changes_since`` the view's MODSEQ (or,
  under CONDSTORE, from the messages' metadata, which carries their MODSEQ),
  so a change another session made is shown as it really is.
- New keywords are announced with ``* FLAGS (...)`` first (even with .SILENT:
  FLAGS is not a FETCH response).
- With .SILENT and CONDSTORE off nothing is sent for our own change; the view
  records it only when it is exactly what the client asked for, so a
  concurrent change by someone else is still announced by the session's sync.
- UNCHANGEDSINCE enables CONDSTORE. Messages whose MODSEQ is higher are left
  alone and listed in ``OK [MODIFIED set]`` (sequence numbers, or UIDs for UID
  STORE). Every message that passed the test gets a FETCH response with
  MODSEQ, even with .SILENT (RFC 7162 3.1.3 and its examples: a message the
  STORE did not change keeps, and shows, its old MODSEQ).
- Once CONDSTORE is on, every FETCH response of STORE carries MODSEQ, and a
  .SILENT STORE still sends ``* seq FETCH (MODSEQ (m))`` for each message it
  changed, so the client's cache never keeps a stale mod-sequence (RFC 7162
  3.1: MODSEQ in all untagged FETCH responses once enabled). With QRESYNC on
  those responses carry UID too (RFC 7162 3.2.4).
- A failed message gets no FETCH from STORE; if it changed since the client
  last heard, the session's sync after the command reports it (with MODSEQ).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from roost.commands.fetch import BATCH, announce_keywords, chunks, resolve_messages
from roost.protocol.commands import Store
from roost.session.selected import compact_set, flag_list
from roost.session.state import Reply
from roost.storage.interface import MessageFlags

if TYPE_CHECKING:
    from roost.commands.context import Context
    from roost.session.selected import SelectedView

# uid -> (flags, modseq); modseq is None when CONDSTORE is off
Current = dict[int, tuple[frozenset[str], int | None]]


def handle_store(ctx: Context, cmd: Store) -> Reply:
    view = ctx.view
    if view.readonly:
        return Reply("NO", "mailbox is read-only", code="READ-ONLY")
    if "\\Recent" in cmd.flags:
        return Reply("BAD", "\\Recent cannot be changed by STORE")
    if cmd.unchangedsince is not None:  # a CONDSTORE enabling command (RFC 7162 3.1)
        ctx.session.enable_condstore()
    targets = resolve_messages(ctx, cmd.sequence, cmd.uid)
    if not targets:
        return Reply("OK", "STORE completed")
    changed, failed = ctx.store.store_flags(
        view.mailbox_id, [uid for _, uid in targets], cmd.mode, cmd.flags, cmd.unchangedsince
    )
    new = {state.uid: state for state in changed}
    refused = set(failed)
    passed = [(seq, uid) for seq, uid in targets if uid not in refused]
    if not cmd.silent:
        _report_all(ctx, cmd, passed)
    else:
        announce_keywords(ctx, (f for state in changed for f in state.flags))
        if ctx.session.condstore:
            _report_silent(ctx, cmd, passed, new)
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


def _current(ctx: Context, uids: list[int]) -> Current:
    """The present flags (and MODSEQ under CONDSTORE) of those messages that still exist."""
    view = ctx.view
    if ctx.session.condstore:
        out: Current = {}
        for batch in chunks(uids, BATCH):
            for meta in ctx.store.fetch_meta(view.mailbox_id, batch):
                out[meta.uid] = (meta.flags, meta.modseq)
        return out
    fresh, gone = view.current_flags(ctx.store)
    # An expunged message's EXPUNGE comes with the sync, when it is allowed
    # (also one already seen expunged but held back: it is not reported again).
    return {
        uid: (fresh.get(uid, view.flags.get(uid, frozenset())), None)
        for uid in uids
        if uid not in gone
    }


def _report_all(ctx: Context, cmd: Store, targets: list[tuple[int, int]]) -> None:
    view = ctx.view
    current = _current(ctx, [uid for _, uid in targets])
    announce_keywords(ctx, (f for flags, _ in current.values() for f in flags))
    for seq, uid in targets:
        if uid not in current:
            continue
        flags, modseq = current[uid]
        ctx.untagged(_fetch_line(ctx, view, seq, uid, cmd.uid, flags, modseq))
        view.set_flags(uid, flags, modseq)


def _record_silent(view: SelectedView, cmd: Store, new: dict[int, MessageFlags]) -> None:
    for uid, state in new.items():
        if _as_asked(view, cmd, uid, state.flags):
            view.set_flags(uid, state.flags)


def _as_asked(view: SelectedView, cmd: Store, uid: int, flags: frozenset[str]) -> bool:
    """True when ``flags`` are what the client computes from what it was told."""
    return expected_flags(view.flags.get(uid, frozenset()), cmd.mode, cmd.flags) == flags


def _report_silent(
    ctx: Context, cmd: Store, passed: list[tuple[int, int]], new: dict[int, MessageFlags]
) -> None:
    """``* seq FETCH ([UID u] MODSEQ (m))`` for a .SILENT STORE under CONDSTORE.

    Conditional: every message that passed, unchanged ones with their old
    MODSEQ; unconditional: the messages this STORE changed. The view records
    the flags only when they are as the client expects, so a concurrent change
    is still reported (FLAGS and MODSEQ) by the sync after the command.
    """
    view = ctx.view
    current: Current = {uid: (state.flags, state.modseq) for uid, state in new.items()}
    if cmd.unchangedsince is not None:
        untouched = [uid for _, uid in passed if uid not in new]
        current.update(_current(ctx, untouched))
    for seq, uid in passed:
        if uid not in current:
            continue
        flags, modseq = current[uid]
        assert modseq is not None  # CONDSTORE is on
        ctx.untagged(_fetch_line(ctx, view, seq, uid, cmd.uid, None, modseq))
        view.told_modseq(uid, modseq)
        if _as_asked(view, cmd, uid, flags):
            view.set_flags(uid, flags, modseq)


def _fetch_line(
    ctx: Context,
    view: SelectedView,
    seq: int,
    uid: int,
    uid_command: bool,
    flags: frozenset[str] | None,
    modseq: int | None,
) -> bytes:
    items: list[bytes] = []
    if uid_command or ctx.session.qresync:
        items.append(b"UID %d" % uid)
    if flags is not None:
        recent = uid in view.recent and not ctx.session.rev2
        items.append(b"FLAGS " + flag_list(flags, recent))
    if modseq is not None:
        items.append(b"MODSEQ (%d)" % modseq)
    return b"%d FETCH (" % seq + b" ".join(items) + b")"
