"""Errors of the sans-IO protocol core.

``ParseError`` is raised by the parser for a command it cannot read. It carries
the command's tag when one could be read (``None`` otherwise) so the server can
answer ``tag BAD [code] text``; ``ServerConnection`` turns it into a
``ProtocolError`` event and never lets it escape. Texts are short, never echo
the client's data, and never contain CR or LF.
"""

from __future__ import annotations


class ParseError(Exception):
    """A command that does not follow the grammar (answered with BAD)."""

    def __init__(self, tag: str | None, text: str, code: str | None = None) -> None:
        super().__init__(text)
        self.tag = tag
        self.text = text
        self.code = code

    def __repr__(self) -> str:
        return f"ParseError(tag={self.tag!r}, text={self.text!r}, code={self.code!r})"


__all__ = ["ParseError"]
