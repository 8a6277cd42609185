"""A private Dovecot instance: its own config, users, Maildirs and process group.

Nothing of the system's Dovecot is used but the binaries: the instance has its
own ``base_dir``/``state_dir``/logs under the run directory, listens on
127.0.0.1 on a free port, runs in the foreground (``dovecot -F``) as a child
of the suite, and is stopped with its whole process group.

Configuration (stated in the report):
- ``ssl = no``, ``disable_plaintext_auth = no``; mechanisms PLAIN and LOGIN.
- passdb passwd-file with ``{ARGON2ID}`` PHC strings (the same strings roost
  gets); userdb static, every user mapped to ``nobody``/``nogroup`` (a
  dedicated unprivileged uid), home ``<run>/home/<user>``, mail
  ``maildir:~/Maildir`` (Dovecot's most common format).
- Login processes in Dovecot's documented high-performance mode
  (``service_count = 0``, ``process_min_avail`` = cores); process and client
  limits raised for 10,000+ sessions; ``mail_max_userip_connections`` raised
  (all clients come from 127.0.0.1).
- ``imap_zlib`` plugin for COMPRESS=DEFLATE (RFC 4978), used only by the
  clients of the compress workload.
- ``auth_cache_size`` 0 by default; the cache variant uses 10 MB, TTL 1 h.
- Everything else is Dovecot's default (e.g. ``mail_fsync = optimized``).

Mail is loaded by writing Maildir files directly (``cur/`` with flags in the
file name, ``S=`` size, mtime = internal date) as ``nobody``, then
``doveadm index`` builds each mailbox's index before the server starts.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

from bench.servers import HOST, Account, free_port, spawn, stop, wait_ready

MAIL_USER = "nobody"
INTERNAL_USER = "dovecot"  # default_internal_user of Debian's package
MAILDIR_FLAGS = {
    "\\Draft": "D",
    "\\Flagged": "F",
    "\\Answered": "R",
    "\\Seen": "S",
    "\\Deleted": "T",
}


def available() -> bool:
    return shutil.which("dovecot") is not None and shutil.which("doveadm") is not None


def version() -> str:
    out = subprocess.run(["dovecot", "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip() or "unknown"


class Dovecot:
    name = "Dovecot"

    def __init__(self, root: Path, accounts: list[Account], *, auth_cache: bool = False,
                 max_sessions: int = 12_000, home_root: Path | None = None) -> None:  # fmt: skip
        self.root = root
        self.accounts = accounts
        self.auth_cache = auth_cache
        self.max_sessions = max_sessions
        self.home_root = home_root or root / "home"
        self.conf = root / "dovecot.conf"
        self.port = 0
        self.process: subprocess.Popen | None = None
        entry = pwd.getpwnam(MAIL_USER)
        self.uid, self.gid = entry.pw_uid, entry.pw_gid

    # ------------------------------------------------------------ setup

    def prepare(self) -> None:
        """Write the config and the passwd-file; make the (empty) homes."""
        for sub in ("run", "state", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        self.home_root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.home_root.parent, 0o755)
        os.chown(self.home_root, self.uid, self.gid)
        users = self.root / "users"
        users.write_text("".join(f"{a.name}:{{ARGON2ID}}{a.phc}::::::\n" for a in self.accounts))
        # the auth process runs as Dovecot's internal user: readable by its group only
        os.chown(users, 0, pwd.getpwnam(INTERNAL_USER).pw_gid)
        os.chmod(users, 0o640)
        self.port = free_port()
        self.conf.write_text(self._config())

    def _config(self) -> str:
        r, n = self.root, self.max_sessions
        cache = "auth_cache_size = 10M\nauth_cache_ttl = 1 hour\nauth_cache_negative_ttl = 1 hour\n"
        return f"""# private benchmark instance (written by bench/dovecot.py)
instance_name = bench-dovecot-{os.getpid()}-{self.port}
base_dir = {r}/run
state_dir = {r}/state
protocols = imap
listen = {HOST}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {r}/log/dovecot.log
info_log_path = {r}/log/info.log
mail_location = maildir:~/Maildir
first_valid_uid = 1
first_valid_gid = 1
default_client_limit = {n + 1000}
{cache if self.auth_cache else "auth_cache_size = 0"}
passdb {{
  driver = passwd-file
  args = scheme=ARGON2ID {r}/users
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={self.home_root}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  service_count = 0
  process_min_avail = {os.cpu_count() or 2}
  vsz_limit = 1G
}}
service imap {{
  process_limit = {n + 100}
}}
service anvil {{
  client_limit = {n + 1000}
}}
service auth {{
  client_limit = {n + 1000}
}}
protocol imap {{
  mail_max_userip_connections = {n + 100}
  mail_plugins = $mail_plugins imap_zlib
}}
"""

    # ------------------------------------------------------------ mail

    def maildir(self, user: str, mailbox: str) -> Path:
        base = self.home_root / user / "Maildir"
        return base if mailbox == "INBOX" else base / f".{mailbox}"

    def index(self, user: str, mailbox: str) -> None:
        """Build the mailbox's index now (as a server would on first access)."""
        subprocess.run(
            ["doveadm", "-c", str(self.conf), "index", "-u", user, mailbox],
            check=True, capture_output=True, timeout=3600,
        )  # fmt: skip

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        log = self.root / "log" / "stdout.log"
        self.process = spawn(["dovecot", "-c", str(self.conf), "-F"], log)
        try:
            wait_ready(self.port, self.process)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        stop(self.process)
        self.process = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def errors(self) -> list[str]:
        """Error/fatal lines of its log (for the report's notes)."""
        path = self.root / "log" / "dovecot.log"
        if not path.exists():
            return []
        lines = path.read_text(errors="replace").splitlines()
        return [x for x in lines if "Error:" in x or "Fatal:" in x or "Panic:" in x]


def maildir_name(index: int, size: int, flags: tuple[str, ...]) -> str:
    """A unique Maildir file name that sorts in ``index`` order, with size and flags."""
    letters = "".join(sorted(MAILDIR_FLAGS[f] for f in flags if f in MAILDIR_FLAGS))
    return f"{1_600_000_000 + index}.M{index:08d}P1.bench,S={size}:2,{letters}"


def make_maildir(path: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
