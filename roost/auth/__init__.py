"""Authentication: password hashing, SASL mechanisms and login checks.

- ``roost.auth.passwords``: Argon2id hashing (``hash_password``, ``verify_password``).
- ``roost.auth.sasl``: PLAIN and LOGIN as pure generators (no I/O).
- ``roost.auth.authenticator``: ``Authenticator`` (user lookup, no timing oracle,
  failure backoff).

This package module imports nothing, so ``roost.auth.sasl`` stays pure.
"""
