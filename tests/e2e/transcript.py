"""Compare a command's responses with an RFC-style transcript ("S: ..." lines).

``expect(result, lines)``: ``lines`` are the server lines of an RFC example
(without "S: "), the tagged line last. Untagged responses are matched as a multiset
(servers may order them differently), each by parsed value:
- ``<*>`` matches any one value, and ``<...>`` at the end of a list any rest;
- strings and atoms compare case-insensitively (the transcripts are built so case
  is never the point; exact bytes are checked elsewhere);
- a list of flags/attributes compares as a set; FETCH items and STATUS items
  compare as maps (their order is free);
- ``OK``/``NO``/``BAD``/``BYE`` lines compare the status and response code, not the text.
Unexpected untagged responses fail, except the names in ``extra`` (default: plain
``OK`` lines such as ``* OK [UNSEEN 1]``).
"""

from __future__ import annotations

from .imapwire import Atom, Result, parse_values, text

STATUSES = ("OK", "NO", "BAD", "BYE", "PREAUTH")


def expect(result: Result, lines: list[str | bytes], extra: tuple[str, ...] = ("OK",)) -> None:
    wanted = [x.encode() if isinstance(x, str) else x for x in lines]
    tagged, untagged = wanted[-1], [w.removeprefix(b"* ") for w in wanted[:-1]]
    _check_tagged(result, tagged)
    actual = list(result.untagged)
    for want in untagged:
        hit = next((a for a in actual if _same_response(want, a)), None)
        assert hit is not None, f"missing {want!r}\n  got {actual!r}"
        actual.remove(hit)
    for line in actual:
        first = line.split(b" ", 1)[0].decode(errors="replace").upper()
        second = (line.split(b" ", 2) + [b""])[1].decode(errors="replace").upper()
        assert first in extra or second in extra, f"unexpected response {line!r}"


def _check_tagged(result: Result, want: bytes) -> None:
    tag, status, rest = (want.split(b" ", 2) + [b""])[:3]
    assert result.status == status.decode(), f"{result.tag}: {result.status} {result.text}"
    if rest.startswith(b"["):
        code = rest[1 : rest.index(b"]")]
        assert result.code is not None, f"no response code, expected {code!r}"
        assert _same(parse_values(code), parse_values(result.code.encode())), result.code


def _status_parts(line: bytes) -> tuple[str, list] | None:
    word = line.split(b" ", 1)[0].decode(errors="replace").upper()
    if word not in STATUSES:
        return None
    rest = line[len(word) + 1 :]
    code = rest[1 : rest.index(b"]")] if rest.startswith(b"[") else b""
    return word, parse_values(code)


def _same_response(want: bytes, got: bytes) -> bool:
    want_status, got_status = _status_parts(want), _status_parts(got)
    if want_status or got_status:
        return (
            bool(want_status and got_status)
            and want_status[0] == got_status[0]
            and _same(want_status[1], got_status[1])
        )
    w, g = parse_values(want), parse_values(got)
    if len(w) >= 3 and str(w[1]).upper() == "FETCH":
        return _same(w[:2], g[:2]) and len(g) == 3 and _same_map(w[2], g[2])
    if w and str(w[0]).upper() == "STATUS":
        return len(g) == 3 and _same(w[:2], g[:2]) and _same_map(w[2], g[2])
    return _same(w, g)


def _same_map(want: list, got: object) -> bool:
    if not isinstance(got, list) or len(want) != len(got):
        return False
    w = {str(want[i]).upper(): want[i + 1] for i in range(0, len(want), 2)}
    g = {str(got[i]).upper().replace(" ", ""): got[i + 1] for i in range(0, len(got), 2)}
    w = {k.replace(" ", ""): v for k, v in w.items()}
    return w.keys() == g.keys() and all(_same(w[k], g[k]) for k in w)


def _is_flag_list(value: list) -> bool:
    """Flags and attributes: all atoms, at least one a system flag (order is free)."""
    atoms = all(isinstance(v, Atom) for v in value)
    return bool(value) and atoms and any(v.startswith("\\") for v in value)


def _same(want: object, got: object) -> bool:
    if isinstance(want, Atom) and want == "<*>":
        return True
    if isinstance(want, list):
        if not isinstance(got, list):
            return False
        if want and isinstance(want[-1], Atom) and want[-1] == "<...>":
            head = want[:-1]
            return len(got) >= len(head) and _same(head, got[: len(head)])
        if _is_flag_list(want) or (not want and not got):
            return {v.lower() for v in want} == {str(v).lower() for v in got}
        return len(want) == len(got) and all(_same(a, b) for a, b in zip(want, got, strict=True))
    if want is None or got is None:
        return want is got
    if isinstance(got, list):
        return False
    return text(want).casefold() == text(got).casefold()
