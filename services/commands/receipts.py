"""Idempotency receipts: a repeated request is answered, never applied twice.

A command sent with an idempotency key saves a ``Receipt`` aggregate in the
same eventsourcing ``save()`` as its own events (``CitynetApplication._save``
adds it, last, so its position is the command's position). The receipt's id
is derived from the caller and the key, so of two racing requests with one
key (a double click reaching two servers) exactly one commits: the other's
save fails on the receipt's version, and it answers with the first one's
result. The receipt records which command it answered (a fingerprint of its
input) so that a key reused for a different request is refused.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from citynet.domain.errors import InvalidInput

if TYPE_CHECKING:
    from citynet.services.application import CitynetApplication

RECEIPT_NAMESPACE = uuid5(NAMESPACE_URL, "https://citynet.example/idempotency-receipts")
MAX_KEY_LENGTH = 200


def owner(actor: Any) -> str:
    """Whose keys these are: the subject in its role, for its city or networks."""
    return "|".join([actor.id, actor.role, actor.city_id or "", *sorted(actor.network_ids)])


def receipt_id(actor_id: str, key: str) -> UUID:
    # Scoped to the caller: one client's key can never answer another's request.
    return uuid5(RECEIPT_NAMESPACE, f"{actor_id}\n{key}")


def clean_key(key: str, field: str = "clientMutationId") -> str:
    """Keys are opaque tokens (a UUID is a good one): printable ASCII, 1 to 200 characters."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all("!" <= ch <= "~" for ch in key):
        raise InvalidInput(field, f"must be 1 to {MAX_KEY_LENGTH} printable ASCII characters without spaces")
    return key


class Receipt(Aggregate):
    @staticmethod
    def create_id(actor_id: str, key: str, command: str, fingerprint: str, result_id: UUID | None) -> UUID:
        return receipt_id(actor_id, key)

    @event("Issued")
    def __init__(self, actor_id: str, key: str, command: str, fingerprint: str, result_id: UUID | None) -> None:
        self.actor_id = actor_id
        self.key = key
        self.command = command
        self.fingerprint = fingerprint
        self.result_id = result_id


class ReceiptTaken(Exception):
    """A racing request with the same key committed first: answer with its result."""

    def __init__(self, receipt_id: UUID) -> None:
        super().__init__(f"receipt {receipt_id} was saved by a concurrent request")
        self.receipt_id = receipt_id


@dataclass
class _Expected:
    actor_id: str
    key: str
    command: str
    fingerprint: str
    result_id: UUID | None
    saved: bool = False


_expected: ContextVar[_Expected | None] = ContextVar("citynet_receipt", default=None)


@contextlib.contextmanager
def expecting(actor_id: str, key: str, command: str, fingerprint: str, result_id: UUID | None) -> Iterator[None]:
    """While a command runs: its first save carries this receipt."""
    token = _expected.set(_Expected(actor_id, key, command, fingerprint, result_id))
    try:
        yield
    finally:
        _expected.reset(token)


def riding_along(aggregates: Sequence[Aggregate]) -> list[Aggregate]:
    """A fresh receipt for this save (a failed save drains the last one's events), or nothing."""
    expected = _expected.get()
    if expected is None or expected.saved:
        return []
    result = expected.result_id or (aggregates[0].id if aggregates else None)
    return [Receipt(expected.actor_id, expected.key, expected.command, expected.fingerprint, result)]


def check_taken(app: CitynetApplication, riders: Sequence[Aggregate]) -> None:
    """After a failed save: if our receipt now exists, a racing duplicate won."""
    if riders and app.exists(riders[0].id):
        raise ReceiptTaken(riders[0].id)


def saved(riders: Sequence[Any]) -> None:
    expected = _expected.get()
    if riders and expected is not None:
        expected.saved = True


def find(app: CitynetApplication, actor_id: str, key: str) -> Receipt | None:
    rid = receipt_id(actor_id, key)
    if not app.exists(rid):
        return None
    receipt = app.repository.get(rid)
    return receipt if isinstance(receipt, Receipt) else None
