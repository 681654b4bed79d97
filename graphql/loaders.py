"""Per-request DataLoaders: each kind of row is fetched once per request, in batches.

Built on the caller's VisibleReads: whatever a loader returns, the caller may see. Each loader is
made on first use (most requests need a few of the thirty).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
from typing import Any

from strawberry.dataloader import DataLoader

from citynet.services.readmodel.visibility import VisibleReads


class SharedDataLoader(DataLoader[Any, Any]):
    """A DataLoader whose callers may be cancelled independently: each gets a shielded view of the cached
    future, so cancelling one caller never cancels the future (nor, through strawberry's Batch, the batch's
    dispatch) that other callers wait on.

    Loaders are shared: by the operations of one WebSocket connection, and by every subscriber rendering
    the same event (graphql/subscriptions.py). With strawberry's own ``load`` a subscriber dropped while its
    batch was scheduled cancelled the future and the not-yet-started dispatch task; the batch stayed
    "not dispatched", so the next load on that loader joined it and waited forever (a resumed subscription
    hung after a dropped one: the flaky resume test)."""

    def load(self, key: Any) -> Awaitable[Any]:
        return asyncio.shield(super().load(key))


def _by_key(fetch: Callable[[list[Any]], Awaitable[dict[Any, Any]]], default: Any = None) -> DataLoader[Any, Any]:
    async def load(keys: Sequence[Any]) -> list[Any]:
        found = await fetch(list(keys))
        return [found.get(k, default() if callable(default) else default) for k in keys]

    return SharedDataLoader(load)


class Loaders:
    def __init__(self, visible: VisibleReads) -> None:
        self.visible = visible
        self.reads = visible.reads

    @cached_property
    def city(self) -> DataLoader[str, Any]:
        return _by_key(self.reads.cities_by_id)

    @cached_property
    def network(self) -> DataLoader[str, Any]:
        return _by_key(self.reads.networks_by_id)

    @cached_property
    def party(self) -> DataLoader[str, Any]:
        return _by_key(self.reads.parties_by_id)

    @cached_property
    def organisation(self) -> DataLoader[str, Any]:
        return _by_key(self.reads.organisations_by_id)

    @cached_property
    def commission(self) -> DataLoader[str, Any]:
        return _by_key(self.reads.commissions_by_id)

    @cached_property
    def members_of_network(self) -> DataLoader[str, list[Any]]:
        return _by_key(self.reads.members_by_network, list)

    @cached_property
    def memberships_of_city(self) -> DataLoader[str, list[Any]]:
        return _by_key(self.reads.memberships_by_city, list)

    @cached_property
    def commissions_of_network(self) -> DataLoader[str, list[Any]]:
        return _by_key(self.reads.commissions_by_network, list)

    @cached_property
    def commission_member_ids(self) -> DataLoader[str, list[str]]:
        return _by_key(self.reads.commission_member_ids, list)

    @cached_property
    def members_on(self) -> DataLoader[tuple[str, Any], list[Any]]:
        return _by_key(self.reads.members_on, list)

    @cached_property
    def membership_history(self) -> DataLoader[tuple[str | None, str | None], list[Any]]:
        return _by_key(self.reads.membership_history, list)

    @cached_property
    def texts(self) -> DataLoader[str, Any]:
        """Translations by record id; asked only for records the caller was already shown."""
        return _by_key(self.reads.texts_by_record)

    @cached_property
    def workshops(self) -> WorkshopLoaders:
        return WorkshopLoaders(self.visible)

    @cached_property
    def agreements(self) -> AgreementLoaders:
        return AgreementLoaders(self.visible)

    @cached_property
    def projects(self) -> ProjectLoaders:
        return ProjectLoaders(self.visible)


class ProjectLoaders:
    """Projects, their partnerships and attachments are public (as networks are); the outputs
    themselves are loaded through the workshop and agreement loaders, which apply visibility."""

    def __init__(self, visible: VisibleReads) -> None:
        self.reads = visible.reads

    @cached_property
    def project(self) -> DataLoader[str, Any]:
        return _by_key(self.reads.projects_by_id)

    @cached_property
    def partnerships(self) -> DataLoader[str, list[Any]]:
        return _by_key(self.reads.partnerships_of_projects, list)

    @cached_property
    def outputs(self) -> DataLoader[str, list[Any]]:
        return _by_key(self.reads.outputs_of_projects, list)

    @cached_property
    def project_of_output(self) -> DataLoader[str, Any]:
        return _by_key(self.reads.projects_of_outputs)


class WorkshopLoaders:
    def __init__(self, visible: VisibleReads) -> None:
        self.visible = visible
        self.reads = visible.reads

    @cached_property
    def workshop(self) -> DataLoader[str, Any]:
        return _by_key(self.visible.workshops_by_id)

    @cached_property
    def network_ids(self) -> DataLoader[str, list[str]]:
        return _by_key(self.reads.network_ids_of_workshops, list)

    @cached_property
    def partner_ids(self) -> DataLoader[str, list[str]]:
        return _by_key(self.reads.partner_ids_of_workshops, list)

    @cached_property
    def sessions(self) -> DataLoader[str, list[Any]]:
        return _by_key(self.reads.sessions_of_workshops, list)

    @cached_property
    def registrations(self) -> DataLoader[str, list[Any]]:
        return _by_key(self.visible.registrations_of_workshops, list)

    @cached_property
    def city_registrations(self) -> DataLoader[str, list[Any]]:
        return _by_key(self.visible.registrations_of_cities, list)

    @cached_property
    def person_registrations(self) -> DataLoader[str, list[Any]]:
        return _by_key(self.visible.registrations_of_people, list)

    @cached_property
    def poll_candidates(self) -> DataLoader[str, list[Any]]:
        return _by_key(self.reads.poll_candidates_of_workshops, list)

    @cached_property
    def poll_answers(self) -> DataLoader[str, list[Any]]:
        return _by_key(self.reads.poll_answers_of_workshops, list)

    @cached_property
    def quotas(self) -> DataLoader[str, list[Any]]:
        return _by_key(self.reads.quotas_of_workshops, list)

    @cached_property
    def counts(self) -> DataLoader[str, dict[str, int]]:
        return _by_key(self.reads.registration_counts, dict)

    @cached_property
    def overlapping(self) -> DataLoader[str, list[Any]]:
        return _by_key(self.visible.overlapping_workshops, list)


class AgreementLoaders:
    def __init__(self, visible: VisibleReads) -> None:
        self.visible = visible
        self.reads = visible.reads

    @cached_property
    def agreement(self) -> DataLoader[str, Any]:
        return _by_key(self.visible.agreements_by_id)

    @cached_property
    def versions(self) -> DataLoader[str, list[Any]]:
        return _by_key(self.visible.versions_of, list)

    @cached_property
    def endorsements(self) -> DataLoader[str, list[Any]]:
        return _by_key(self.reads.endorsements_of, list)

    @cached_property
    def network_ids(self) -> DataLoader[str, list[str]]:
        return _by_key(self.reads.agreement_network_ids, list)

    @cached_property
    def partner_ids(self) -> DataLoader[str, list[str]]:
        return _by_key(self.reads.agreement_partner_ids, list)

    @cached_property
    def workshop_ids(self) -> DataLoader[str, list[str]]:
        return _by_key(self.visible.plan_workshop_ids, list)

    @cached_property
    def tracking(self) -> DataLoader[str, list[Any]]:
        return _by_key(self.reads.tracking_of, list)

    @cached_property
    def log(self) -> DataLoader[str, list[Any]]:
        return _by_key(self.reads.action_log_of, list)
