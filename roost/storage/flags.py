"""Message flags as the store keeps them: canonical names in a space-separated text.

Rules:
- ``\\Recent`` is a session property (RFC 3501 2.3.2), never stored: it is dropped.
- System flags are matched case-insensitively and stored in their RFC spelling
  (``\\seen`` -> ``\\Seen``).
- Keywords are case-insensitive too: a mailbox keeps the spelling it saw first
  (``keywords`` table), and later spellings map to it, so ``-FLAGS ($junk)``
  removes ``$Junk``.
- Other backslash flags are extensions no standard defines yet: ``CANNOT``.
- A flag is an IMAP atom, so it never holds a space; an empty or spaced flag is
  a caller bug (``ValueError``).
"""

from __future__ import annotations

from collections.abc import Iterable

from roost.storage.interface import StorageError, StorageErrorKind

SYSTEM_FLAGS = ("\\Answered", "\\Deleted", "\\Draft", "\\Flagged", "\\Seen")
SEEN = "\\Seen"
DELETED = "\\Deleted"
_SYSTEM_BY_FOLD = {f.casefold(): f for f in SYSTEM_FLAGS}
_RECENT = "\\recent"


def parse(text: str) -> frozenset[str]:
    return frozenset(text.split())


def format_flags(flags: Iterable[str]) -> str:
    return " ".join(sorted(flags))


def canonical(flags: Iterable[str], known: dict[str, str]) -> tuple[frozenset[str], list[str]]:
    """Canonical spellings of ``flags`` and the keywords ``known`` did not have yet.

    ``known`` maps casefolded keyword -> stored spelling for one mailbox; it is
    updated in place with the new keywords (so one call sees them consistently).
    """
    out: set[str] = set()
    new: list[str] = []
    for flag in flags:
        if not flag or any(c.isspace() for c in flag):
            raise ValueError(f"invalid flag {flag!r}")
        fold = flag.casefold()
        if fold == _RECENT:
            continue
        if fold in _SYSTEM_BY_FOLD:
            out.add(_SYSTEM_BY_FOLD[fold])
        elif flag.startswith("\\"):
            # RFC 9051 2.3.2: servers must not set flag extensions no standard defines.
            raise StorageError(StorageErrorKind.CANNOT, f"unknown system flag {flag}")
        elif fold in known:
            out.add(known[fold])
        else:
            known[fold] = flag
            new.append(flag)
            out.add(flag)
    return frozenset(out), new


def is_keyword(flag: str) -> bool:
    return not flag.startswith("\\")
