"""APPEND, with MULTIAPPEND (RFC 9051 6.3.12, RFC 3502, RFC 4315 APPENDUID, RFC 6855).

Rules:
- The target must exist and be selectable, else NO [TRYCREATE] (6.3.12: the
  client may then CREATE and retry).
- Flags: \\Recent is the server's and is dropped; another unknown system
  flag is BAD. Internal date: the one given, else now (the store's default).
- An empty message is BAD (there is nothing to store); a message above
  ``config.max_literal_size`` is NO [TOOBIG] (the framer normally refuses
  such literals before they arrive). ``UTF8 (~{n})`` data needs ENABLE
  UTF8=ACCEPT first (RFC 6855 section 4), else BAD.
- All messages of a MULTIAPPEND go to the store in one call, so either all
  are added or none (RFC 3502 section 6.3.11).
- The tagged OK carries ``[APPENDUID uidvalidity uid-set]``; when the target
  is the selected mailbox the session's sync afterwards sends EXISTS.
"""

from __future__ import annotations

from roost.commands.context import Context
from roost.commands.errors import bad, no
from roost.protocol.commands import SYSTEM_FLAGS, Append, AppendMessage
from roost.session.state import Reply
from roost.storage.interface import MailboxInfo, NewMessage, StorageError, StorageErrorKind

RECENT = "\\Recent"


def uid_set(uids: list[int]) -> str:
    """``4:6,9`` for ascending UIDs 4 5 6 9."""
    runs: list[list[int]] = []
    for uid in uids:
        if runs and uid == runs[-1][1] + 1:
            runs[-1][1] = uid
        else:
            runs.append([uid, uid])
    return ",".join(str(a) if a == b else f"{a}:{b}" for a, b in runs)


def _target(ctx: Context, wire: str) -> MailboxInfo:
    name = ctx.session.mailbox_name_in(wire)
    try:
        info = ctx.store.get_mailbox(ctx.user.id, name)
    except StorageError as exc:
        if exc.kind is StorageErrorKind.NONEXISTENT:
            raise no("Mailbox does not exist", "TRYCREATE") from exc
        raise
    if info.noselect:
        raise no("Mailbox does not exist", "TRYCREATE")
    return info


def _new_message(ctx: Context, message: AppendMessage) -> NewMessage:
    if not message.data:
        raise bad("Empty message")
    if len(message.data) > ctx.config.max_literal_size:
        raise no("Message too large", "TOOBIG")
    if message.utf8 and "UTF8=ACCEPT" not in ctx.session.enabled:
        raise bad("UTF8 data needs ENABLE UTF8=ACCEPT")
    flags: set[str] = set()
    for flag in message.flags:
        if flag == RECENT:
            continue
        if flag.startswith("\\") and flag not in SYSTEM_FLAGS:
            raise bad(f"Invalid system flag {flag}")
        flags.add(flag)
    return NewMessage(message.data, frozenset(flags), message.internaldate)


def handle_append(ctx: Context, cmd: Append) -> Reply:
    if not cmd.messages:
        return Reply("BAD", "No message to append")
    info = _target(ctx, cmd.mailbox)
    messages = [_new_message(ctx, m) for m in cmd.messages]
    result = ctx.store.append(info.id, messages)
    code = f"APPENDUID {result.uidvalidity} {uid_set(sorted(result.uids))}"
    return Reply("OK", "APPEND completed", code)
