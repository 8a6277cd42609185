"""What a command handler gets: the session, the store, the config, and a response sink.

Rules:
- Handlers never write to the transport: ``untagged`` and ``send`` collect
  complete responses in ``lines``, which the session returns in its
  ``Outcome`` (sync responses and the tagged reply come after them).
- ``close`` asks the driver to close the connection after the reply (LOGOUT).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from roost.config import Config
from roost.protocol.responses import untagged
from roost.storage.interface import MailStore, User

if TYPE_CHECKING:
    from roost.session.selected import SelectedView
    from roost.session.session import Session


@dataclass
class Context:
    session: Session
    store: MailStore
    config: Config
    lines: list[bytes] = field(default_factory=list)
    close: bool = False

    def untagged(self, payload: bytes) -> None:
        """Add ``* payload`` CRLF."""
        self.lines.append(untagged(payload))

    def send(self, raw: bytes) -> None:
        """Add a complete response as it is (it ends with CRLF)."""
        self.lines.append(raw)

    @property
    def user(self) -> User:
        """The logged-in user (handlers for authenticated states only)."""
        user = self.session.user
        assert user is not None, "the state table admits only authenticated sessions here"
        return user

    @property
    def view(self) -> SelectedView:
        """The selected mailbox (handlers for the selected state only)."""
        view = self.session.selected
        assert view is not None, "the state table admits only selected sessions here"
        return view
