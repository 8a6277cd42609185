"""The per-process cache of header sections: bounded by bytes, least recently used out first."""

from __future__ import annotations

import threading

from roost.commands.section_cache import ENTRY_OVERHEAD, SectionCache


def test_a_hit_returns_what_was_put() -> None:
    cache = SectionCache(max_bytes=10_000)
    assert cache.get(("blob", "s")) is None
    cache.put(("blob", "s"), b"Subject: x\r\n\r\n")
    assert cache.get(("blob", "s")) == b"Subject: x\r\n\r\n"
    assert cache.size == len(b"Subject: x\r\n\r\n") + ENTRY_OVERHEAD


def test_least_recently_used_goes_first_when_full() -> None:
    cache = SectionCache(max_bytes=3 * (100 + ENTRY_OVERHEAD))
    for key in "abc":
        cache.put(key, key.encode() * 100)
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("d", b"d" * 100)
    assert cache.get("b") is None
    assert [cache.get(k) is not None for k in "acd"] == [True, True, True]
    assert cache.size <= cache.max_bytes
    assert len(cache) == 3


def test_replacing_a_key_keeps_the_account_right() -> None:
    cache = SectionCache(max_bytes=10_000)
    cache.put("k", b"x" * 500)
    cache.put("k", b"y" * 100)
    assert cache.get("k") == b"y" * 100
    assert cache.size == 100 + ENTRY_OVERHEAD


def test_an_entry_bigger_than_the_cache_is_not_kept() -> None:
    cache = SectionCache(max_bytes=1000)
    cache.put("small", b"s")
    cache.put("huge", b"h" * 2000)
    assert cache.get("huge") is None
    assert cache.get("small") == b"s"


def test_threads_share_it_safely() -> None:
    cache = SectionCache(max_bytes=50 * (10 + ENTRY_OVERHEAD))

    def work(offset: int) -> None:
        for n in range(2000):
            key = (offset + n) % 200
            cache.put(key, b"%010d" % key)
            got = cache.get(key)
            assert got is None or got == b"%010d" % key

    threads = [threading.Thread(target=work, args=(k * 37,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.size == len(cache) * (10 + ENTRY_OVERHEAD) <= cache.max_bytes
