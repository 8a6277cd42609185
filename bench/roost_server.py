"""A private roost instance: ``roost serve`` as a child process with its own data dir.

It gets a TOML config in the run directory: 127.0.0.1 on a free port, no
implicit-TLS listener, plaintext logins allowed (like Dovecot's ``ssl = no``),
roost's default ``fsync = "always"`` (see ``FSYNC``), and the Argon2id
parameters of the accounts' hashes, so roost never re-hashes a password on
login (it upgrades hashes whose parameters differ from its config) and a
login costs exactly what it costs Dovecot.

Mail is loaded before the server starts with roost's own store API
(``SqliteStore.append`` in batches of 500, which runs the same MIME analysis
as an IMAP APPEND). Durability is not under test while loading, so the
loader replaces ``os.fsync`` with a no-op and calls ``os.sync()`` once at the
end — as the Dovecot side writes its Maildir files without fsync.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.servers import HOST, Account, Argon2Params, free_port, spawn, stop, wait_ready

REPO = Path(__file__).resolve().parent.parent


def version() -> str:
    out = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return f"roost {out.stdout.strip() or 'unknown'}"


# One worker process per core, as Dovecot spreads its imap processes over them.
PROCESSES = os.cpu_count() or 1

# roost's own default: every change waits for its fsync. The Dovecot instance
# keeps Dovecot's default mail_fsync = optimized (flag changes are not
# fsynced); ``scripts/bench --roost-fsync optimized`` gives roost that policy.
FSYNC = "always"


class Roost:
    name = "roost"

    def __init__(self, root: Path, argon2: Argon2Params) -> None:
        self.root = root
        self.data_dir = root / "data"
        self.argon2 = argon2
        self.conf = root / "roost.toml"
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.auth_cache = False  # roost's auth cache (off by default, as Dovecot's)

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.write_config(self.argon2)

    def write_config(self, argon2: Argon2Params) -> None:
        self.argon2 = argon2
        # Like the Dovecot instance with auth_cache: 1 hour, 10,000 entries.
        cache = "auth_cache_ttl = 3600\nauth_cache_size = 10000\n" if self.auth_cache else ""
        self.conf.write_text(
            f"""# private benchmark instance (written by bench/roost_server.py)
data_dir = "{self.data_dir}"
imap = "{HOST}:{self.port}"
imaps = ""
allow_plaintext_auth = true
argon2_time_cost = {argon2.time_cost}
argon2_memory_kib = {argon2.memory_kib}
argon2_parallelism = {argon2.parallelism}
log_level = "INFO"
processes = {PROCESSES}
fsync = "{FSYNC}"
{cache}"""
        )

    def start(self) -> None:
        roost = Path(sys.executable).with_name("roost")
        argv = [str(roost)] if roost.exists() else [sys.executable, "-m", "roost"]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = spawn(
            [*argv, "serve", "--config", str(self.conf)], self.root / "roost.log", env
        )
        try:
            wait_ready(self.port, self.process)
        except Exception:
            self.stop()
            raise

    def restart(self, argon2: Argon2Params, *, auth_cache: bool | None = None) -> None:
        """Stop, rewrite the config with other Argon2 parameters (and, when
        given, the auth cache on or off), start again."""
        self.stop()
        if auth_cache is not None:
            self.auth_cache = auth_cache
        self.write_config(argon2)
        self.start()

    def stop(self) -> None:
        stop(self.process)
        self.process = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def errors(self) -> list[str]:
        path = self.root / "roost.log"
        if not path.exists():
            return []
        lines = path.read_text(errors="replace").splitlines()
        return [x for x in lines if " ERROR " in x or "Traceback" in x or " CRITICAL " in x]


def create_accounts(data_dir: Path, accounts: list[Account]) -> None:
    """Users with the given PHC strings, through the store API (server not running)."""
    from roost.storage.sqlite import SqliteStore

    store = SqliteStore(data_dir)
    try:
        for account in accounts:
            if store.get_user(account.name) is None:
                store.create_user(account.name, account.phc)
    finally:
        store.close()
