"""Mail storage: the ``MailStore`` interface and its embedded SQLite backend.

``roost.storage.interface`` holds the contract (records, errors, the Protocol);
``SqliteStore`` is the backend the server uses. Import from here.
"""

from roost.storage.interface import (
    DELIMITER,
    AppendResult,
    Changes,
    CopyResult,
    MailboxInfo,
    MailboxStatus,
    MailStore,
    MessageFlags,
    MessageMeta,
    NewMessage,
    StorageError,
    StorageErrorKind,
    User,
)
from roost.storage.sqlite import SqliteStore

__all__ = [
    "DELIMITER",
    "AppendResult",
    "Changes",
    "CopyResult",
    "MailStore",
    "MailboxInfo",
    "MailboxStatus",
    "MessageFlags",
    "MessageMeta",
    "NewMessage",
    "SqliteStore",
    "StorageError",
    "StorageErrorKind",
    "User",
]
