"""The pure packages import no I/O: no asyncio, socket, ssl, sqlite3, storage or server.

Checked in a fresh interpreter, because pytest itself has imported most of these.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

FORBIDDEN = ("asyncio", "socket", "ssl", "sqlite3", "roost.storage", "roost.server")
PURE = ("roost.protocol", "roost.mime", "roost.search", "roost.auth.sasl")

SCRIPT = textwrap.dedent(
    """
    import importlib, importlib.util, json, pkgutil, sys

    imported = []
    for name in json.loads(sys.argv[1]):
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        imported.append(name)
        for info in pkgutil.walk_packages(getattr(module, "__path__", []), name + "."):
            importlib.import_module(info.name)
            imported.append(info.name)
    bad = sorted(m for m in sys.modules if m.split(".")[0] in {"asyncio", "socket", "ssl", "sqlite3"}
                 or m.startswith(("roost.storage", "roost.server")))
    print(json.dumps({"imported": imported, "bad": bad}))
    """
)


def test_pure_packages_import_no_io() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(PURE)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout)
    assert "roost.protocol.connection" in result["imported"]
    assert "roost.protocol.parser" in result["imported"]
    assert result["bad"] == [], f"pure packages pulled in {result['bad']}"
    assert all(f not in result["bad"] for f in FORBIDDEN)
