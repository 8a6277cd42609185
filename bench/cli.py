"""``python -m bench`` (``scripts/bench``): run the suite against roost and Dovecot.

    scripts/bench [--quick]
                  [--workloads mixed,bigmailbox,qresync,append,compress,login,push,idle]
                  [--out FILE] [--million] [--keep] [--workdir DIR]
                  [--roost-fsync always|optimized]

Steps: make the accounts (one Argon2id PHC string per user, given to both
servers), write both servers' configs, load the same mailboxes into both
(``bench.loader``), start both on 127.0.0.1, run each selected workload on
roost and then on Dovecot, print the table and write it to ``--out``
(default ``bench/results/latest.md``). Both servers (and the extra Dovecot
with an auth cache) are stopped in ``finally``, also on errors and on
SIGINT/SIGTERM; the run directory is removed unless ``--keep``.

A workload that fails on one server is reported as a note and the suite
goes on; a server that died is started again before the next workload.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench import dovecot as dovecot_mod
from bench import roost_server
from bench.corpus import DEFAULT_MAX_SIZE
from bench.dovecot import Dovecot
from bench.loader import MailboxLoad, load_both
from bench.plan import WORKLOADS, Plan
from bench.report import Results, machine
from bench.roost_server import Roost
from bench.servers import CHEAP_ARGON2, STANDARD_ARGON2, Account, make_accounts, raise_nofile
from bench.workloads import Bench, append, bigmailbox, compress, idle, login, mixed, push, qresync

REPO = Path(__file__).resolve().parent.parent
# idle last: it restarts roost
ORDER = ("mixed", "bigmailbox", "qresync", "append", "compress", "login", "push", "idle")
MODULES = {"mixed": mixed, "bigmailbox": bigmailbox, "append": append, "compress": compress,
           "idle": idle, "push": push, "qresync": qresync}  # fmt: skip
INOTIFY_WORKLOADS = ("idle", "push")  # Dovecot's IDLE: an inotify instance per process
INOTIFY = Path("/proc/sys/fs/inotify/max_user_instances")
_T0 = time.monotonic()


def log(text: str) -> None:
    print(f"[{time.monotonic() - _T0:7.1f}s] {text}", flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--workloads", default=",".join(ORDER),
                        help=f"comma-separated subset of {','.join(ORDER)}")  # fmt: skip
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "latest.md")
    parser.add_argument("--million", action="store_true",
                        help="add a 1,000,000-message mailbox to the growth series (slow)")  # fmt: skip
    parser.add_argument("--roost-fsync", choices=("always", "optimized"), default="always",
                        help="roost's fsync setting (default: always, roost's default; "
                             "optimized is the policy of Dovecot's mail_fsync = optimized)")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the run directory")
    parser.add_argument("--workdir", type=Path, help="where to make the run directory")
    args = parser.parse_args(argv)
    chosen = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = set(chosen) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads: {', '.join(sorted(unknown))}")
    args.chosen = [w for w in ORDER if w in chosen]
    return args


def _stop_on_signal(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if os.geteuid() != 0:
        print("bench: run as root (Dovecot's mail user and the fd limits need it)", file=sys.stderr)
        return 2
    if not dovecot_mod.available():
        print("bench: dovecot not found; scripts/bench installs dovecot-imapd", file=sys.stderr)
        return 2
    plan = Plan.small() if args.quick else Plan.full(args.million)
    roost_server.FSYNC = args.roost_fsync
    raise_nofile()
    signal.signal(signal.SIGTERM, _stop_on_signal)
    run_dir = Path(tempfile.mkdtemp(prefix="roost-bench-", dir=args.workdir))
    os.chmod(run_dir, 0o755)  # Dovecot's mail user must reach its homes inside
    log(f"run directory {run_dir}")
    suite = Suite(plan, args.chosen, run_dir)
    try:
        suite.run()
    finally:
        suite.stop()
        if args.keep:
            log(f"kept {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    text = suite.results.markdown(suite.header())
    print("\n" + text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    log(f"wrote {args.out}")
    return 0


def accounts_for(plan: Plan, chosen: list[str]) -> dict[str, Account]:
    standard: list[str] = []
    cheap: list[str] = []
    if "mixed" in chosen:
        standard += [f"mix{n:03d}" for n in range(plan.mixed_users)]
    if "bigmailbox" in chosen:
        standard.append("big")
    if "append" in chosen:
        standard += [f"app{n:02d}" for n in range(max(plan.append_sessions, 1))]
    if "login" in chosen:
        standard += [f"login{n:02d}" for n in range(plan.login_users)]
    if "compress" in chosen:
        standard.append("zip")
    if "push" in chosen:
        standard.append("push")
    if "qresync" in chosen:
        standard.append("qsync")
    if "idle" in chosen:
        cheap += [f"idle{n:05d}" for n in range(plan.idle_users)]
    made = make_accounts(standard, STANDARD_ARGON2) + make_accounts(cheap, CHEAP_ARGON2)
    return {a.name: a for a in made}


def loads_for(plan: Plan, chosen: list[str]) -> list[MailboxLoad]:
    loads = []
    if "mixed" in chosen:
        loads += [
            MailboxLoad(
                f"mix{n:03d}",
                "INBOX",
                plan.mixed_inbox,
                1_000_000 + n * 10_000,
                plan.seed,
                DEFAULT_MAX_SIZE,
            )  # fmt: skip
            for n in range(plan.mixed_users)
        ]
    if "bigmailbox" in chosen:
        loads.append(MailboxLoad("big", "big", plan.big_count, 0, plan.seed, plan.big_max_size))
        loads += [
            MailboxLoad("big", f"g{size}", size, 0, plan.seed, plan.big_max_size)
            for size in plan.growth
            if size != plan.big_count
        ]
    if "compress" in chosen:
        loads.append(MailboxLoad("zip", "INBOX", plan.compress_count, 2_000_000, plan.seed,
                                 DEFAULT_MAX_SIZE))  # fmt: skip
    if "qresync" in chosen:  # the big mailbox's messages, in a mailbox of its own
        loads.append(MailboxLoad("qsync", "INBOX", plan.qresync_count, 0, plan.seed,
                                 plan.big_max_size))  # fmt: skip
    return loads


class Suite:
    def __init__(self, plan: Plan, chosen: list[str], run_dir: Path) -> None:
        self.plan = plan
        self.chosen = chosen
        self.run_dir = run_dir
        self.results = Results()
        self.roost: Roost | None = None
        self.dovecot: Dovecot | None = None
        self.dovecot_cache: Dovecot | None = None
        self.inotify_saved: str | None = None
        self.load_times: dict[str, float] = {}
        self.started = datetime.now(UTC)

    # ------------------------------------------------------------ setup

    def run(self) -> None:
        log(f"plan: {'quick' if self.plan.quick else 'full'}; workloads {', '.join(self.chosen)}")
        accounts = accounts_for(self.plan, self.chosen)
        log(f"made {len(accounts)} accounts")
        self.roost = Roost(self.run_dir / "roost", STANDARD_ARGON2)
        self.roost.prepare()
        roost_server.create_accounts(self.roost.data_dir, list(accounts.values()))
        self.dovecot = Dovecot(self.run_dir / "dovecot", list(accounts.values()),
                               max_sessions=self.plan.idle_connections + 2000)  # fmt: skip
        self.dovecot.prepare()
        loads = loads_for(self.plan, self.chosen)
        if loads:
            log(f"loading {sum(x.count for x in loads):,} messages into both servers")
            self.load_times = load_both(self.dovecot, self.roost.data_dir, loads, log)
        self.roost.start()
        if self.dovecot.process is None:
            self.dovecot.start()
        log(f"roost on port {self.roost.port}, Dovecot on port {self.dovecot.port}")
        bench = Bench(self.plan, self.results, accounts, log)
        for workload in self.chosen:
            log(f"workload {workload}")
            self._workload(bench, workload)
        for server in (self.roost, self.dovecot):
            errors = server.errors()
            if errors:
                self.results.note(
                    f"{server.name} logged {len(errors)} errors, first: {errors[0][:300]}"
                )

    def _workload(self, bench: Bench, workload: str) -> None:
        assert self.roost is not None and self.dovecot is not None
        if workload == "login":
            self._login(bench)
            return
        module = MODULES[workload]
        if workload in INOTIFY_WORKLOADS:
            self._raise_inotify(workload)
        if workload == "idle":
            self.roost.restart(CHEAP_ARGON2)  # its users' hashes: no re-hash on login
        try:
            for server in (self.roost, self.dovecot):
                self._ensure_running(server)
                self._guarded(workload, server, lambda s=server: module.run(bench, [s]))
        finally:
            if workload in INOTIFY_WORKLOADS:
                self._restore_inotify()
            if workload == "idle":
                self.roost.restart(STANDARD_ARGON2)

    def _login(self, bench: Bench) -> None:
        assert self.roost is not None and self.dovecot is not None
        plain, cached = "5. login, no auth cache", "5. login, with auth cache"
        for server in (self.roost, self.dovecot):
            self._ensure_running(server)
            self._guarded("login", server, lambda s=server: login.measure(bench, plain, s))
        self._login_cached_roost(bench, cached)
        accounts = [bench.accounts[f"login{n:02d}"] for n in range(self.plan.login_users)]
        self.dovecot_cache = Dovecot(self.run_dir / "dovecot-cache", accounts, auth_cache=True,
                                     max_sessions=1000)  # fmt: skip
        self.dovecot_cache.prepare()
        self.dovecot_cache.start()
        try:
            server = self.dovecot_cache
            self._guarded("login", server, lambda: login.measure(bench, cached, server))
        finally:
            self.dovecot_cache.stop()

    def _login_cached_roost(self, bench: Bench, name: str) -> None:
        """roost with its auth cache on (auth_cache_ttl 3600 s, 10,000 entries, like the
        Dovecot cache instance), then back to the plain configuration."""
        assert self.roost is not None
        roost = self.roost
        roost.restart(STANDARD_ARGON2, auth_cache=True)
        try:
            self._guarded("login", roost, lambda: login.measure(bench, name, roost))
        finally:
            roost.restart(STANDARD_ARGON2, auth_cache=False)

    def _guarded(self, workload: str, server: object, body: object) -> None:
        name = server.name  # type: ignore[attr-defined]
        try:
            body()  # type: ignore[operator]
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - reported, the suite goes on
            log(f"  {workload} failed on {name}: {exc!r}")
            traceback.print_exc()
            self.results.note(f"workload {workload} failed on {name}: {str(exc)[:500]}")

    def _ensure_running(self, server: Roost | Dovecot) -> None:
        if server.process is None or server.process.poll() is not None:
            self.results.note(f"{server.name} was not running before a workload; restarted")
            log(f"  {server.name} is not running; starting it again")
            server.start()

    def _raise_inotify(self, workload: str) -> None:
        """Dovecot's IDLE needs one inotify instance per IMAP process (all run as nobody)."""
        try:
            current = int(INOTIFY.read_text())
            wanted = self.plan.idle_connections + 2048
            if current < wanted:
                INOTIFY.write_text(str(wanted))
                self.inotify_saved = str(current)
                self.results.note(f"fs.inotify.max_user_instances raised from {current} to "
                                  f"{wanted} during the {workload} workload (restored afterwards)")  # fmt: skip
        except OSError as exc:
            self.results.note(f"could not raise fs.inotify.max_user_instances: {exc}")

    def _restore_inotify(self) -> None:
        if self.inotify_saved is not None:
            with contextlib.suppress(OSError):
                INOTIFY.write_text(self.inotify_saved)
            self.inotify_saved = None

    def stop(self) -> None:
        self._restore_inotify()
        for server in (self.roost, self.dovecot, self.dovecot_cache):
            if server is not None:
                try:
                    server.stop()
                except Exception as exc:  # noqa: BLE001 - stop the others anyway
                    log(f"stopping {server.name}: {exc!r}")

    # ------------------------------------------------------------ report

    def header(self) -> list[str]:
        p = self.plan
        loads = "; ".join(f"{k} {v:.0f}s" for k, v in self.load_times.items()) or "none"
        return [
            f"Run {self.started:%Y-%m-%d %H:%M} UTC, {'quick' if p.quick else 'full'} plan, "
            f"workloads: {', '.join(self.chosen)}.",
            "",
            f"- Machine: {machine()}; the load generator ({p.processes} processes) runs on the "
            "same cores as the servers.",
            f"- Servers: {roost_server.version()} (fsync = {roost_server.FSYNC}); Dovecot "
            f"{dovecot_mod.version()} (Maildir, ssl=no, mail_fsync = optimized, "
            "high-performance login mode; see bench/dovecot.py).",
            f"- Passwords: {STANDARD_ARGON2.describe()} on both (the same PHC strings); "
            f"IDLE users: {CHEAP_ARGON2.describe()}.",
            f"- Loading: {loads}.",
            f"- Plan: {', '.join(p.describe())}.",
            "- Ratio = roost / Dovecot; 'better' says which direction is better. "
            "Big-mailbox times are the second (warm) run.",
        ]
