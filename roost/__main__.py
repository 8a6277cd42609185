"""``python -m roost``: the same as the ``roost`` command."""

from roost.cli.main import main

raise SystemExit(main())
