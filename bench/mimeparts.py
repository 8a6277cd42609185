"""Encoding helpers for the corpus: line wrapping, quoted-printable, RFC 2047, multipart.

Written for ``bench.corpus`` only: each returns wire-ready text with CRLF line
endings; encoded words are at most 75 octets (RFC 2047 2) and whole
characters are never split across two encoded words.
"""

from __future__ import annotations

import base64
import quopri
import random


def wrap(text: str, width: int = 72) -> str:
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\r\n".join(lines)


def qp(text: str) -> bytes:
    return quopri.encodestring(text.encode("utf-8")).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def text_header(value: str, rng: random.Random, utf8: bool) -> str:
    """ASCII as is; else raw UTF-8 (RFC 6532) or RFC 2047 encoded words (B or Q)."""
    if value.isascii() or utf8:
        return value
    return b_encode(value) if rng.random() < 0.5 else q_encode(value)


def b_encode(value: str) -> str:
    """RFC 2047 B encoding, whole characters per encoded word (at most 75 octets each)."""
    words, current = [], ""
    for ch in value:
        if len((current + ch).encode("utf-8")) > 42:  # 42 octets -> 56 base64 chars
            words.append(current)
            current = ""
        current += ch
    words.append(current)
    encoded = (base64.b64encode(w.encode("utf-8")).decode("ascii") for w in words)
    return "\r\n ".join(f"=?UTF-8?B?{w}?=" for w in encoded)


def q_encode(value: str) -> str:
    """RFC 2047 Q encoding, one encoded word per ~60 octets, folded."""
    words, current = [], ""
    for ch in value:
        enc = ch if (ch.isascii() and ch.isalnum()) else ("_" if ch == " " else "")
        if not enc:
            enc = "".join(f"={b:02X}" for b in ch.encode("utf-8"))
        if len(current) + len(enc) > 60:
            words.append(current)
            current = ""
        current += enc
    words.append(current)
    return "\r\n ".join(f"=?utf-8?q?{w}?=" for w in words)


def address(who: tuple[str, str], rng: random.Random, utf8: bool) -> str:
    name, addr = who
    if name.isascii():
        return f'"{name}" <{addr}>' if rng.random() < 0.5 else f"{name} <{addr}>"
    return f"{text_header(name, rng, utf8)} <{addr}>"


def multipart_headers(subtype: str, boundary: str) -> list[tuple[str, str]]:
    return [("Content-Type", f'multipart/{subtype};\r\n\tboundary="{boundary}"')]


def multipart(boundary: str, parts: list[tuple[str, str | None, bytes, str | None]]) -> bytes:
    out = [b"This is a multi-part message in MIME format.\r\n"]
    for ctype, encoding, payload, filename in parts:
        head = f"--{boundary}\r\nContent-Type: {ctype}"
        if filename:
            encoded = filename if filename.isascii() else b_encode(filename)
            head += f'; name="{encoded}"\r\nContent-Disposition: attachment;'
            head += f' filename="{encoded}"'
        head += "\r\n"
        if encoding:
            head += f"Content-Transfer-Encoding: {encoding}\r\n"
        out += [head.encode("utf-8"), b"\r\n", payload]
        if not payload.endswith(b"\r\n"):
            out.append(b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)
