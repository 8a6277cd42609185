"""Events that ``ServerConnection.next_event`` hands to the driver (h11 style).

The driver reacts to each one and never looks at raw bytes itself:

- ``CommandReceived``: run the command.
- ``ContinuationRequest``: a synchronizing literal ``{n}`` was announced and its
  size accepted; send ``+ Ready``, then keep feeding data.
- ``ProtocolError``: answer ``tag BAD|NO [code] text`` (``* BAD ...`` without a
  tag); when ``fatal``, send ``* BYE`` and close.
- ``LineReceived``: the line asked for with ``expect_line`` (AUTHENTICATE
  responses, the ``DONE`` that ends IDLE), without its CRLF.
- ``ConnectionClosed``: the peer closed and every complete command before the
  close has been reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from roost.protocol.commands import Command


@dataclass(frozen=True, slots=True)
class CommandReceived:
    command: Command


@dataclass(frozen=True, slots=True)
class ContinuationRequest:
    pass


@dataclass(frozen=True, slots=True)
class ProtocolError:
    tag: str | None
    status: Literal["BAD", "NO"]
    text: str
    code: str | None = None
    fatal: bool = False


@dataclass(frozen=True, slots=True)
class LineReceived:
    line: bytes


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    pass


Event = CommandReceived | ContinuationRequest | ProtocolError | LineReceived | ConnectionClosed

__all__ = [
    "CommandReceived",
    "ConnectionClosed",
    "ContinuationRequest",
    "Event",
    "LineReceived",
    "ProtocolError",
]
