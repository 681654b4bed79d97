"""The event-sourced application: one method per command.

Each command loads the aggregates it needs, lets them decide, and saves the
new events atomically. A concurrent writer to the same aggregate makes the
save fail with an IntegrityError; the command bus then runs the command
again against the fresh state (commands are pure decisions over that state,
so a retry is safe), and gives up with ``Conflict`` after a few attempts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (IntegrityError, InterfaceError, JSONTranscoder, Mapper, OperationalError,
                                       Transcoding)
from eventsourcing.utils import retry
from eventsourcing.postgres import PostgresDatastore
import psycopg.sql

import citynet.domain.topics  # noqa: F401 - stable event names are registered before anything is read
from citynet.domain.city import City, CityName
from citynet.domain.network import Commission, Network
from citynet.domain.organisation import Organisation, OrganisationKind, OrganisationName
from citynet.domain.values import MemberRole
from citynet.services.errors import AlreadyExists, NotFound
from citynet.services import authz
from citynet.services.agreements import AgreementCommands
from citynet.services.attribution import AttributingMapper, begin_save
from citynet.services.commands import receipts
from citynet.services.translations import TranslationCommands
from citynet.services.clock import Clock, SystemClock, today_in
from citynet.services.projects import ProjectCommands
from citynet.services.workshops import WorkshopCommands

A = TypeVar("A", bound=Aggregate)

_STRIPES = [threading.RLock() for _ in range(64)]


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True)
class Recorded:
    """What a successful command reports: the record it touched and the
    position of its last event, which readers can wait for."""

    id: UUID
    position: int


class CitynetApplication(WorkshopCommands, AgreementCommands, ProjectCommands, TranslationCommands, Application[UUID]):
    name = "Citynet"
    # The service layer's one clock; Citynet sets it (tests give a FixedClock).
    clock: Clock = SystemClock()

    def construct_mapper(self) -> Mapper[UUID]:
        # The factory adds any configured cipher and compressor, as for the default mapper.
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=AttributingMapper)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # -- cities -------------------------------------------------------------

    def register_city(self, name: str, country_code: str, time_zone: str) -> Recorded:
        authz.require_admin("city:register")
        city = City.register(name, country_code, time_zone)
        claim = CityName.for_city(city)
        try:
            # The city first: a receipt riding along (an idempotency key) names the first record saved.
            # The position reported is the save's last, which covers both.
            return Recorded(city.id, self._save(city, claim))
        except IntegrityError:
            # The store's unique key decides (the city's id, or its name's claim, is taken); a read only
            # to ask first cost every registration a round trip. Now the read names who has it.
            raise self._city_taken(city, claim) from None

    def _city_taken(self, city: City, claim: CityName) -> AlreadyExists:
        existing = self._holder(city, claim, lambda held: held.city_id)
        if existing.name == city.name:
            return AlreadyExists("City", existing.id, f"{city.name} ({city.country_code}) is already registered")
        # The same name but for accents or case: name the city that has it.
        return AlreadyExists("City", existing.id,
                             f"{existing.name} ({existing.country_code}) is already registered; "
                             f"{city.name!r} differs from it only by accents or case")

    def _holder(self, record: A, claim: Aggregate, holder_of: Callable[[Any], UUID]) -> A:
        """Who holds what a refused registration asked for: the record itself if its id is taken, else the
        record its name's claim points to (``holder_of`` the claim); neither found, as the store said."""
        found = self.existing(record.id, claim.id)
        if record.id in found:
            return self.get(type(record), record.id)
        if claim.id in found:
            return self.get(type(record), holder_of(self.get(type(claim), claim.id)))
        return record

    # -- organisations ------------------------------------------------------

    def register_organisation(self, name: str, kind: OrganisationKind | str, country_code: str | None = None,
                              description: str = "") -> Recorded:
        authz.require_admin_or_coordinator("organisation:register")
        organisation = Organisation.register(name, kind, country_code, description)
        claim = OrganisationName.for_organisation(organisation)
        try:
            return Recorded(organisation.id, self._save(organisation, claim))
        except IntegrityError:
            raise self._organisation_taken(organisation, claim) from None  # as for cities

    def _organisation_taken(self, organisation: Organisation, claim: OrganisationName) -> AlreadyExists:
        where = f" ({organisation.country_code})" if organisation.country_code else " (international)"
        existing = self._holder(organisation, claim, lambda held: held.organisation_id)
        return AlreadyExists("Organisation", existing.id,
                             f"an organisation named {existing.name!r}{where} is already registered")

    # -- networks -----------------------------------------------------------

    def found_network(
        self, name: str, short_name: str, founded_on: date, description: str = "", website: str = ""
    ) -> Recorded:
        authz.require_admin("network:found")
        network = Network.found(name, short_name, founded_on, description, website)
        return self._save_new(network, lambda held: f"a network with the short name {held.short_name!r} already exists")

    def add_commission(self, network_id: UUID, name: str) -> Recorded:
        authz.require_manager("network:manage", [network_id])
        added: list[Commission] = []
        position = self._change(Network, network_id, "networkId", lambda n: added.append(n.add_commission(name)))
        return Recorded(added[-1].id, position)

    def admit_member(self, network_id: UUID, city_id: UUID, role: MemberRole | str, since: date) -> Recorded:
        authz.require_manager("network:manage", [network_id])
        today = self._city_today(city_id)
        return Recorded(network_id, self._change(Network, network_id, "networkId",
                                                 lambda n: n.admit(city_id, role, since, today=today)))

    def change_member_role(self, network_id: UUID, city_id: UUID, role: MemberRole | str, on: date) -> Recorded:
        authz.require_manager("network:manage", [network_id])
        today = self._city_today(city_id)
        return Recorded(network_id, self._change(Network, network_id, "networkId",
                                                 lambda n: n.change_role(city_id, role, on, today=today)))

    def record_member_left(self, network_id: UUID, city_id: UUID, on: date) -> Recorded:
        authz.require_manager("network:manage", [network_id])
        today = self._city_today(city_id)
        return Recorded(network_id, self._change(Network, network_id, "networkId",
                                                 lambda n: n.record_departure(city_id, on, today=today)))

    def assign_commission_member(self, network_id: UUID, commission_id: UUID, city_id: UUID) -> Recorded:
        authz.require_manager("network:manage", [network_id])
        self.get(City, city_id, "cityId")
        position = self._change(
            Network, network_id, "commissionId", lambda n: n.assign_to_commission(commission_id, city_id)
        )
        return Recorded(commission_id, position)

    def name_commission_head(self, network_id: UUID, commission_id: UUID, city_id: UUID) -> Recorded:
        authz.require_manager("network:manage", [network_id])
        self.get(City, city_id, "cityId")
        position = self._change(
            Network, network_id, "commissionId", lambda n: n.name_commission_head(commission_id, city_id)
        )
        return Recorded(commission_id, position)

    def _city_today(self, city_id: UUID) -> date:
        """The member city's own date: membership dates are that city's days."""
        return today_in(self.clock, self.get(City, city_id, "cityId").time_zone)

    # -- plumbing -----------------------------------------------------------

    def get(self, cls: type[A], aggregate_id: UUID, field: str | None = None, version: int | None = None) -> A:
        try:
            aggregate = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound(cls.__name__, aggregate_id, field) from None
        if not isinstance(aggregate, cls):
            raise NotFound(cls.__name__, aggregate_id, field)
        return aggregate

    def exists(self, aggregate_id: UUID) -> bool:
        # One row, not the aggregate rebuilt from all its events (as ``in self.repository`` does).
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    def existing(self, *aggregate_ids: UUID) -> set[UUID]:
        """Which of these records exist: a record and its name claim in one read on PostgreSQL."""
        datastore = getattr(self.recorder, "datastore", None)
        if not isinstance(datastore, PostgresDatastore) or len(aggregate_ids) < 2:
            return {i for i in aggregate_ids if self.exists(i)}
        return self._existing_in(datastore, list(aggregate_ids))

    _existing_statement: bytes | None = None

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)  # as the recorder's own reads
    def _existing_in(self, datastore: PostgresDatastore, aggregate_ids: list[UUID]) -> set[UUID]:
        with datastore.get_connection() as conn, conn.cursor() as cursor:
            if self._existing_statement is None:  # composed once: composing it was a tenth of a command
                self._existing_statement = psycopg.sql.SQL(
                    "SELECT originator_id FROM {}.{} WHERE originator_id = ANY(%s) AND originator_version = 1"
                ).format(psycopg.sql.Identifier(datastore.schema),
                         psycopg.sql.Identifier(self.recorder.events_table_name)).as_bytes(conn)
            cursor.execute(self._existing_statement, (aggregate_ids,), prepare=True)
            return {row["originator_id"] if isinstance(row, dict) else row[0] for row in cursor.fetchall()}

    def _save_new(self, aggregate: A, refusal: str | Callable[[A], str]) -> Recorded:
        """Save a new record. A ``refusal`` that is a function words the refusal from the record that holds
        the identity (a name's own spelling: "UBC" when "ubc" was asked for)."""
        try:
            return Recorded(aggregate.id, self._save(aggregate))
        except IntegrityError:
            # The store's unique key decides: the identity is taken (no read first, as for cities).
            if callable(refusal):
                try:
                    refusal = refusal(self.get(type(aggregate), aggregate.id))
                except NotFound:  # (not found: as the store said)
                    refusal = refusal(aggregate)
            raise AlreadyExists(type(aggregate).__name__, aggregate.id, refusal) from None

    def _change(self, cls: type[A], aggregate_id: UUID, field: str, decide: Callable[[A], Any]) -> int:
        def only(aggregate: A) -> list[Aggregate]:
            decide(aggregate)
            return []

        return self._change_together(cls, aggregate_id, field, only)

    def _change_together(
        self, cls: type[A], aggregate_id: UUID, field: str, decide: Callable[[A], list[Aggregate]]
    ) -> int:
        """Load, decide, save atomically with any other aggregates the decision touched.

        A version conflict raises IntegrityError: the command bus
        (services/commands/bus.py) runs the whole command again on fresh state."""
        # Writers in this process take turns per aggregate; writers in other
        # processes are caught by the version check.
        with _STRIPES[hash(aggregate_id) % len(_STRIPES)]:
            aggregate = self.get(cls, aggregate_id, field)
            others = decide(aggregate)
            return self._save(aggregate, *others)

    on_recorded: Callable[[int], None] | None = None  # told the last position of every save (wakes projections)

    def _notify(self, recordings: list[Any]) -> None:
        if recordings and self.on_recorded is not None:
            self.on_recorded(max(r.notification.id for r in recordings))

    def _save(self, *aggregates: Aggregate) -> int:
        begin_save()
        # An idempotency receipt rides along, last, so that its position is the command's.
        riders = receipts.riding_along(aggregates)
        try:
            recordings = self.save(*aggregates, *riders)
        except IntegrityError:
            receipts.check_taken(self, riders)
            raise
        receipts.saved(riders)
        return max(r.notification.id for r in recordings)
