"""CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, NAMESPACE (RFC 9051 6.3.4 - 6.3.10).

Rules:
- Names pass through ``session.mailbox_name_in`` (modified UTF-7 for rev1,
  INBOX in any case is INBOX); new names must pass ``check_new_name``,
  else NO [CANNOT] with the reason.
- CREATE: a trailing "/" only declares the intent to create children and is
  dropped (6.3.4); INBOX always exists (ALREADYEXISTS); ``USE (...)``
  (RFC 6154 CREATE-SPECIAL-USE) takes \\Archive \\Drafts \\Junk \\Sent \\Trash.
  \\All and \\Flagged name virtual mailboxes this server cannot make, and
  anything else is unknown: both NO [USEATTR].
- DELETE: INBOX cannot be deleted (CANNOT). Deleting the selected mailbox is
  allowed: afterwards the session is back in the authenticated state and
  gets ``* OK [CLOSED]`` so the client knows (Dovecot also allows it).
- RENAME: INBOX may be renamed (its messages move, 6.3.6); renaming into
  one's own child is CANNOT; the selected view follows a rename of its name.
- SUBSCRIBE may name a mailbox that does not exist (6.3.7 allows either).
- NAMESPACE: one personal namespace, no prefix, "/" (RFC 9051 6.3.10 example 1).
"""

from __future__ import annotations

from roost.commands.context import Context
from roost.commands.errors import no
from roost.protocol import commands as c
from roost.session.names import INBOX, InvalidName, check_new_name, is_descendant
from roost.session.state import Reply

CREATABLE_USES = {u.upper(): u for u in ("\\Archive", "\\Drafts", "\\Junk", "\\Sent", "\\Trash")}


def _new_name(ctx: Context, wire: str) -> str:
    name = ctx.session.mailbox_name_in(wire)
    try:
        check_new_name(name)
    except InvalidName as exc:
        raise no(str(exc), "CANNOT") from exc
    return name


def _special_uses(requested: tuple[str, ...]) -> list[str]:
    uses: list[str] = []
    for attr in requested:
        canonical = CREATABLE_USES.get(attr.upper())
        if canonical is None:
            raise no(f"Special-use attribute {attr} is not supported", "USEATTR")
        if canonical not in uses:
            uses.append(canonical)
    return uses


def handle_create(ctx: Context, cmd: c.Create) -> Reply:
    wire = cmd.mailbox
    if wire.endswith("/") and len(wire) > 1:
        wire = wire[:-1]  # RFC 9051 6.3.4: a trailing delimiter names the same mailbox
    if ctx.session.mailbox_name_in(wire) == INBOX:
        return Reply("NO", "INBOX always exists", "ALREADYEXISTS")
    name = _new_name(ctx, wire)
    uses = _special_uses(cmd.special_use)
    ctx.store.create_mailbox(ctx.user.id, name, uses)
    return Reply("OK", "CREATE completed")


def handle_delete(ctx: Context, cmd: c.Delete) -> Reply:
    session = ctx.session
    name = session.mailbox_name_in(cmd.mailbox)
    if name == INBOX:
        return Reply("NO", "INBOX cannot be deleted", "CANNOT")
    info = ctx.store.get_mailbox(ctx.user.id, name)
    ctx.store.delete_mailbox(ctx.user.id, name)
    view = session.selected
    if view is not None and view.mailbox_id == info.id:
        session.deselect()
        ctx.untagged(b"OK [CLOSED] Selected mailbox was deleted")
    return Reply("OK", "DELETE completed")


def handle_rename(ctx: Context, cmd: c.Rename) -> Reply:
    session = ctx.session
    old = session.mailbox_name_in(cmd.mailbox)
    new = _new_name(ctx, cmd.new_name)
    if new == INBOX:
        return Reply("NO", "INBOX always exists", "ALREADYEXISTS")
    if old != INBOX and is_descendant(new, old):
        return Reply("NO", "Cannot move a mailbox into itself", "CANNOT")
    ctx.store.rename_mailbox(ctx.user.id, old, new)
    view = session.selected
    # INBOX stays INBOX after RENAME INBOX (its messages move); others follow.
    if view is not None and old != INBOX and (view.name == old or is_descendant(view.name, old)):
        view.name = new + view.name[len(old) :]
    return Reply("OK", "RENAME completed")


def handle_subscribe(ctx: Context, cmd: c.Subscribe) -> Reply:
    name = _new_name(ctx, cmd.mailbox)
    ctx.store.set_subscribed(ctx.user.id, name, True)
    return Reply("OK", "SUBSCRIBE completed")


def handle_unsubscribe(ctx: Context, cmd: c.Unsubscribe) -> Reply:
    name = ctx.session.mailbox_name_in(cmd.mailbox)
    ctx.store.set_subscribed(ctx.user.id, name, False)
    return Reply("OK", "UNSUBSCRIBE completed")


def handle_namespace(ctx: Context, cmd: c.Namespace) -> Reply:
    ctx.untagged(b'NAMESPACE (("" "/")) NIL NIL')
    return Reply("OK", "NAMESPACE completed")
