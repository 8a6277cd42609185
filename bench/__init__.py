"""The side-by-side benchmark suite: roost against a private Dovecot, same data, same load.

Run it with ``scripts/bench`` (``--quick`` for a smoke run); see
``docs/performance.md`` for what each workload does and the latest figures.
Modules: ``cli`` (orchestration), ``plan`` (sizes), ``corpus`` (messages),
``client`` (asyncio IMAP load client), ``workers`` (load-generator
processes), ``servers``/``dovecot``/``roost_server`` (private instances),
``loader`` (same mailboxes into both), ``procstat`` (CPU and memory from
/proc), ``report`` (the table), ``workloads/`` (the six workloads),
``deflate`` (COMPRESS=DEFLATE for the client), ``mimeparts`` (corpus encodings).
Not part of the test suite.
"""
