"""FlagClasses (one class byte per message) against a plain list of flag sets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from roost.session import flag_classes
from roost.session.flag_classes import FLIP, FlagClasses, both, uid_mask

SETS = [frozenset(s) for s in ([], ["\\Seen"], ["\\Seen", "$A"], ["\\Flagged"], ["$a"], ["$B"])]


def _listed(classes: FlagClasses) -> list[frozenset[str]]:
    return [classes.flags_at(i) for i in range(len(classes))]


def test_build_shares_ids_for_equal_sets() -> None:
    flags = [SETS[1], frozenset({"\\Seen"}), SETS[0], SETS[1]]
    classes = FlagClasses.build(flags)
    assert classes is not None
    assert _listed(classes) == flags
    assert classes.ids[0] == classes.ids[1] == classes.ids[3] != classes.ids[2]


def test_matching_with_and_without_recent() -> None:
    classes = FlagClasses.build([SETS[0], SETS[1], SETS[0], SETS[3]])
    assert classes is not None
    unseen = classes.matching(lambda flags, recent: "\\Seen" not in flags)
    assert unseen == bytes([1, 0, 1, 1])
    recent = bytes([1, 1, 0, 0])
    new = classes.matching(lambda flags, recent: recent and "\\Seen" not in flags, recent)
    assert new == bytes([1, 0, 0, 0])
    old = classes.matching(lambda flags, recent: not recent, recent)
    assert old == bytes([0, 0, 1, 1])


def test_too_many_sets_gives_up_and_renumbering_frees_ids(monkeypatch) -> None:
    monkeypatch.setattr(flag_classes, "LIMIT", 3)
    assert FlagClasses.build(SETS[:4]) is None
    classes = FlagClasses.build(SETS[:3])
    assert classes is not None
    assert not classes.append(SETS[3])  # three sets in use: no id for a fourth
    assert classes.put(0, SETS[1])  # SETS[0] no longer used ...
    assert classes.append(SETS[3])  # ... so its id is taken again
    assert _listed(classes) == [SETS[1], SETS[1], SETS[2], SETS[3]]


def test_masks() -> None:
    uids = [2, 5, 9, 12]
    assert uid_mask(uids, {5, 12, 40}) == bytes([0, 1, 0, 1])
    many = set(range(100))
    assert uid_mask(uids, many) == bytes([1, 1, 1, 1])
    assert uid_mask(uids, set()) == bytes(4)
    assert bytes(4).translate(FLIP) == bytes([1, 1, 1, 1])
    assert both(bytes([1, 1, 0, 0]), bytes([1, 0, 1, 0])) == bytes([1, 0, 0, 0])


ops = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.integers(0, 50), st.sampled_from(SETS)),
        st.tuples(st.just("append"), st.sampled_from(SETS)),
        st.tuples(st.just("keep"), st.lists(st.booleans(), min_size=60, max_size=60)),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SETS), max_size=10), ops, st.integers(2, 8))
def test_follows_a_plain_list(start, operations, limit) -> None:
    original, flag_classes.LIMIT = flag_classes.LIMIT, limit
    try:
        model = list(start)
        classes = FlagClasses.build(model)
        for op in operations:
            if classes is None:
                break
            if op[0] == "put" and model:
                i = op[1] % len(model)
                model[i] = op[2]
                ok = classes.put(i, op[2])
            elif op[0] == "append":
                model.append(op[1])
                ok = classes.append(op[1])
            elif op[0] == "keep":
                kept = bytes(op[1][: len(model)])
                model = [f for f, k in zip(model, kept, strict=True) if k]
                classes.keep(kept)
                ok = True
            else:
                continue
            if not ok:  # given up only when ``limit`` sets are really in use
                assert len(set(model[:-1] if op[0] == "append" else model)) >= limit
                classes = None
                break
            assert _listed(classes) == model
            copy = classes.copy()
            assert _listed(copy) == model
            recent = bytes(i % 2 for i in range(len(model)))
            want = bytes(("\\Seen" in f) != bool(r) for f, r in zip(model, recent, strict=True))
            got = classes.matching(lambda flags, rec: ("\\Seen" in flags) != rec, recent)
            assert got == want
    finally:
        flag_classes.LIMIT = original
