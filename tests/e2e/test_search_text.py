"""SEARCH over the sample messages: MIME decoding, encoded words, UTF-8 and dates.

RFC 9051 6.4.4: string keys match decoded text case-insensitively; BODY searches
the body only, TEXT header and body; SENT* use the Date: field in its own zone.
"""

from __future__ import annotations

import pytest

from .conftest import SAMPLES, append
from .imapwire import Lit


@pytest.fixture
def samples(raw, sample) -> dict[str, int]:
    """Every sample in INBOX; {name: sequence number}."""
    for name in SAMPLES:
        append(raw, "INBOX", sample[name])
    assert raw.command("SELECT INBOX").ok
    return {name: i for i, name in enumerate(SAMPLES, 1)}


def search(raw, *parts) -> set[int]:
    result = raw.command("SEARCH ", *parts)
    assert result.ok, (parts, result)
    (numbers,) = result.named("SEARCH")
    return {int(n) for n in numbers}


def utf8(raw, key: str, word: str) -> set[int]:
    return search(raw, f"CHARSET UTF-8 {key} ", Lit(word.encode()))


def test_qp_soft_line_break_is_joined(raw, samples):
    # "Caf=C3=A9 cr=\r\n=C3=A8me" decodes to "Café crème" across the soft break
    assert utf8(raw, "BODY", "Café crème") == {samples["alternative"]}


def test_base64_text_is_decoded(raw, samples):
    assert search(raw, "BODY kumquat") == {samples["mixed"]}
    assert search(raw, "BODY VGhlIHNlY3JldCBmcnVpdC") == set()  # not the encoded form


def test_attachment_is_not_text(raw, samples):
    # the base64 application/octet-stream part holds no searchable text
    assert search(raw, "BODY AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd") == set()


def test_encoded_word_subject(raw, samples):
    assert utf8(raw, "SUBJECT", "grüße aus köln") == {samples["encoded_headers"]}
    # two adjacent encoded words: the whitespace between them is not text
    assert utf8(raw, "SUBJECT", "Köln und München") == {samples["encoded_headers"]}


def test_encoded_word_from_latin1(raw, samples):
    assert utf8(raw, "FROM", "André") == {samples["encoded_headers"]}
    assert search(raw, "FROM pirard@vm1") == {samples["encoded_headers"]}


def test_raw_utf8_headers(raw, samples):
    assert utf8(raw, "SUBJECT", "straße") == {samples["utf8_headers"]}
    assert utf8(raw, "FROM", "jörg") == {samples["utf8_headers"]}
    assert utf8(raw, "BODY", "käse") == {samples["utf8_headers"]}


def test_text_covers_header_and_body(raw, samples):
    assert search(raw, "TEXT noodle") == {samples["nested"]}  # inside message/rfc822
    assert search(raw, "TEXT Quarterly") == {samples["alternative"]}
    assert search(raw, "BODY Quarterly") == {samples["alternative"]}  # also in its body
    assert search(raw, "BODY Carol") == set()  # only a header of mixed.eml


def test_header_key_on_any_field(raw, samples):
    assert search(raw, "HEADER Message-ID nested.1") == {samples["nested"]}
    assert search(raw, 'HEADER "Content-Type" "multipart/mixed"') == {
        samples["mixed"],
        samples["nested"],
        samples["related"],
        samples["malformed"],
    }
    assert search(raw, 'HEADER "X-Not-There" ""') == set()


def test_sent_dates_use_own_zone(raw, samples):
    # plain.eml: "Mon, 7 Feb 1994 21:52:25 -0800 (PST)" is 8 Feb in UTC
    assert search(raw, "SENTON 7-Feb-1994") == {samples["plain"]}
    assert search(raw, "SENTON 8-Feb-1994") == set()
    assert search(raw, "SENTBEFORE 1-Jan-2000") == {samples["plain"]}


def test_group_addresses_searchable(raw, samples):
    assert search(raw, "CC ann@example.com") == {samples["related"]}
    assert search(raw, "TO undisclosed-recipients") == {samples["related"]}


def test_8bit_search_without_charset(raw, samples):
    # rev1 without CHARSET means US-ASCII: 8-bit text there is an error, not a match
    result = raw.command("SEARCH SUBJECT ", Lit("straße".encode()))
    assert result.status in ("NO", "BAD") or result.named("SEARCH") in (
        [[str(samples["utf8_headers"])]],
        [[]],
    )
