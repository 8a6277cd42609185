"""Property: a client that applies the view's responses always agrees with the server.

Random changes by "another session" (appends, flag changes, expunges) are
interleaved with syncs that may or may not allow EXPUNGE. A model client
applies EXISTS / EXPUNGE / FETCH exactly as RFC 9051 says; every FETCH's UID
must be the one the model has at that sequence number, and after a final
sync that allows expunges the model, the view and the store agree.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roost.session.selected import SelectedView
from roost.storage.sqlite import SqliteStore

from .harness import add_messages, make_user

_LINE = re.compile(rb"\* (\d+) (EXISTS|EXPUNGE|RECENT|FETCH \(FLAGS \(([^)]*)\) UID (\d+)\))\r\n")

ops = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(1, 3)),
        st.tuples(st.just("flag"), st.integers(0, 20), st.sampled_from(["\\Seen", "$x"])),
        st.tuples(st.just("expunge"), st.integers(0, 20)),
        st.tuples(st.just("sync"), st.booleans()),
    ),
    max_size=10,
)


class ModelClient:
    def __init__(self, uids: list[int]) -> None:
        self.uids: list[int | None] = list(uids)

    def apply(self, lines: list[bytes]) -> None:
        for line in lines:
            if line.startswith((b"* FLAGS ", b"* OK [PERMANENTFLAGS ")):
                continue
            m = _LINE.fullmatch(line)
            assert m, line
            n = int(m.group(1))
            kind = m.group(2)
            if kind == b"EXISTS":
                assert n >= len(self.uids)
                self.uids.extend([None] * (n - len(self.uids)))
            elif kind == b"EXPUNGE":
                assert 1 <= n <= len(self.uids)
                del self.uids[n - 1]
            elif kind.startswith(b"FETCH"):
                uid = int(m.group(4))
                assert self.uids[n - 1] in (None, uid), (n, uid, self.uids)
                self.uids[n - 1] = uid


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_model_client_stays_in_step(operations):
    tmp = Path(tempfile.mkdtemp())
    store = SqliteStore(tmp / "data")
    try:
        make_user(store)
        user = store.get_user("alice")
        box = store.get_mailbox(user.id, "INBOX")
        add_messages(store, box.id, 3)
        view = SelectedView.open(store, store.get_mailbox(user.id, "INBOX"), False, rev2=True)
        client = ModelClient(view.uids)
        for op in operations:
            current = [m.uid for m in store.message_flags(box.id)]
            if op[0] == "append":
                add_messages(store, box.id, op[1])
            elif op[0] == "flag" and current:
                store.store_flags(box.id, [current[op[1] % len(current)]], "+", [op[2]])
            elif op[0] == "expunge" and current:
                uid = current[op[1] % len(current)]
                store.store_flags(box.id, [uid], "+", ["\\Deleted"])
                store.expunge(box.id, [uid])
            elif op[0] == "sync":
                before = len(client.uids)
                lines = view.sync(store, op[1], True)
                if not op[1]:
                    assert not any(b"EXPUNGE" in line for line in lines)
                    assert len(view.uids) >= before  # numbers never shrink without EXPUNGE
                client.apply(lines)
                assert len(client.uids) == view.exists()
        client.apply(view.sync(store, True, True))
        final = store.message_flags(box.id)
        assert view.uids == [m.uid for m in final]
        assert len(client.uids) == len(final)
        assert all(u in (None, m.uid) for u, m in zip(client.uids, final, strict=True))
        assert view.flags == {m.uid: m.flags for m in final}
    finally:
        store.close()
        shutil.rmtree(tmp)
