"""STATUS (RFC 9051 section 6.3.11), also rendering LIST-STATUS replies (RFC 5819).

Rules:
- Items: MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE (STATUS=SIZE),
  RECENT (IMAP4rev1) and HIGHESTMODSEQ (RFC 7162 3.1.7; never 0, every mailbox
  keeps MODSEQs). Items are answered in the order asked, once each.
- Asking for HIGHESTMODSEQ is a CONDSTORE enabling command (RFC 7162 3.1),
  also through LIST ... RETURN (STATUS (HIGHESTMODSEQ)), which answers with
  the same STATUS responses.
- STATUS of the selected mailbox is allowed; its RECENT is what this session
  holds as \\Recent (the store's count no longer includes messages it claimed).
- A \\Noselect name has no status: NO [NONEXISTENT].
"""

from __future__ import annotations

from roost.commands.context import Context
from roost.protocol.commands import Status
from roost.session.session import Session
from roost.session.state import Reply
from roost.storage.interface import MailboxInfo, MailStore, StorageError, StorageErrorKind


def status_payload(
    session: Session, store: MailStore, mailbox: MailboxInfo, items: tuple[str, ...]
) -> bytes:
    """``STATUS name (ITEM n ...)`` for one selectable mailbox."""
    st = store.status(mailbox.id)
    recent = st.recent
    view = session.selected
    if view is not None and view.mailbox_id == mailbox.id and not session.rev2:
        recent = len(view.recent)
    values = {
        "MESSAGES": st.messages,
        "UIDNEXT": st.uidnext,
        "UIDVALIDITY": st.uidvalidity,
        "UNSEEN": st.unseen,
        "DELETED": st.deleted,
        "SIZE": st.size,
        "RECENT": recent,
        "HIGHESTMODSEQ": st.highestmodseq,
    }
    if "HIGHESTMODSEQ" in items:
        session.enable_condstore()
    shown: list[str] = []
    for item in items:
        if item in values and item not in shown:
            shown.append(item)
    body = " ".join(f"{item} {values[item]}" for item in shown).encode("ascii")
    return b"STATUS " + session.mailbox_name_out(mailbox.name) + b" (" + body + b")"


def handle_status(ctx: Context, cmd: Status) -> Reply:
    name = ctx.session.mailbox_name_in(cmd.mailbox)
    info = ctx.store.get_mailbox(ctx.user.id, name)
    if info.noselect:
        raise StorageError(StorageErrorKind.NONEXISTENT, "mailbox is not selectable")
    ctx.untagged(status_payload(ctx.session, ctx.store, info, cmd.items))
    return Reply("OK", "STATUS completed")
