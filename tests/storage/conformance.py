"""The backend-independent ``MailStore`` conformance suite.

A backend's test module runs it with ``from tests.storage.conformance import *``
and a ``store`` fixture that yields an empty store of that backend. The tests
live in ``conformance_mailboxes`` (users, hierarchy, subscriptions) and
``conformance_messages`` (messages, flags, MODSEQ, copy/move/expunge,
listeners, concurrency), ``conformance_model`` (random operations
checked against a model, including catch-up through ``changes_since``) and
``conformance_search`` (``search`` against the reference evaluator,
``flag_table``, STATUS counters).
"""

from tests.storage.conformance_mailboxes import *  # noqa: F403
from tests.storage.conformance_messages import *  # noqa: F403
from tests.storage.conformance_model import *  # noqa: F403
from tests.storage.conformance_search import *  # noqa: F403
