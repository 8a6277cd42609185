"""Server configuration: one TOML file with safe defaults, overridden by CLI flags.

Every limit is a named field with the reason for its default beside it. The
``Config`` value is immutable; ``load_config`` reads a file and ``with_overrides``
applies command-line flags.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Config:
    # Where the SQLite database, message files and generated TLS key live.
    data_dir: Path = Path("roost-data")
    # Plain IMAP (STARTTLS) and implicit-TLS listeners, "host:port"; "" disables one.
    # Non-privileged defaults so `roost serve` works as any user.
    imap: str = "127.0.0.1:1143"
    imaps: str = "127.0.0.1:1993"
    tls_cert: Path | None = None  # None: a self-signed pair is made in data_dir
    tls_key: Path | None = None
    # Off by default: LOGIN/AUTHENTICATE over cleartext only when the admin says so.
    allow_plaintext_auth: bool = False
    # RFC 9051 6 / RFC 7162 4: servers should accept command lines of at least
    # 8192 octets; 64 KiB leaves room for long UID sets from sync clients.
    max_line_length: int = 65536
    # Largest literal (APPENDLIMIT, RFC 7889); 64 MiB is above what MTAs
    # usually accept (Postfix's default message_size_limit is 10 MiB).
    max_literal_size: int = 64 * 1024 * 1024
    # RFC 9051 5.4: the autologout timer must be at least 30 minutes.
    idle_timeout: float = 30 * 60
    # Before a login is refused (the delay grows with repeated failures).
    auth_failure_delay: float = 1.0
    auth_failure_delay_max: float = 15.0
    # IDLE keepalive ("* OK Still here") so NAT boxes keep the connection open.
    idle_keepalive: float = 120.0
    # Argon2id parameters (RFC 9106 second recommended option, memory-lowered).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 1
    # Authentication cache (like Dovecot's auth_cache): seconds a successful
    # login is remembered, so the next login with the same name and password
    # skips Argon2. 0 turns it off (the default, as in Dovecot). Passwords are
    # never kept, only a keyed hash; a changed or deleted account misses at once.
    auth_cache_ttl: float = 0.0
    auth_cache_size: int = 10_000  # entries (least recently used dropped first)
    # Processes serving connections. One Python process uses about one core;
    # with more, a supervisor hands connections to that many workers in turn
    # (roost.server.processes). Login throttling and the auth cache are per process.
    processes: int = 1
    log_level: str = "INFO"
    # "auto": uvloop when installed (faster), else asyncio's loop; "uvloop"; "asyncio".
    event_loop: str = "auto"
    # "always": every change waits for its fsync. "optimized": flag changes and
    # \Recent claims do not (as Dovecot's default mail_fsync = optimized); a
    # power failure may then undo the last of them. New mail always waits.
    fsync: str = "always"

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with the given fields replaced; ``None`` values are ignored."""
        kept = {k: v for k, v in overrides.items() if v is not None}
        return dataclasses.replace(self, **_coerce(kept))


_PATH_FIELDS = {"data_dir", "tls_cert", "tls_key"}


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(Config)}
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"unknown configuration keys: {', '.join(sorted(unknown))}")
    return {k: Path(v) if k in _PATH_FIELDS and v is not None else v for k, v in values.items()}


def load_config(path: Path | None) -> Config:
    """Read a TOML file (keys as in ``Config``, dashes or underscores); None: defaults."""
    if path is None:
        return Config()
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict):  # allow [server], [limits] ... sections
            flat.update({k.replace("-", "_"): v for k, v in value.items()})
        else:
            flat[key.replace("-", "_")] = value
    config = Config().with_overrides(**flat)
    if not config.data_dir.is_absolute():
        config = dataclasses.replace(config, data_dir=path.parent / config.data_dir)
    return config
