"""Errors raised by the MIME package.

Analysis never raises on malformed mail; the only error callers see is
``UnknownEncoding`` from ``binary_bytes``, which the server answers with
``NO [UNKNOWN-CTE]`` (RFC 3516 section 4.3).
"""

from __future__ import annotations


class UnknownEncoding(ValueError):
    """The part's Content-Transfer-Encoding is not one we can decode."""

    def __init__(self, encoding: str) -> None:
        super().__init__(f"unknown content-transfer-encoding: {encoding}")
        self.encoding = encoding
