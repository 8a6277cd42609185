"""EXPUNGE and UID EXPUNGE (RFC 9051 6.4.3, RFC 4315 UIDPLUS / RFC 9051 6.4.9).

Rules:
- EXPUNGE removes every \\Deleted message of the mailbox (RFC 9051 6.4.3), also
  one that arrived from another session since this one's last update (that
  message is then never announced to it, which the RFC allows); UID EXPUNGE
  only the \\Deleted messages among the given UIDs.
- The handler sends no EXPUNGE responses itself: the session's sync reports
  every expunge, this session's and others', with the numbers kept right (as
  ``* VANISHED uids`` once QRESYNC is on, RFC 7162 3.2.10.2).
- With CONDSTORE on and at least one message expunged, the tagged OK carries
  ``[HIGHESTMODSEQ n]`` (RFC 7162 3.2.7 / 3.2.9 require it under QRESYNC);
  the sync then runs inside the handler so n covers everything reported.
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
        gone = ctx.store.expunge(view.mailbox_id)
    else:
        uids = [uid for _, uid in view.lookup(cmd.uids, True, ctx.session.saved_uids)]
        gone = ctx.store.expunge(view.mailbox_id, uids) if uids else []
    text = "UID EXPUNGE completed" if cmd.uids is not None else "EXPUNGE completed"
    return Reply("OK", text, highestmodseq_code(ctx) if gone else None)


def highestmodseq_code(ctx: Context) -> str | None:
    """``HIGHESTMODSEQ n`` for the tagged OK of a command that expunged (CONDSTORE on).

    The view is brought up to date first (its VANISHED / EXPUNGE responses go
    out before the tagged reply anyway), so n is a MODSEQ up to which the
    client has heard of every change and may cache (RFC 7162 3.2.7, 3.2.9).
    """
    session = ctx.session
    if not session.condstore:
        return None
    ctx.lines.extend(session.sync_selected(expunge_ok=True))
    view = session.selected
    return None if view is None else f"HIGHESTMODSEQ {view.modseq}"
