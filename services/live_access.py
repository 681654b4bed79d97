"""Who may follow what live: the same rules as the equivalent queries, decided here, not in resolvers."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from citynet.domain.errors import NotAllowed
from citynet.services import authz
from citynet.services.attribution import Actor


def workshop_visible(actor: Actor, status: str) -> bool:
    """Anonymous callers see published workshops only (as the ``workshop`` query)."""
    return not authz.is_public(actor) or status in authz.PUBLISHED_WORKSHOP_STATUSES


def agreement_visible(actor: Actor, adopted_version: int | None) -> bool:
    """Anonymous callers see adopted plans and protocols only (as the ``actionPlan``/``protocol`` queries)."""
    return not authz.is_public(actor) or adopted_version is not None


def registrations_scope(actor: Actor, network_ids: Iterable[UUID | str]) -> str | None:
    """Whose registrations ``actor`` may follow live on a workshop of these networks: None for all
    (admins, auditors, its coordinators), a city id for a city representative (their own city's);
    anyone else is refused with NotAllowed."""
    if authz.is_admin(actor) or authz.can_read_history(actor) or authz.coordinates(network_ids, actor):
        return None
    if actor.role == authz.Role.CITY_REPRESENTATIVE.value and actor.city_id:
        return actor.city_id
    raise NotAllowed("registrations:follow", f"not allowed: {actor.role} {actor.id!r} lacks the permission "
                                             "'registrations:follow'")


def require_history(actor: Actor) -> None:
    """The live event tail: admins and auditors, as the ``events`` query."""
    if not authz.can_read_history(actor):
        raise NotAllowed("history:read", f"not allowed: {actor.role} {actor.id!r} lacks the permission 'history:read'")
