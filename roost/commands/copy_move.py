"""COPY, UID COPY, MOVE and UID MOVE (RFC 9051 sections 6.4.7 and 6.4.8,
RFC 4315 UIDPLUS, RFC 6851 MOVE).

Rules:
- A destination that does not exist (or is a \\Noselect placeholder) gives
  ``NO [TRYCREATE]``, so the client knows CREATE would help.
- COPY answers ``OK [COPYUID uidvalidity source-uids dest-uids]``; the two
  sets are written in matching order, so the n-th source UID went to the n-th
  destination UID (RFC 4315 section 3).
- MOVE sends ``* OK [COPYUID ...]`` before any ``* n EXPUNGE`` (RFC 6851
  section 4.3): the handler emits it, and the session's sync that runs after
  the handler announces the expunges. The tagged OK has no code.
- Once QRESYNC is on the expunges are ``* VANISHED uids`` (RFC 6851 4.4); with
  CONDSTORE on the tagged OK of a MOVE that moved something carries
  ``[HIGHESTMODSEQ n]``, as UID EXPUNGE's does (RFC 7162 3.2.9).
- MOVE needs a read-write source: ``NO [READ-ONLY]`` otherwise. MOVE into the
  selected mailbox itself is allowed (the messages get new UIDs).
- An empty set (UID forms, ``$``) or messages all expunged meanwhile: plain OK
  without COPYUID, there being no UIDs to report.
"""

from __future__ import annotations

from operator import lt
from typing import TYPE_CHECKING

from roost.commands.expunge import highestmodseq_code
from roost.commands.fetch import compact_set, resolve_messages
from roost.protocol.commands import Copy, Move, SequenceSet
from roost.session.state import Reply
from roost.storage.interface import CopyResult, MailboxInfo, StorageError, StorageErrorKind

if TYPE_CHECKING:
    from roost.commands.context import Context


def handle_copy(ctx: Context, cmd: Copy) -> Reply:
    prepared = _prepare(ctx, cmd.sequence, cmd.uid, cmd.mailbox)
    if isinstance(prepared, Reply):
        return prepared
    uids, dest = prepared
    view = ctx.view
    if not uids:
        return Reply("OK", "COPY completed, no messages")
    result = ctx.store.copy(view.mailbox_id, uids, dest.id)
    if not result.source_uids:
        return Reply("OK", "COPY completed, no messages")
    return Reply("OK", "COPY completed", code=copyuid(result))


def handle_move(ctx: Context, cmd: Move) -> Reply:
    view = ctx.view
    if view.readonly:
        return Reply("NO", "mailbox is read-only", code="READ-ONLY")
    prepared = _prepare(ctx, cmd.sequence, cmd.uid, cmd.mailbox)
    if isinstance(prepared, Reply):
        return prepared
    uids, dest = prepared
    if not uids:
        return Reply("OK", "MOVE completed, no messages")
    result = ctx.store.move(view.mailbox_id, uids, dest.id)
    if not result.source_uids:
        return Reply("OK", "MOVE completed")
    ctx.untagged(b"OK [" + copyuid(result).encode("ascii") + b"] moved")
    return Reply("OK", "MOVE completed", highestmodseq_code(ctx))


def copyuid(result: CopyResult) -> str:
    """``COPYUID v src dst`` with pairs sorted by source UID and runs compacted."""
    source, dest = result.source_uids, result.dest_uids
    if not all(map(lt, source, source[1:])):  # the store's are ascending: no sort then
        pairs = sorted(zip(source, dest, strict=True))
        source, dest = [s for s, _ in pairs], [d for _, d in pairs]
    return f"COPYUID {result.uidvalidity} {compact_set(source)} {compact_set(dest)}"


def _prepare(
    ctx: Context, sequence: SequenceSet, uid: bool, mailbox: str
) -> tuple[list[int], MailboxInfo] | Reply:
    """The source UIDs and the destination mailbox, or the reply that refuses."""
    targets = resolve_messages(ctx, sequence, uid)
    dest = _destination(ctx, mailbox)
    if isinstance(dest, Reply):
        return dest
    return [u for _, u in targets], dest


def _destination(ctx: Context, wire_name: str) -> MailboxInfo | Reply:
    # An invalid name raises InvalidName, which the session answers NO.
    name = ctx.session.mailbox_name_in(wire_name)
    try:
        info = ctx.store.get_mailbox(ctx.user.id, name)
    except StorageError as exc:
        if exc.kind is StorageErrorKind.NONEXISTENT:
            return Reply("NO", "destination mailbox does not exist", code="TRYCREATE")
        raise
    if info.noselect:
        return Reply("NO", "destination mailbox does not exist", code="TRYCREATE")
    return info
