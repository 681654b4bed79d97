"""Per-request DataLoaders: each kind of row is fetched once per request, in batches."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from citynet.services.readmodel.queries import CityRow, CommissionRow, MembershipRow, NetworkRow
from citynet.services.readmodel.visibility import VisibleReads

K = TypeVar("K")
V = TypeVar("V")


def _by_key(fetch: Callable[[list[str]], Awaitable[dict[str, Any]]], default: Any = None) -> Any:
    async def load(keys: Sequence[str]) -> list[Any]:
        found = await fetch(list(keys))
        return [found.get(k, default() if callable(default) else default) for k in keys]

    return load


@dataclass
class Loaders:
    """Built on the caller's VisibleReads: whatever a loader returns, the caller may see."""

    visible: VisibleReads
    city: DataLoader[str, CityRow | None] = field(init=False)
    network: DataLoader[str, NetworkRow | None] = field(init=False)
    commission: DataLoader[str, CommissionRow | None] = field(init=False)
    members_of_network: DataLoader[str, list[MembershipRow]] = field(init=False)
    memberships_of_city: DataLoader[str, list[MembershipRow]] = field(init=False)
    commissions_of_network: DataLoader[str, list[CommissionRow]] = field(init=False)
    commission_member_ids: DataLoader[str, list[str]] = field(init=False)
    members_on: DataLoader[tuple[str, Any], list[MembershipRow]] = field(init=False)
    membership_history: DataLoader[tuple[str | None, str | None], list[MembershipRow]] = field(init=False)
    workshops: WorkshopLoaders = field(init=False)
    agreements: AgreementLoaders = field(init=False)

    def __post_init__(self) -> None:
        r = self.visible.reads
        self.city = DataLoader(_by_key(r.cities_by_id))
        self.network = DataLoader(_by_key(r.networks_by_id))
        self.commission = DataLoader(_by_key(r.commissions_by_id))
        self.members_of_network = DataLoader(_by_key(r.members_by_network, list))
        self.memberships_of_city = DataLoader(_by_key(r.memberships_by_city, list))
        self.commissions_of_network = DataLoader(_by_key(r.commissions_by_network, list))
        self.commission_member_ids = DataLoader(_by_key(r.commission_member_ids, list))
        self.members_on = DataLoader(_by_key(r.members_on, list))
        self.membership_history = DataLoader(_by_key(r.membership_history, list))
        self.workshops = WorkshopLoaders(self.visible)
        self.agreements = AgreementLoaders(self.visible)


@dataclass
class WorkshopLoaders:
    visible: VisibleReads
    workshop: DataLoader[str, Any] = field(init=False)
    network_ids: DataLoader[str, list[str]] = field(init=False)
    partner_ids: DataLoader[str, list[str]] = field(init=False)
    sessions: DataLoader[str, list[Any]] = field(init=False)
    registrations: DataLoader[str, list[Any]] = field(init=False)
    city_registrations: DataLoader[str, list[Any]] = field(init=False)
    poll_candidates: DataLoader[str, list[Any]] = field(init=False)
    poll_answers: DataLoader[str, list[Any]] = field(init=False)
    quotas: DataLoader[str, list[Any]] = field(init=False)
    counts: DataLoader[str, dict[str, int]] = field(init=False)
    person_registrations: DataLoader[str, list[Any]] = field(init=False)
    overlapping: DataLoader[str, list[Any]] = field(init=False)

    def __post_init__(self) -> None:
        v, r = self.visible, self.visible.reads
        self.workshop = DataLoader(_by_key(v.workshops_by_id))
        self.network_ids = DataLoader(_by_key(r.network_ids_of_workshops, list))
        self.partner_ids = DataLoader(_by_key(r.partner_ids_of_workshops, list))
        self.sessions = DataLoader(_by_key(r.sessions_of_workshops, list))
        self.registrations = DataLoader(_by_key(v.registrations_of_workshops, list))
        self.city_registrations = DataLoader(_by_key(v.registrations_of_cities, list))
        self.poll_candidates = DataLoader(_by_key(r.poll_candidates_of_workshops, list))
        self.poll_answers = DataLoader(_by_key(r.poll_answers_of_workshops, list))
        self.quotas = DataLoader(_by_key(r.quotas_of_workshops, list))
        self.counts = DataLoader(_by_key(r.registration_counts, dict))
        self.person_registrations = DataLoader(_by_key(v.registrations_of_people, list))
        self.overlapping = DataLoader(_by_key(v.overlapping_workshops, list))


@dataclass
class AgreementLoaders:
    visible: VisibleReads
    agreement: DataLoader[str, Any] = field(init=False)
    versions: DataLoader[str, list[Any]] = field(init=False)
    endorsements: DataLoader[str, list[Any]] = field(init=False)
    network_ids: DataLoader[str, list[str]] = field(init=False)
    partner_ids: DataLoader[str, list[str]] = field(init=False)
    workshop_ids: DataLoader[str, list[str]] = field(init=False)
    tracking: DataLoader[str, list[Any]] = field(init=False)
    log: DataLoader[str, list[Any]] = field(init=False)

    def __post_init__(self) -> None:
        v, r = self.visible, self.visible.reads
        self.agreement = DataLoader(_by_key(v.agreements_by_id))
        self.versions = DataLoader(_by_key(v.versions_of, list))
        self.endorsements = DataLoader(_by_key(r.endorsements_of, list))
        self.network_ids = DataLoader(_by_key(r.agreement_network_ids, list))
        self.partner_ids = DataLoader(_by_key(r.agreement_partner_ids, list))
        self.workshop_ids = DataLoader(_by_key(r.plan_workshop_ids, list))
        self.tracking = DataLoader(_by_key(r.tracking_of, list))
        self.log = DataLoader(_by_key(r.action_log_of, list))
