"""The read model as one caller may see it: services/authz.py's read rules applied to rows.

Every read the API makes goes through ``VisibleReads``, built per request for its actor: rows
a caller may not see are dropped (a workshop still a proposal, a plan not yet adopted, a draft
version), and fields a caller may not see are blanked (a meeting link, a delegate's person id,
name and e-mail). Resolvers get rows that are already right for their caller and hold no rule.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, or_

from citynet.services import authz
from citynet.services.attribution import Actor
from citynet.services.clock import Clock, today_in
from citynet.services.readmodel.agreement_queries import AgreementRow, VersionRow
from citynet.services.readmodel.paging import Page
from citynet.services.readmodel.queries import ReadModel
from citynet.services.readmodel.tables import workshop_networks, workshop_partners, workshops
from citynet.services.readmodel.workshop_queries import RegistrationRow, WorkshopFilter, WorkshopRow


def workshop_condition(a: Actor) -> Any:
    """The SQL form of ``authz.can_see_workshop`` (None: no restriction)."""
    if authz.reads_everything(a):
        return None
    published = workshops.c.status.in_(authz.PUBLISHED_WORKSHOP_STATUSES)
    if a.role == authz.Role.COORDINATOR.value and a.network_ids:
        return or_(published, exists().where(and_(workshop_networks.c.workshop_id == workshops.c.id,
                                                  workshop_networks.c.network_id.in_(list(a.network_ids)))))
    if a.role == authz.Role.CITY_REPRESENTATIVE.value and a.city_id:
        return or_(published, exists().where(and_(workshop_partners.c.workshop_id == workshops.c.id,
                                                  workshop_partners.c.city_id == a.city_id)))
    return published


class VisibleReads:
    """The read model for one actor. Method names match ``ReadModel``'s batch queries, so the
    request's DataLoaders are built on these."""

    def __init__(self, reads: ReadModel, actor: Actor, clock: Clock) -> None:
        self.reads = reads
        self.actor = actor
        self.clock = clock
        # Names and e-mails live outside the event log (so they can be erased): the log position
        # does not cover them, so an answer that shows them must not be kept by a response cache.
        self.showed_personal_data = False

    # -- workshops ------------------------------------------------------------------------

    async def _membership_of(self, ids: list[str]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Organising networks and partner cities, fetched only for callers whose rights depend on them."""
        a = self.actor
        if authz.reads_everything(a) or not ids or a.role not in (
                authz.Role.COORDINATOR.value, authz.Role.CITY_REPRESENTATIVE.value):
            return {}, {}
        if a.role == authz.Role.COORDINATOR.value:
            return await self.reads.network_ids_of_workshops(ids), {}
        return {}, await self.reads.partner_ids_of_workshops(ids)

    async def _shown(self, rows: list[WorkshopRow]) -> list[WorkshopRow]:
        nets, partners = await self._membership_of([r.id for r in rows])
        out = []
        for r in rows:
            n, p = nets.get(r.id, ()), partners.get(r.id, ())
            if not authz.can_see_workshop(r.status, n, p, self.actor):
                continue
            if not authz.can_see_meeting_link(n, p, self.actor) and r.meeting_link is not None:
                r = dataclasses.replace(r, meeting_link=None)  # type: ignore[arg-type]
            out.append(r)
        return out

    async def workshops_by_id(self, ids: Iterable[str]) -> dict[str, WorkshopRow]:
        rows = await self.reads.workshops_by_id(ids)
        return {r.id: r for r in await self._shown(list(rows.values()))}

    async def workshops_page(self, first: int | None, after: str | None, f: WorkshopFilter) -> Page[WorkshopRow]:
        if f.timing != "all":  # over or not by each host city's own calendar
            days = tuple((z, self.today(z)) for z in await self.reads.workshop_time_zones())
            f = dataclasses.replace(f, upcoming_on=days if f.timing == "upcoming" else (),
                                    past_on=days if f.timing == "past" else ())
        page = await self.reads.workshops_page(first, after, f, visible=workshop_condition(self.actor))
        shown = {r.id: r for r in await self._shown([row for _, row in page.items])}
        return dataclasses.replace(page, items=[(c, shown[r.id]) for c, r in page.items if r.id in shown])

    async def overlapping_workshops(self, ids: Iterable[str]) -> dict[str, list[WorkshopRow]]:
        found = await self.reads.overlapping_workshops(ids)
        every = {r.id: r for rows in found.values() for r in rows}
        shown = {r.id: r for r in await self._shown(list(every.values()))}
        return {k: [shown[r.id] for r in rows if r.id in shown] for k, rows in found.items()}

    def today(self, time_zone: str) -> date:
        return today_in(self.clock, time_zone)

    # -- registrations --------------------------------------------------------------------

    async def _redacted(self, rows: list[RegistrationRow]) -> list[RegistrationRow]:
        a = self.actor
        if authz.is_admin(a):
            self.showed_personal_data |= any(r.name is not None or r.email is not None for r in rows)
            return rows
        needs_networks = a.role == authz.Role.COORDINATOR.value
        nets = await self.reads.network_ids_of_workshops({r.workshop_id for r in rows}) if needs_networks else {}
        out = []
        for r in rows:
            n = nets.get(r.workshop_id, ())
            if not authz.can_see_personal_data(n, r.city_id, a):
                r = dataclasses.replace(r, name=None, email=None)
                if not authz.can_see_person_id(n, r.city_id, a):
                    r = dataclasses.replace(r, person_id=None)  # type: ignore[arg-type]
            self.showed_personal_data |= r.name is not None or r.email is not None
            out.append(r)
        return out

    async def registrations_of_workshops(self, ids: Iterable[str]) -> dict[str, list[RegistrationRow]]:
        """Callers reach these through a workshop they may see (the loader checks it first)."""
        found = await self.reads.registrations_of_workshops(ids)
        return {k: await self._redacted(v) for k, v in found.items()}

    async def registrations_of_cities(self, city_ids: Iterable[str]) -> dict[str, list[RegistrationRow]]:
        found = await self.reads.registrations_of_cities(city_ids)
        visible = await self.workshops_by_id({r.workshop_id for rows in found.values() for r in rows})
        return {k: await self._redacted([r for r in v if r.workshop_id in visible]) for k, v in found.items()}

    async def registrations_of_people(self, person_ids: Iterable[str]) -> dict[str, list[RegistrationRow]]:
        """A person's registrations that show their person id to this caller: none means the
        caller may not know the person exists."""
        found = await self.reads.registrations_of_people(person_ids)
        visible = await self.workshops_by_id({r.workshop_id for rows in found.values() for r in rows})
        out = {}
        for person_id, rows in found.items():
            shown = [r for r in await self._redacted([r for r in rows if r.workshop_id in visible]) if r.person_id]
            if shown:
                out[person_id] = shown
        return out

    # -- plans and protocols --------------------------------------------------------------

    async def agreements_by_id(self, ids: Iterable[str]) -> dict[str, AgreementRow]:
        rows = await self.reads.agreements_by_id(ids)
        if authz.can_see_drafts(self.actor):
            return rows
        return {k: r for k, r in rows.items() if r.adopted_version is not None}

    async def agreements_page(self, kind: str, first: int | None, after: str | None, **criteria: Any) -> Page[AgreementRow]:
        return await self.reads.agreements_page(kind, first, after, adopted_only=not authz.can_see_drafts(self.actor),
                                                **criteria)

    async def versions_of(self, ids: Iterable[str]) -> dict[str, list[VersionRow]]:
        found = await self.reads.versions_of(ids)
        if authz.can_see_drafts(self.actor):
            return found
        return {k: [v for v in rows if v.status == "adopted"] for k, rows in found.items()}

    async def plan_workshop_ids(self, ids: Iterable[str]) -> dict[str, list[str]]:
        return await self.reads.plan_workshop_ids(ids)
