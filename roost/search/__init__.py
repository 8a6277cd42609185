"""SEARCH evaluation (pure): does a message match a search key?

See ``roost.search.evaluate`` (``matches``, ``compile_key``, ``needs_body``,
``needs_header``, ``SearchMessage``, ``SearchScope``).
"""

from roost.search.evaluate import (
    SearchMessage,
    SearchScope,
    compile_key,
    matches,
    needs_body,
    needs_header,
)

__all__ = ["SearchMessage", "SearchScope", "compile_key", "matches", "needs_body", "needs_header"]
