"""What both servers under test share: accounts, processes, readiness, shutdown.

Rules:
- Every server runs as a child in its own session (process group), listening
  on 127.0.0.1 only, on a port picked free just before it starts.
- ``stop`` sends SIGTERM to the group, waits, then SIGKILLs the group: no
  process of a server outlives the suite, also when the suite fails.
- Accounts carry one Argon2id PHC string that both servers are given, so the
  cost of checking a password is the same on both by construction.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher, Type

HOST = "127.0.0.1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


@dataclass(frozen=True)
class Argon2Params:
    time_cost: int
    memory_kib: int
    parallelism: int

    def describe(self) -> str:
        return f"Argon2id m={self.memory_kib} KiB, t={self.time_cost}, p={self.parallelism}"


# Dovecot's ARGON2ID default (`doveadm pw -s ARGON2ID`: libsodium's interactive
# limits) and roost's default configuration are the same parameters.
STANDARD_ARGON2 = Argon2Params(time_cost=3, memory_kib=65536, parallelism=1)
# For the 10,000 idle connections only, whose logins are set-up, not measurement.
CHEAP_ARGON2 = Argon2Params(time_cost=1, memory_kib=4096, parallelism=1)


@dataclass(frozen=True)
class Account:
    name: str
    password: str
    phc: str  # $argon2id$v=19$m=...,t=...,p=...$salt$hash


def make_accounts(names: list[str], params: Argon2Params, threads: int = 2) -> list[Account]:
    hasher = PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        type=Type.ID,
    )

    def one(name: str) -> Account:
        password = f"pw-{name}-bench"
        return Account(name, password, hasher.hash(password))

    with ThreadPoolExecutor(threads) as pool:  # argon2-cffi releases the GIL
        return list(pool.map(one, names))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def raise_nofile() -> int:
    """Raise this process's soft fd limit to the hard limit; returns the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def wait_ready(port: int, process: subprocess.Popen, timeout: float = START_TIMEOUT) -> None:
    """Until a connection to ``port`` gets an ``* OK`` greeting (or the process died)."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=5) as sock:
                greeting = sock.makefile("rb").readline()
                if greeting.startswith(b"* OK"):
                    sock.sendall(b"z LOGOUT\r\n")
                    return
                last = RuntimeError(f"greeting {greeting!r}")
        except OSError as exc:
            last = exc
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} not ready after {timeout}s: {last!r}")


def spawn(argv: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``argv`` in a new session with the fd limit raised; output to ``log``."""
    out = open(log, "ab")  # noqa: SIM115 - handed to the child, closed by the caller's exit
    try:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=raise_nofile,  # noqa: PLW1509 - no threads hold locks here
            env=env,
        )
    finally:
        out.close()


def stop(process: subprocess.Popen | None) -> None:
    """SIGTERM the leader (it stops its children), then SIGKILL the whole group."""
    if process is None:
        return
    pgid = process.pid  # start_new_session: the group id is the leader's pid
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(STOP_TIMEOUT)
    _signal_group(pgid, signal.SIGKILL)  # stragglers (children of a forking server)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(STOP_TIMEOUT)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)
