"""Read-model queries about workshops (mixed into ReadModel)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, exists, false, func, or_, select

from citynet.services.people import people
from citynet.services.readmodel.paging import Page
from citynet.services.readmodel.tables import (
    city_quotas,
    poll_answers,
    poll_candidates,
    project_outputs,
    registrations,
    sessions,
    workshop_networks,
    workshop_partners,
    workshops,
)


@dataclass(frozen=True)
class WorkshopRow:
    id: str
    title: str
    topic: str
    description: str
    status: str
    format: str
    venue: str
    meeting_link: str
    length_days: int
    capacity: int
    time_zone: str
    host_city_id: str
    start_date: date | None
    end_date: date | None
    sequence: int
    poll_status: str
    status_reason: str
    attendance: int | None
    outcome_summary: str | None
    key_findings: list[str]
    kind: str = "workshop"


@dataclass(frozen=True)
class SessionRow:
    id: str
    workshop_id: str
    title: str
    starts_at: str
    ends_at: str
    moderator: str
    kind: str
    room: str


@dataclass(frozen=True)
class RegistrationRow:
    id: str
    workshop_id: str
    person_id: str
    city_id: str
    function: str
    status: str
    arrival: int
    registered_at: str
    name: str | None  # None once erased (or not shown to this reader)
    email: str | None
    waitlist_position: int | None = None  # 1-based place in line, while waitlisted


@dataclass(frozen=True)
class PollCandidateRow:
    workshop_id: str
    candidate: int
    start_date: date
    end_date: date
    chosen: bool


@dataclass(frozen=True)
class PollAnswerRow:
    workshop_id: str
    candidate: int
    city_id: str
    answer: str


@dataclass(frozen=True)
class WorkshopFilter:
    network_id: str | None = None
    host_city_id: str | None = None
    topic: str | None = None
    starts_from: date | None = None
    ends_by: date | None = None
    statuses: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()  # gathering kinds
    project_id: str | None = None
    timing: str = "all"  # upcoming, past or all: resolved against the clock by VisibleReads
    # "today" in each host zone present (a workshop is over by its host city's calendar)
    upcoming_on: tuple[tuple[str, date], ...] = ()  # ends on or after that zone's day
    past_on: tuple[tuple[str, date], ...] = ()  # ended before that zone's day


def _workshop(r: Any) -> WorkshopRow:
    return WorkshopRow(
        r.id, r.title, r.topic, r.description, r.status, r.format, r.venue, r.meeting_link, r.length_days,
        r.capacity, r.time_zone, r.host_city_id, r.start_date, r.end_date, r.sequence, r.poll_status,
        r.status_reason, r.attendance, r.outcome_summary, json.loads(r.key_findings) if r.key_findings else [],
        r.kind,
    )


def _registration(r: Any) -> RegistrationRow:
    return RegistrationRow(r.id, r.workshop_id, r.person_id, r.city_id, r.function, r.status, r.arrival,
                           r.registered_at, r.name, r.email, r.waitlist_position)


def _waitlist_position() -> Any:
    """A waitlisted registration's place in line: waitlisted registrations of the same workshop
    that arrived no later (the projection keeps arrival order)."""
    ahead = registrations.alias("ahead")
    count = (select(func.count()).where(ahead.c.workshop_id == registrations.c.workshop_id,
                                        ahead.c.status == "waitlisted", ahead.c.arrival <= registrations.c.arrival)
             .scalar_subquery())
    return case((registrations.c.status == "waitlisted", count), else_=None).label("waitlist_position")


def _ends_by_zone(days: tuple[tuple[str, date], ...], after: bool) -> Any:
    def compare(day: date) -> Any:
        return workshops.c.end_date >= day if after else workshops.c.end_date < day
    if not days:
        return false()
    return or_(*(and_(workshops.c.time_zone == zone, compare(day)) for zone, day in days))


class WorkshopQueries:
    async def workshop_time_zones(self) -> list[str]:
        return [r[0] for r in await self._all(select(workshops.c.time_zone).distinct())]  # type: ignore[attr-defined]

    async def workshops_page(self, first: int | None, after: str | None, f: WorkshopFilter,
                             visible: Any = None) -> Page[WorkshopRow]:
        """``visible``: the caller's visibility condition (services/readmodel/visibility.py)."""
        conditions = [] if visible is None else [visible]
        if f.network_id:
            conditions.append(exists().where(and_(
                workshop_networks.c.workshop_id == workshops.c.id, workshop_networks.c.network_id == f.network_id)))
        if f.host_city_id:
            conditions.append(workshops.c.host_city_id == f.host_city_id)
        if f.topic:
            conditions.append(workshops.c.topic.ilike(f"%{f.topic}%"))
        if f.starts_from:
            conditions.append(workshops.c.start_date >= f.starts_from)
        if f.ends_by:
            conditions.append(workshops.c.end_date <= f.ends_by)
        if f.statuses:
            conditions.append(workshops.c.status.in_(f.statuses))
        if f.kinds:
            conditions.append(workshops.c.kind.in_(f.kinds))
        if f.project_id:
            conditions.append(exists().where(and_(project_outputs.c.output_id == workshops.c.id,
                                                  project_outputs.c.project_id == f.project_id)))
        if f.upcoming_on:
            conditions.append(or_(workshops.c.end_date.is_(None), _ends_by_zone(f.upcoming_on, after=True)))
        if f.past_on:
            conditions.append(_ends_by_zone(f.past_on, after=False))
        where = and_(*conditions) if conditions else None
        return await self._keyset_page(workshops, where, first, after, _workshop, keys=("sort_key", "id"))  # type: ignore[attr-defined]

    async def workshops_by_id(self, ids: Iterable[str]) -> dict[str, WorkshopRow]:
        rows = await self._all(select(workshops).where(workshops.c.id.in_(list(ids))))  # type: ignore[attr-defined]
        return {r.id: _workshop(r) for r in rows}

    async def network_ids_of_workshops(self, ids: Iterable[str]) -> dict[str, list[str]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            select(workshop_networks).where(workshop_networks.c.workshop_id.in_(list(ids)))
            .order_by(workshop_networks.c.network_id), "workshop_id", lambda r: r.network_id)

    async def partner_ids_of_workshops(self, ids: Iterable[str]) -> dict[str, list[str]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            select(workshop_partners).where(workshop_partners.c.workshop_id.in_(list(ids)))
            .order_by(workshop_partners.c.city_id), "workshop_id", lambda r: r.city_id)

    async def sessions_of_workshops(self, ids: Iterable[str]) -> dict[str, list[SessionRow]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            select(sessions).where(sessions.c.workshop_id.in_(list(ids))).order_by(sessions.c.starts_at, sessions.c.id),
            "workshop_id", lambda r: SessionRow(r.id, r.workshop_id, r.title, r.starts_at, r.ends_at, r.moderator,
                                                r.kind, r.room))

    def _registration_select(self) -> Any:
        return (
            select(registrations, people.c.name, people.c.email, _waitlist_position())
            .select_from(registrations.outerjoin(people, people.c.person_id == registrations.c.person_id))
        )

    async def registrations_of_workshops(self, ids: Iterable[str]) -> dict[str, list[RegistrationRow]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            self._registration_select().where(registrations.c.workshop_id.in_(list(ids)))
            .order_by(registrations.c.arrival), "workshop_id", _registration)

    async def registrations_of_people(self, person_ids: Iterable[str]) -> dict[str, list[RegistrationRow]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            self._registration_select().where(registrations.c.person_id.in_(list(person_ids)))
            .order_by(registrations.c.registered_at, registrations.c.id), "person_id", _registration)

    async def registrations_of_cities(self, city_ids: Iterable[str]) -> dict[str, list[RegistrationRow]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            self._registration_select().where(registrations.c.city_id.in_(list(city_ids)))
            .order_by(registrations.c.registered_at, registrations.c.id), "city_id", _registration)

    async def poll_candidates_of_workshops(self, ids: Iterable[str]) -> dict[str, list[PollCandidateRow]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            select(poll_candidates).where(poll_candidates.c.workshop_id.in_(list(ids)))
            .order_by(poll_candidates.c.candidate), "workshop_id",
            lambda r: PollCandidateRow(r.workshop_id, r.candidate, r.start_date, r.end_date, bool(r.chosen)))

    async def poll_answers_of_workshops(self, ids: Iterable[str]) -> dict[str, list[PollAnswerRow]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            select(poll_answers).where(poll_answers.c.workshop_id.in_(list(ids)))
            .order_by(poll_answers.c.candidate, poll_answers.c.city_id), "workshop_id",
            lambda r: PollAnswerRow(r.workshop_id, r.candidate, r.city_id, r.answer))

    async def quotas_of_workshops(self, ids: Iterable[str]) -> dict[str, list[tuple[str, int]]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            select(city_quotas).where(city_quotas.c.workshop_id.in_(list(ids))).order_by(city_quotas.c.city_id),
            "workshop_id", lambda r: (r.city_id, r.quota))

    async def registration_counts(self, ids: Iterable[str]) -> dict[str, dict[str, int]]:
        """Registrations per workshop and status."""
        stmt = (select(registrations.c.workshop_id, registrations.c.status, func.count().label("n"))
                .where(registrations.c.workshop_id.in_(list(ids)))
                .group_by(registrations.c.workshop_id, registrations.c.status))
        out: dict[str, dict[str, int]] = {}
        for r in await self._all(stmt):  # type: ignore[attr-defined]
            out.setdefault(r.workshop_id, {})[r.status] = int(r.n)
        return out

    async def overlapping_workshops(self, ids: Iterable[str]) -> dict[str, list[WorkshopRow]]:
        """For each workshop: other live workshops on overlapping days that share a network or a
        delegate (reported, not refused). One query for any number of workshops."""
        mine, theirs = workshop_networks.alias("mine"), workshop_networks.alias("theirs")
        here, there = registrations.alias("here"), registrations.alias("there")
        other, me = workshops.alias("other"), workshops.alias("me")
        shared_network = exists().where(and_(mine.c.workshop_id == me.c.id, theirs.c.workshop_id == other.c.id,
                                             theirs.c.network_id == mine.c.network_id))
        shared_delegate = exists().where(and_(
            here.c.workshop_id == me.c.id, here.c.status != "withdrawn",
            there.c.workshop_id == other.c.id, there.c.status != "withdrawn",
            there.c.person_id == here.c.person_id,
        ))
        stmt = (
            select(me.c.id.label("for_id"), other)
            .select_from(me.join(other, other.c.id != me.c.id))
            .where(
                me.c.id.in_(list(ids)),
                other.c.status.in_(("scheduled", "confirmed")),
                other.c.start_date <= me.c.end_date,
                other.c.end_date >= me.c.start_date,
                or_(shared_network, shared_delegate),
            )
            .order_by(me.c.id, other.c.start_date, other.c.id)
        )
        out: dict[str, list[WorkshopRow]] = {}
        for r in await self._all(stmt):  # type: ignore[attr-defined]
            out.setdefault(r.for_id, []).append(_workshop(r))
        return out

    async def workshop_ids_for_feed(self, *, city_id: str | None = None, network_id: str | None = None) -> list[str]:
        stmt = select(workshops.c.id).where(workshops.c.start_date.is_not(None))
        if city_id:
            stmt = stmt.where(or_(
                workshops.c.host_city_id == city_id,
                exists().where(and_(workshop_partners.c.workshop_id == workshops.c.id,
                                    workshop_partners.c.city_id == city_id)),
            ))
        if network_id:
            stmt = stmt.where(exists().where(and_(workshop_networks.c.workshop_id == workshops.c.id,
                                                  workshop_networks.c.network_id == network_id)))
        return [r.id for r in await self._all(stmt.order_by(workshops.c.start_date, workshops.c.id))]  # type: ignore[attr-defined]
