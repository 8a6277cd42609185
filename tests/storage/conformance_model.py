"""Backend-independent property test: random operations against a plain model.

After every step the store must match the model (UIDs and flags), HIGHESTMODSEQ
must grow exactly when something changed, and for *every* earlier snapshot,
applying ``changes_since(snapshot modseq)`` to that snapshot must give the
current state: that is what lets any session catch up.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roost.storage.interface import MailStore, NewMessage
from tests.storage.helpers import flags_of, new_user, raw_message

FLAGS = ["\\Seen", "\\Deleted", "\\Flagged", "$Work"]
_counter = itertools.count()

flag_sets = st.frozensets(st.sampled_from(FLAGS), max_size=3)
uid_picks = st.lists(st.integers(min_value=1, max_value=12), max_size=5)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.lists(flag_sets, min_size=1, max_size=3)),
        st.tuples(st.just("store"), uid_picks, st.sampled_from(["+", "-", ""]), flag_sets),
        st.tuples(st.just("expunge"), st.one_of(st.none(), uid_picks)),
        st.tuples(st.just("move"), uid_picks),
    ),
    max_size=12,
)


def _apply(store: MailStore, box: int, away: int, model: dict, op: tuple) -> None:
    kind = op[0]
    if kind == "append":
        messages = [NewMessage(raw_message(next(_counter)), f) for f in op[1]]
        start = max(model["next"], 1)
        assert store.append(box, messages).uids == list(range(start, start + len(messages)))
        for i, f in enumerate(op[1]):
            model["msgs"][start + i] = f
        model["next"] = start + len(messages)
    elif kind == "store":
        _, uids, mode, f = op
        store.store_flags(box, uids, mode, f)
        for uid in set(uids) & set(model["msgs"]):
            old = model["msgs"][uid]
            model["msgs"][uid] = old | f if mode == "+" else old - f if mode == "-" else f
    elif kind == "expunge":
        scope = set(model["msgs"]) if op[1] is None else set(op[1]) & set(model["msgs"])
        gone = sorted(u for u in scope if "\\Deleted" in model["msgs"][u])
        assert store.expunge(box, op[1]) == gone
        for uid in gone:
            del model["msgs"][uid]
    else:
        moved = sorted(set(op[1]) & set(model["msgs"]))
        assert store.move(box, op[1], away).source_uids == moved
        for uid in moved:
            del model["msgs"][uid]


def _check_catch_up(store: MailStore, box: int, snapshots: list, now: dict) -> None:
    for modseq, state in snapshots:
        changes = store.changes_since(box, modseq)
        rebuilt = {u: f for u, f in state.items() if u not in changes.expunged}
        rebuilt.update({m.uid: m.flags for m in changes.changed})
        assert rebuilt == now


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=operations)
def test_random_operations_match_model(store: MailStore, ops: list[tuple]) -> None:
    n = next(_counter)
    user = store.get_user("model") or new_user(store, "model")
    box = store.create_mailbox(user.id, f"box{n}").id
    away = store.create_mailbox(user.id, f"away{n}").id
    model: dict = {"msgs": {}, "next": 1}
    snapshots = [(store.status(box).highestmodseq, {})]
    for op in ops:
        before = store.status(box).highestmodseq
        _apply(store, box, away, model, op)
        now = flags_of(store, box)
        assert now == model["msgs"]
        after = store.status(box).highestmodseq
        assert after > before if now != snapshots[-1][1] else after >= before
        assert all(m.modseq <= after for m in store.message_flags(box))
        snapshots.append((after, now))
        _check_catch_up(store, box, snapshots, now)
