"""MIME analysis for roost (pure: no I/O).

``analyse`` runs once per message and yields the part tree with byte offsets
plus the IMAP wire forms of ENVELOPE, BODY and BODYSTRUCTURE; ``section_bytes``
and ``binary_bytes`` answer FETCH from the stored bytes and the tree; the
remaining helpers give SEARCH its decoded text. See docs/contracts.md ("mime").
"""

from __future__ import annotations

from roost.mime.analysis import analyse
from roost.mime.errors import UnknownEncoding
from roost.mime.part import Analysis, Part
from roost.mime.searchtext import (
    decoded_header,
    header_block,
    header_values,
    search_text,
    sent_date,
)
from roost.mime.sections import binary_bytes, find_part, section_bytes

__all__ = [
    "Analysis",
    "Part",
    "UnknownEncoding",
    "analyse",
    "binary_bytes",
    "decoded_header",
    "find_part",
    "header_block",
    "header_values",
    "search_text",
    "section_bytes",
    "sent_date",
]
