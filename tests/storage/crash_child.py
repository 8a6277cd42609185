"""Child process for the crash tests: appends messages, then dies by SIGKILL.

Usage: ``python -m tests.storage.crash_child DATA_DIR MODE COUNT``

- ``ack``: append COUNT messages one by one, print ``ack <uid> <n>`` after each
  call returns, then SIGKILL itself at once.
- ``loop``: append forever, printing acks; the parent kills it at a random time.
- ``torn``: append COUNT messages, then start one more (big enough to get a
  body file) and SIGKILL itself right after that file is durable, before the
  row is committed.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from roost.storage import blobs
from roost.storage.interface import NewMessage
from roost.storage.sqlite import INLINE_MAX, SqliteStore
from tests.storage.helpers import mixed_size_message, raw_message


def main() -> None:
    data_dir, mode, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    store = SqliteStore(data_dir)
    user = store.get_user("crash") or store.create_user("crash", "x")
    inbox = store.get_mailbox(user.id, "INBOX")
    n = 0
    while mode == "loop" or n < count:
        uid = store.append(inbox.id, [NewMessage(mixed_size_message(n))]).uids[0]
        print(f"ack {uid} {n}", flush=True)
        n += 1
    if mode == "torn":
        real_write = blobs.BlobFiles.write

        def write_then_die(self: blobs.BlobFiles, blob_id: str, data: bytes) -> None:
            real_write(self, blob_id, data)
            print(f"blob {blob_id}", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

        blobs.BlobFiles.write = write_then_die  # type: ignore[method-assign]
        store.append(inbox.id, [NewMessage(raw_message(n, "x" * (INLINE_MAX + 1)))])
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main()
