"""Commands as data, one handler each, and the one bus that runs them.

- ``base``: the ``Command`` base class (frozen dataclass, declared errors) and
  the handler registry;
- ``directory``, ``workshops``, ``agreements``: one dataclass and one handler
  per mutation;
- ``receipts``: idempotency receipts, saved atomically with a command's events;
- ``bus``: the entry point (attribution, idempotency, conflict retry,
  read-your-writes wait).

This package file imports nothing: ``services.application`` imports
``receipts`` and must not pull the bus (which imports the application) back in.
"""
