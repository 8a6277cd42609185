"""The one mapping from storage errors to tagged replies, and the handlers' own refusal.

Rules:
- ``reply_for`` turns each ``StorageErrorKind`` into NO with the response code
  of the same name (RFC 5530 / RFC 9051 section 7.1). The text is fixed per
  kind: the backend's message may name internal details, and a reply never
  names other users' data.
- ``CommandError`` lets a handler (or a helper deep inside one) stop with a
  given reply; ``Session.execute`` answers with it.
"""

from __future__ import annotations

from roost.session.state import Reply
from roost.storage.interface import StorageError, StorageErrorKind

_TEXTS: dict[StorageErrorKind, str] = {
    StorageErrorKind.NONEXISTENT: "Mailbox does not exist",
    StorageErrorKind.ALREADYEXISTS: "Mailbox already exists",
    StorageErrorKind.HASCHILDREN: "Mailbox has inferior hierarchical names",
    StorageErrorKind.CANNOT: "Operation not permitted on this mailbox",
    StorageErrorKind.NOPERM: "Permission denied",
    StorageErrorKind.OVERQUOTA: "Quota exceeded",
    StorageErrorKind.LIMIT: "Server limit reached",
    StorageErrorKind.TOOBIG: "Message too large",
    StorageErrorKind.UNAVAILABLE: "Mail storage temporarily unavailable, try again",
    StorageErrorKind.EXPUNGEISSUED: "Some messages have been expunged",
    StorageErrorKind.SERVERBUG: "Internal server error",
}


def reply_for(error: StorageError) -> Reply:
    """NO [KIND] text for a storage error."""
    kind = error.kind
    return Reply("NO", _TEXTS.get(kind, "Operation failed"), kind.value)


class CommandError(Exception):
    """Raised by handler code to end the command with ``reply``."""

    def __init__(self, status: str, text: str, code: str | None = None) -> None:
        super().__init__(text)
        self.reply = Reply(status, text, code)


def bad(text: str) -> CommandError:
    return CommandError("BAD", text)


def no(text: str, code: str | None = None) -> CommandError:
    return CommandError("NO", text, code)
