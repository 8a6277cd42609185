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
- CLOSE expunges \\Deleted messages silently (no EXPUNGE responses) unless
  the mailbox is read-only; only messages this session knows are removed.
  UNSELECT never expunges. CHECK is a NOOP: every change is already durable.
"""

from __future__ import annotations

from roost.commands.context import Context
from roost.commands.listing import list_attributes
from roost.protocol import commands as c
from roost.session.names import DELIMITER
from roost.session.selected import SelectedView, mailbox_flags, permanent_flags
from roost.session.state import Reply
from roost.storage.interface import StorageError, StorageErrorKind


def handle_select(ctx: Context, cmd: c.Select) -> Reply:
    session = ctx.session
    if session.selected is not None:
        session.deselect()
        ctx.untagged(b"OK [CLOSED] Previous mailbox is now closed")
    name = session.mailbox_name_in(cmd.mailbox)
    info = ctx.store.get_mailbox(ctx.user.id, name)
    if info.noselect:
        raise StorageError(StorageErrorKind.NONEXISTENT, "mailbox is not selectable")
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
    if session.rev2:
        has_children = any(
            m.name.startswith(info.name + DELIMITER) for m in ctx.store.list_mailboxes(ctx.user.id)
        )
        attrs = list_attributes(info, has_children)
        ctx.untagged(b"LIST (" + b" ".join(attrs) + b') "/" ' + session.mailbox_name_out(info.name))
    session.select(view)
    if view.readonly:
        return Reply("OK", "EXAMINE completed", "READ-ONLY")
    return Reply("OK", "SELECT completed", "READ-WRITE")


def handle_close(ctx: Context, cmd: c.Close) -> Reply:
    view = ctx.view
    if not view.readonly and view.uids:
        ctx.store.expunge(view.mailbox_id, list(view.uids))
    ctx.session.deselect()
    return Reply("OK", "CLOSE completed")


def handle_unselect(ctx: Context, cmd: c.Unselect) -> Reply:
    ctx.session.deselect()
    return Reply("OK", "UNSELECT completed")


def handle_check(ctx: Context, cmd: c.Check) -> Reply:
    return Reply("OK", "CHECK completed")
