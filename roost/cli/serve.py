"""``roost serve``: run the server until SIGINT or SIGTERM, then stop gracefully.

The listeners, the TLS pair and the data directory are reported in the log
(one line per event on stderr); a listener that cannot be opened is an error
(exit status 1).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal

from roost.cli import CliError
from roost.config import Config
from roost.server import processes
from roost.server.app import Server
from roost.server.logging import configure_logging
from roost.server.loop import run as run_loop

# The server keeps big long-lived structures (selected views, the shared message
# lists of big mailboxes) and allocates fast; with Python's default thresholds
# (700, 10, 10) the collector walks them often: a SELECT right after a
# 100,000-message FETCH took 17 ms instead of 5. Collect the young generation
# every 50,000 allocations instead; reference cycles are rare here.
GC_THRESHOLDS = (50_000, 20, 100)


def run(args: argparse.Namespace, config: Config) -> int:
    configure_logging(config.log_level)
    gc.set_threshold(*GC_THRESHOLDS)
    if config.processes < 1:
        raise CliError("processes must be at least 1")
    try:
        if config.processes > 1:
            return processes.serve(config)
        run_loop(serve(config), config.event_loop)
    except (OSError, ValueError) as exc:  # address in use, bad address, unreadable key ...
        raise CliError(f"cannot start the server: {exc}") from exc
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        return 130
    return 0


async def serve(config: Config) -> None:
    """Serve until a stop signal arrives."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    server = Server(config)
    await server.start()
    try:
        await stop.wait()
    finally:
        await server.stop()
