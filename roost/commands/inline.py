"""Which commands are light reads, cheap enough to run on the event loop.

The driver runs every session call in a worker thread, because storage can
block. For a short read (a NOOP, a window of headers, a flag search) the hop
there and back costs more than the command itself: two thread wake-ups and a
GIL handover each way. ``light_read`` names the commands that read only
metadata and small amounts of it, with a bound on how many messages they
touch; everything else, and anything that may write, keeps to the worker.

Rules:
- Nothing that writes: non-PEEK body fetches (set \\Seen), STORE, APPEND,
  EXPUNGE, SELECT (claims \\Recent) and the rest are never light.
- No message bodies: only the message's own header sections (``HEADER``,
  ``HEADER.FIELDS[.NOT]``, ``RFC822.HEADER``: the store reads just the header,
  ``read_head``) and the precomputed items, for at most ``MAX_MESSAGES``
  messages.
- STATUS reads a few counters (kept by triggers), whatever the mailbox's size.
- SEARCH: flag keys only (the view answers them) on any mailbox; other keys,
  but no BODY or TEXT, on mailboxes of at most ``MAX_SEARCHED`` messages.
- The session adds its own condition: the sync after the command must not
  write either (``Session.runs_inline``).
"""

from __future__ import annotations

from roost.commands.search import flags_only
from roost.protocol.commands import (
    Capability,
    Check,
    Command,
    Fetch,
    FetchAttr,
    FetchBody,
    Id,
    Noop,
    Search,
    SearchKey,
    Status,
)
from roost.session.selected import SelectedView

MAX_MESSAGES = 100
MAX_SEARCHED = 2000
_ALWAYS = (Noop, Check, Capability, Id, Status)  # STATUS: trigger-kept counters
_HEADER_SECTIONS = frozenset({"HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT"})
_BODY_KEYS = frozenset({"BODY", "TEXT"})


def light_read(command: Command, view: SelectedView | None) -> bool:
    if isinstance(command, _ALWAYS):
        return True
    if view is None:
        return False
    if isinstance(command, Fetch):
        return all(map(_light_item, command.attributes)) and _count(command, view) <= MAX_MESSAGES
    if isinstance(command, Search):
        key = command.criteria
        if flags_only(key):
            return True
        return view.exists() <= MAX_SEARCHED and not _reads_bodies(key)
    return False


def _light_item(attr: FetchAttr) -> bool:
    if isinstance(attr, FetchBody):
        section = attr.section
        return (
            attr.peek and not attr.binary and not section.part and section.text in _HEADER_SECTIONS
        )
    return isinstance(attr, str) and attr not in ("RFC822", "RFC822.TEXT")


def _count(command: Fetch, view: SelectedView) -> int:
    if command.sequence.saved:
        return MAX_MESSAGES + 1  # $: whatever SEARCHRES saved; not worth resolving here
    return sum(stop - start for start, stop in view.spans(command.sequence, command.uid))


def _reads_bodies(key: SearchKey) -> bool:
    if key.name in _BODY_KEYS:
        return True
    return any(isinstance(arg, SearchKey) and _reads_bodies(arg) for arg in key.args)
