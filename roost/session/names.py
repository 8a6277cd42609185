"""Mailbox names on the wire and in storage, and LIST pattern matching.

Rules:
- Storage names are full Unicode with "/" as the delimiter and "INBOX" spelled
  exactly so. A first component equal to INBOX in any case is INBOX
  (RFC 9051 section 5.1: INBOX is case-insensitive), so "inbox/Sub" is "INBOX/Sub".
- IMAP4rev1 clients send and receive modified UTF-7 (RFC 3501 5.1.3); after
  ENABLE UTF8=ACCEPT or IMAP4rev2 the wire form is UTF-8 itself. Invalid
  modified UTF-7 is ``InvalidName`` (a ``ValueError``), never guessed at.
- A name given to CREATE or RENAME must be usable: not empty, no empty
  component (no leading "/" and no "//"), no control characters, no LIST
  wildcards (such a name could never be listed on its own), bounded length.
- LIST patterns: "*" matches anything, "%" anything but the delimiter;
  the reference is prefixed to the pattern (RFC 9051 6.3.9); the INBOX
  component of a pattern is case-insensitive like the name itself.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from roost.protocol.mutf7 import decode_mutf7, encode_mutf7
from roost.protocol.values import encode_astring

DELIMITER = "/"
INBOX = "INBOX"
# Dovecot caps names at 4096 bytes too; longer names are no use to anyone.
MAX_NAME_BYTES = 4096
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f%*]")


class InvalidName(ValueError):
    """A mailbox name that cannot be used; the text says why."""


def canonical_inbox(name: str) -> str:
    """Spell a first component equal to INBOX (any case) as "INBOX"."""
    head, sep, rest = name.partition(DELIMITER)
    if head.upper() == INBOX:
        return INBOX + sep + rest
    return name


@functools.lru_cache(maxsize=4096)  # clients name the same few mailboxes all day
def name_from_wire(wire: str, *, utf8: bool) -> str:
    """The storage name for a client's mailbox argument."""
    if not utf8:
        try:
            wire = decode_mutf7(wire)
        except ValueError as exc:
            raise InvalidName(f"mailbox name is not valid modified UTF-7: {exc}") from exc
    return canonical_inbox(wire)


@functools.lru_cache(maxsize=4096)
def name_to_wire(name: str, *, utf8: bool) -> bytes:
    """The mailbox as an astring for this client (atom when possible)."""
    text = name if utf8 else encode_mutf7(name)
    return encode_astring(text, utf8=utf8)


def check_new_name(name: str) -> None:
    """Raise ``InvalidName`` unless ``name`` may be created or renamed to."""
    if not name:
        raise InvalidName("mailbox name is empty")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise InvalidName("mailbox name is too long")
    if any(not part for part in name.split(DELIMITER)):
        raise InvalidName("mailbox name has an empty hierarchy level")
    if _FORBIDDEN.search(name):
        raise InvalidName("mailbox name contains control or wildcard characters")


def parents(name: str) -> list[str]:
    """The superior names of ``name``, outermost first: a/b/c -> [a, a/b]."""
    parts = name.split(DELIMITER)
    return [DELIMITER.join(parts[:i]) for i in range(1, len(parts))]


def is_descendant(name: str, ancestor: str) -> bool:
    return name.startswith(ancestor + DELIMITER)


def canonical_pattern(reference: str, pattern: str) -> str:
    """Reference and pattern as one pattern (the reference simply prefixes it)."""
    if reference.endswith(DELIMITER) and pattern.startswith(DELIMITER):
        pattern = pattern[1:]
    full = reference + pattern
    # "inbox*" and "Inbox%" name INBOX as much as "inbox" does.
    if full[:5].upper() == INBOX and full[5:6] in ("", DELIMITER, "*", "%"):
        full = INBOX + full[5:]
    return full


def compile_pattern(pattern: str) -> Callable[[str], bool]:
    """A predicate telling whether a storage name matches a canonical LIST pattern."""
    parts = []
    for ch in pattern:
        if ch == "*":
            parts.append(".*")
        elif ch == "%":
            parts.append("[^" + re.escape(DELIMITER) + "]*")
        else:
            parts.append(re.escape(ch))
    regex = re.compile("".join(parts), re.DOTALL)
    return lambda name: regex.fullmatch(name) is not None


def sort_key(name: str) -> tuple[int, tuple[str, ...]]:
    """INBOX first, then hierarchical order (a parent right before its children)."""
    parts = tuple(name.split(DELIMITER))
    return (0 if parts[0] == INBOX else 1, parts)
