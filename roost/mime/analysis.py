"""``analyse``: one pass per message at APPEND/delivery.

Builds the part tree and precomputes ENVELOPE, BODY and BODYSTRUCTURE so that
FETCH never parses a message again. Never raises on any input: mail that is
not valid MIME still gets a best-effort structure.
"""

from __future__ import annotations

from roost.mime.bodystructure import body_value
from roost.mime.envelope import envelope
from roost.mime.headers import field_list
from roost.mime.part import Analysis, Part
from roost.mime.structure import build_with_header


def analyse(raw: bytes) -> Analysis:
    """Analyse a stored message (bytes exactly as stored)."""
    root, fields = build_with_header(raw)
    cache: dict[int, bytes] = {id(root): envelope(raw, fields)}

    def envelope_of(message: Part) -> bytes:
        key = id(message)
        if key not in cache:
            cache[key] = envelope(raw, field_list(raw, message.header_start, message.body_start))
        return cache[key]

    return Analysis(
        envelope=cache[id(root)],
        body=body_value(root, envelope_of, extended=False),
        bodystructure=body_value(root, envelope_of, extended=True),
        structure=root,
        header_fields=fields,
    )
