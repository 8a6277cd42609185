"""SELECT, EXAMINE, CLOSE, UNSELECT, CHECK (RFC 9051 6.3.2, 6.3.3, 6.4.1, 6.4.2; RFC 3691).

Rules:
- SELECT/EXAMINE while a mailbox is selected first closes it (no expunge) and
  says ``* OK [CLOSED]`` (RFC 9051 6.3.2 / 7.1), also when the new selection
  then fails; a failed selection leaves the session authenticated.
- The untagged data: FLAGS, PERMANENTFLAGS (empty for EXAMINE), EXISTS,
  RECENT and ``OK [UNSEEN n]`` (IMAP4rev1 only), UIDVALIDITY, UIDNEXT, and
  for IMAP4rev2 the mailbox's LIST response with accurate attributes.
  Tagged OK [READ-WRITE] or [READ-ONLY].
- A \\Noselect name cannot be selected: NO [NONEXISTENT].
- CONDSTORE (RFC 7162 3.1.2.1, 3.1.8): the ``(CONDSTORE)`` parameter enables
  it; once on, ``* OK [HIGHESTMODSEQ n]`` follows UIDNEXT (every mailbox keeps
  MODSEQs, so NOMODSEQ is never sent).
- QRESYNC (3.2.5): the parameter is a BAD unless ENABLE QRESYNC ran (checked
  before anything else, so a BAD closes nothing). With a matching UIDVALIDITY
  ``* VANISHED (EARLIER)`` and the FETCH responses of ``resync`` come after
  the usual responses; with another UIDVALIDITY it is a plain SELECT.
- CLOSE expunges \\Deleted messages silently (no EXPUNGE responses) unless
  the mailbox is read-only; only messages this session knows are removed.
  UNSELECT never expunges. CHECK is a NOOP: every change is already durable.
"""

from __future__ import annotations

from roost.commands.context import Context
from roost.commands.fetch import announce_keywords, uid_membership
from roost.commands.fetch_items import flag_text
from roost.commands.listing import list_attributes
from roost.protocol import commands as c
from roost.session.names import DELIMITER
from roost.session.selected import (
    RECENT,
    SelectedView,
    compact_set,
    mailbox_flags,
    permanent_flags,
)
from roost.session.state import Reply
from roost.storage.interface import StorageError, StorageErrorKind


def handle_select(ctx: Context, cmd: c.Select) -> Reply:
    session = ctx.session
    if cmd.qresync is not None and not session.qresync:
        return Reply("BAD", "QRESYNC needs ENABLE QRESYNC first")
    if session.selected is not None:
        session.deselect()
        ctx.untagged(b"OK [CLOSED] Previous mailbox is now closed")
    name = session.mailbox_name_in(cmd.mailbox)
    info = ctx.store.get_mailbox(ctx.user.id, name)
    if info.noselect:
        raise StorageError(StorageErrorKind.NONEXISTENT, "mailbox is not selectable")
    if cmd.condstore:  # a CONDSTORE enabling command (RFC 7162 3.1)
        session.enable_condstore()
    view = SelectedView.open(ctx.store, info, cmd.readonly, rev2=session.rev2)
    flags = mailbox_flags(view.keywords)
    ctx.untagged(b"FLAGS " + flags)
    if view.readonly:
        ctx.untagged(b"OK [PERMANENTFLAGS ()] Read-only mailbox")
    else:
        ctx.untagged(b"OK [PERMANENTFLAGS " + permanent_flags(flags) + b"] Flags permitted")
    ctx.untagged(b"%d EXISTS" % view.exists())
    if not session.rev2:
        ctx.untagged(b"%d RECENT" % len(view.recent))
        unseen = view.first_unseen()
        if unseen is not None:
            ctx.untagged(b"OK [UNSEEN %d] First unseen" % unseen)
    ctx.untagged(b"OK [UIDVALIDITY %d] UIDs valid" % view.uidvalidity)
    ctx.untagged(b"OK [UIDNEXT %d] Predicted next UID" % view.uidnext)
    if session.condstore:  # every mailbox keeps MODSEQs: never NOMODSEQ
        ctx.untagged(b"OK [HIGHESTMODSEQ %d] Highest" % view.modseq)
    if session.rev2:
        has_children = any(
            m.name.startswith(info.name + DELIMITER) for m in ctx.store.list_mailboxes(ctx.user.id)
        )
        attrs = list_attributes(info, has_children)
        ctx.untagged(b"LIST (" + b" ".join(attrs) + b') "/" ' + session.mailbox_name_out(info.name))
    session.select(view)
    if cmd.qresync is not None and cmd.qresync.uidvalidity == view.uidvalidity:
        resync(ctx, view, cmd.qresync)
    if view.readonly:
        return Reply("OK", "EXAMINE completed", "READ-ONLY")
    return Reply("OK", "SELECT completed", "READ-WRITE")


def resync(ctx: Context, view: SelectedView, params: c.QresyncParams) -> None:
    """The QRESYNC part of SELECT (RFC 7162 3.2.5.1), with matching UIDVALIDITY.

    ``* VANISHED (EARLIER) uids``: the UIDs (among ``known_uids`` when given)
    expunged after the client's MODSEQ; then ``* n FETCH (UID u FLAGS (...)
    MODSEQ (m))`` for each message of the view (among ``known_uids``) changed
    after it, new ones included. The expunge log is exact and kept forever, so
    the seq-match-data (a hint for servers that forget expunges, 3.2.5.2) is
    not needed and is ignored. The view records what it reported, so the sync
    after the command repeats nothing.
    """
    changes = ctx.store.changes_since(view.mailbox_id, params.modseq)
    wanted = (
        uid_membership(params.known_uids, [])
        if params.known_uids is not None
        else (lambda uid: True)
    )
    # UIDs still in the view were expunged after it opened: the sync announces them.
    vanished = [uid for uid in changes.expunged if wanted(uid) and uid not in view.flags]
    if vanished:
        ctx.untagged(b"VANISHED (EARLIER) " + compact_set(vanished).encode("ascii"))
    shown = [s for s in changes.changed if s.uid in view.flags and wanted(s.uid)]
    announce_keywords(ctx, (f for s in shown for f in s.flags))
    rev1 = not ctx.session.rev2
    for state in shown:
        seq = view.seq_of(state.uid)
        flags = flag_text(state.flags - {RECENT}, rev1 and state.uid in view.recent)
        ctx.untagged(
            b"%d FETCH (UID %d FLAGS %s MODSEQ (%d))" % (seq, state.uid, flags, state.modseq)
        )
        view.set_flags(state.uid, state.flags, state.modseq)


def handle_close(ctx: Context, cmd: c.Close) -> Reply:
    view = ctx.view
    if not view.readonly:  # every \\Deleted message, as EXPUNGE (RFC 9051 6.4.2)
        ctx.store.expunge(view.mailbox_id)
    ctx.session.deselect()
    return Reply("OK", "CLOSE completed")


def handle_unselect(ctx: Context, cmd: c.Unselect) -> Reply:
    ctx.session.deselect()
    return Reply("OK", "UNSELECT completed")


def handle_check(ctx: Context, cmd: c.Check) -> Reply:
    return Reply("OK", "CHECK completed")
