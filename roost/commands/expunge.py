"""EXPUNGE and UID EXPUNGE (RFC 9051 6.4.3, RFC 4315 UIDPLUS / RFC 9051 6.4.9).

Rules:
- EXPUNGE removes the \\Deleted messages this session knows about (a message
  that arrived since the last update is not removed unseen); UID EXPUNGE only
  those among the given UIDs.
- The handler sends no EXPUNGE responses itself: the session's sync after
  the command reports every expunge, this session's and others', with the
  numbers kept right.
- In a read-only mailbox: NO [READ-ONLY].
"""

from __future__ import annotations

from roost.commands.context import Context
from roost.protocol.commands import Expunge
from roost.session.state import Reply


def handle_expunge(ctx: Context, cmd: Expunge) -> Reply:
    view = ctx.view
    if view.readonly:
        return Reply("NO", "Mailbox is read-only", "READ-ONLY")
    if cmd.uids is None:
        uids = list(view.uids)
    else:
        uids = [uid for _, uid in view.lookup(cmd.uids, True, ctx.session.saved_uids)]
    if uids:
        ctx.store.expunge(view.mailbox_id, uids)
    return Reply("OK", "UID EXPUNGE completed" if cmd.uids is not None else "EXPUNGE completed")
