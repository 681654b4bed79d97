"""Workshop commands. Mixed into the application; one method per command.

Rules that span aggregates (a host city's in-person bookings, a delegate's
bookings) go through Calendar aggregates saved in the same atomic write as
the workshop, so concurrent bookings collide and are re-decided. A reschedule
re-books the host and every delegate in that same write.

"Today" is the host city's date, from the application's clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from citynet.domain.calendar import Calendar, calendar_id
from citynet.domain.city import City
from citynet.domain.errors import DateConflict, InvalidInput, NotFound, RegistrationClosed
from citynet.domain.network import Network
from citynet.domain.workshop import DATED, Workshop
from citynet.domain.workshop_values import PollAnswer
from citynet.services import authz
from citynet.services.clock import today_in

if TYPE_CHECKING:
    from eventsourcing.domain import Aggregate

    from citynet.services.application import CitynetApplication, Recorded

HOST = "host"
PERSON = "person"


class WorkshopCommands:
    """Commands on workshops; ``self`` is the CitynetApplication."""

    # -- proposing -----------------------------------------------------------------

    def propose_workshop(
        self: CitynetApplication,
        *,
        title: str,
        topic: str,
        description: str = "",
        network_ids: list[UUID],
        partner_city_ids: list[UUID],
        host_city_id: UUID,
        format: str = "in_person",
        venue: str = "",
        meeting_link: str = "",
        length_days: int = 3,
        capacity: int,
        workshop_id: UUID | None = None,
        kind: str = "workshop",
        project_id: UUID | None = None,
    ) -> Recorded:
        """Propose a gathering. The caller must coordinate every organising network (admins: any).
        With ``project_id`` it is organised within that project (decision 015): saved with the
        project's attachment in one write; its organising networks default to the project's networks
        the caller coordinates (admins: all of them); host and partners may be members of an
        organising network or city partners of the project on the host's today."""
        from citynet.services.application import Recorded

        if project_id is not None:
            return self._propose_in_project(
                project_id, title=title, topic=topic, description=description, network_ids=network_ids,
                partner_city_ids=partner_city_ids, host_city_id=host_city_id, format=format, venue=venue,
                meeting_link=meeting_link, length_days=length_days, capacity=capacity, workshop_id=workshop_id,
                kind=kind)
        authz.require_manager_of_all("workshop:propose", network_ids)
        networks = [self.get(Network, network_id, "networkIds") for network_id in network_ids]
        for city_id in partner_city_ids:
            self.get(City, city_id, "partnerCityIds")
        host = self.get(City, host_city_id, "hostCityId")
        require_members(networks, [(host_city_id, "hostCityId"), *((c, "partnerCityIds") for c in partner_city_ids)])
        workshop = Workshop.propose(
            title=title, topic=topic, description=description, network_ids=network_ids,
            partner_city_ids=partner_city_ids, host_city_id=host_city_id, time_zone=host.time_zone,
            format=format, venue=venue, meeting_link=meeting_link, length_days=length_days,
            capacity=capacity, workshop_id=workshop_id, kind=kind,
        )
        return Recorded(workshop.id, self._save_new(workshop, "a workshop with this id already exists").position)

    def _propose_in_project(self: CitynetApplication, project_id: UUID, *, network_ids: list[UUID],
                            partner_city_ids: list[UUID], host_city_id: UUID, workshop_id: UUID | None,
                            **fields: Any) -> Recorded:
        from citynet.domain.project import OutputKind, PartyKind, Project
        from citynet.services.application import Recorded
        from citynet.services.projects import project_network_ids

        made: list[UUID] = []

        def decide(project: Project) -> list[Aggregate]:
            authz.require_manager("project:manage", project_network_ids(project))
            # By default the project's networks the caller speaks for organise it (admins: all of them);
            # a network is an organiser only by its own coordinators' (or an admin's) choice.
            organisers = list(dict.fromkeys(network_ids)) or authz.mine(
                sorted(project_network_ids(project), key=str))
            if not organisers:
                raise InvalidInput("networkIds", f"{project.acronym} has no network partner: name the organising "
                                                 "networks")
            authz.require_manager_of_all("workshop:propose", organisers)
            project.require_open("given gatherings")
            networks = [self.get(Network, network_id, "networkIds") for network_id in organisers]
            for city_id in partner_city_ids:
                self.get(City, city_id, "partnerCityIds")
            host = self.get(City, host_city_id, "hostCityId")
            today = today_in(self.clock, host.time_zone)
            for city_id, field in [(host_city_id, "hostCityId"), *((c, "partnerCityIds") for c in partner_city_ids)]:
                partner = project.partner_on(city_id, today)
                if (partner is None or partner.party.kind is not PartyKind.CITY) and not any(
                        city_id in n.members for n in networks):
                    names = ", ".join(n.short_name for n in networks)
                    raise InvalidInput(field, f"city {city_id} is neither a partner of {project.acronym} on "
                                              f"{today.isoformat()} nor a member of an organising network ({names})")
            workshop = Workshop.propose(network_ids=organisers, partner_city_ids=partner_city_ids,
                                        host_city_id=host_city_id, time_zone=host.time_zone,
                                        workshop_id=workshop_id, **fields)
            made.append(workshop.id)
            return [workshop, project.attach_output(OutputKind.GATHERING, workshop.id, None)]

        position = self._change_together(Project, project_id, "projectId", decide)
        return Recorded(made[-1], position)

    # -- dates -------------------------------------------------------------------------

    def open_date_poll(self: CitynetApplication, workshop_id: UUID, candidates: list[tuple[date, date]]) -> Recorded:
        return self._on_workshop(workshop_id, lambda w: w.open_poll(candidates, today=self.today_at(w)))

    def answer_date_poll(
        self: CitynetApplication, workshop_id: UUID, city_id: UUID, answers: dict[int, PollAnswer | str]
    ) -> Recorded:
        def decide(w: Workshop) -> None:
            authz.require_manager_or_city("poll:answer", w.network_ids, city_id)
            w.answer_poll(city_id, answers)

        return self._on_workshop(workshop_id, decide, check=False, permission="poll:answer")

    def close_date_poll(self: CitynetApplication, workshop_id: UUID, candidate: int) -> Recorded:
        def decide(w: Workshop) -> list[Aggregate]:
            w.close_poll(candidate, today=self.today_at(w))
            return self._book_host(w)

        return self._on_workshop_with(workshop_id, decide)

    def schedule_workshop(self: CitynetApplication, workshop_id: UUID, start: date, end: date) -> Recorded:
        def decide(w: Workshop) -> list[Aggregate]:
            w.schedule(start, end, today=self.today_at(w))
            return self._book_host(w)

        return self._on_workshop_with(workshop_id, decide)

    def reschedule_workshop(
        self: CitynetApplication, workshop_id: UUID, start: date, end: date, reason: str
    ) -> Recorded:
        def decide(w: Workshop) -> list[Aggregate]:
            w.reschedule(start, end, reason, today=self.today_at(w))
            return [*self._book_host(w), *self._rebook_delegates(w)]

        return self._on_workshop_with(workshop_id, decide)

    def cancel_workshop(self: CitynetApplication, workshop_id: UUID, reason: str) -> Recorded:
        def decide(w: Workshop) -> list[Aggregate]:
            w.cancel(reason)
            host = self._existing_calendar(HOST, w.host_city_id)
            if host is None:
                return []
            host.release(w.id)
            return [host]

        return self._on_workshop_with(workshop_id, decide)

    def confirm_workshop(self: CitynetApplication, workshop_id: UUID) -> Recorded:
        return self._on_workshop(workshop_id, lambda w: w.confirm())

    def mark_workshop_held(
        self: CitynetApplication, workshop_id: UUID, attendance: int, summary: str, key_findings: list[str],
    ) -> Recorded:
        return self._on_workshop(
            workshop_id, lambda w: w.mark_held(attendance, summary, key_findings, today=self.today_at(w)))

    # -- agenda ---------------------------------------------------------------------------

    def add_session(
        self: CitynetApplication, workshop_id: UUID, *, title: str, starts_at: datetime, ends_at: datetime,
        moderator: str = "", kind: str = "talk", room: str = "", session_id: UUID | None = None,
    ) -> Recorded:
        from citynet.services.application import Recorded

        added: list[UUID] = []
        recorded = self._on_workshop(workshop_id, lambda w: added.append(w.add_session(
            session_id=session_id, title=title, starts_at=starts_at, ends_at=ends_at, moderator=moderator,
            kind=kind, room=room)))
        return Recorded(added[-1], recorded.position)

    def remove_session(self: CitynetApplication, workshop_id: UUID, session_id: UUID) -> Recorded:
        return self._on_workshop(workshop_id, lambda w: w.remove_session(session_id))

    # -- registration -----------------------------------------------------------------------

    def register_delegate(
        self: CitynetApplication, workshop_id: UUID, *, person_id: UUID, city_id: UUID, function: str,
        registration_id: UUID | None = None,
    ) -> Recorded:
        from citynet.services.application import Recorded

        made: list[UUID] = []

        def decide(w: Workshop) -> list[Aggregate]:
            authz.require_manager_or_city("delegate:register", w.network_ids, city_id)
            calendar = self._person_calendar_checked(w, person_id)
            made.append(w.register(registration_id=registration_id, person_id=person_id, city_id=city_id,
                                   function=function, today=self.today_at(w)).id)
            assert w.dates is not None
            calendar.book(w.id, w.dates.start, w.dates.end)
            return [calendar]

        recorded = self._on_workshop_with(workshop_id, decide, check=False, permission="delegate:register")
        return Recorded(made[-1], recorded.position)

    def withdraw_registration(self: CitynetApplication, workshop_id: UUID, registration_id: UUID) -> Recorded:
        def decide(w: Workshop) -> list[Aggregate]:
            registration = w.registrations.get(registration_id)
            authz.require_manager_or_city("delegate:withdraw", w.network_ids,
                                          registration.city_id if registration else None)
            w.withdraw(registration_id)
            assert registration is not None
            calendar = self._existing_calendar(PERSON, registration.person_id)
            if calendar is None:
                return []
            calendar.release(w.id)
            return [calendar]

        return self._on_workshop_with(workshop_id, decide, check=False, permission="delegate:withdraw")

    def set_workshop_capacity(self: CitynetApplication, workshop_id: UUID, capacity: int, excess: str = "refuse") -> Recorded:
        return self._on_workshop(workshop_id, lambda w: w.set_capacity(capacity, excess))

    def set_city_quota(self: CitynetApplication, workshop_id: UUID, city_id: UUID, quota: int | None) -> Recorded:
        return self._on_workshop(workshop_id, lambda w: w.set_city_quota(city_id, quota))

    # -- plumbing ---------------------------------------------------------------------------

    def _on_workshop(
        self: CitynetApplication, workshop_id: UUID, decide: Callable[[Workshop], Any], check: bool = True,
        permission: str = "workshop:manage",
    ) -> Recorded:
        def only(w: Workshop) -> list[Aggregate]:
            decide(w)
            return []

        return self._on_workshop_with(workshop_id, only, check, permission)

    def _on_workshop_with(
        self: CitynetApplication, workshop_id: UUID, decide: Callable[[Workshop], list[Aggregate]],
        check: bool = True, permission: str = "workshop:manage",
    ) -> Recorded:
        """Run a decision on a workshop; by default only its networks' coordinators (and admins) may.

        A workshop the caller may not see (a proposal it takes no part in) is not found, as a read
        would answer: no other error may tell that it exists or what state it is in. A caller whose
        role changes no workshop at all (anonymous, auditor) is refused before anything is looked up,
        whether the workshop exists or not, so that refusal tells nothing either."""
        from citynet.services.application import Recorded

        authz.require_writer(permission)

        def guarded(w: Workshop) -> list[Aggregate]:
            require_visible(w, "workshopId")
            if check:
                authz.require_manager("workshop:manage", w.network_ids)
            return decide(w)

        return Recorded(workshop_id, self._change_together(Workshop, workshop_id, "workshopId", guarded))

    def visible_workshop(self: CitynetApplication, workshop_id: UUID, field: str) -> Workshop:
        """A workshop another record refers to, as the caller may see it: one it may not see (a proposal it
        takes no part in) is not found, as a read would answer."""
        w = self.get(Workshop, workshop_id, field)
        require_visible(w, field)
        return w

    def today_at(self: CitynetApplication, w: Workshop) -> date:
        """Today in the host city's zone: the day that decides what is past for this workshop."""
        return today_in(self.clock, w.time_zone)

    def _rebook_delegates(self: CitynetApplication, w: Workshop) -> list[Aggregate]:
        """Move every active delegate's booking to the new dates, or refuse the reschedule.

        The refusal lists this workshop's registrations that clash (the caller
        manages the workshop, so may see them), never the other workshops."""
        assert w.dates is not None
        calendars: list[Aggregate] = []
        clashes: list[UUID] = []
        for registration in sorted(w.registrations.values(), key=lambda r: r.arrival):
            if registration.status.value == "withdrawn":
                continue
            calendar = self._calendar(PERSON, registration.person_id)
            if self._person_clash(calendar, w, registration.person_id) is not None:
                clashes.append(registration.id)
                continue
            calendar.book(w.id, w.dates.start, w.dates.end)
            calendars.append(calendar)
        if clashes:
            raise DateConflict(
                None,
                f"{len(clashes)} registered delegate(s) are already booked elsewhere on "
                f"{w.dates.start}..{w.dates.end}; withdraw them or choose other dates",
                registration_ids=clashes, workshop_id=w.id,
            )
        return calendars

    def _person_clash(self: CitynetApplication, calendar: Calendar, w: Workshop, person_id: UUID) -> Workshop | None:
        assert w.dates is not None
        for other_id in calendar.overlapping(w.dates.start, w.dates.end, w.id):
            other = self.get(Workshop, other_id)
            if (other.status in DATED and other.active_registration_of(person_id) is not None
                    and other.dates is not None and other.dates.overlaps(w.dates)):
                return other
        return None

    def _existing_calendar(self: CitynetApplication, kind: str, owner_id: UUID) -> Calendar | None:
        try:
            return self.get(Calendar, calendar_id(kind, owner_id))
        except NotFound:
            return None

    def _calendar(self: CitynetApplication, kind: str, owner_id: UUID) -> Calendar:
        return self._existing_calendar(kind, owner_id) or Calendar(kind=kind, owner_id=owner_id)

    def _book_host(self: CitynetApplication, w: Workshop) -> list[Aggregate]:
        if not w.is_physical or w.dates is None:
            return []
        calendar = self._calendar(HOST, w.host_city_id)
        for other_id in calendar.overlapping(w.dates.start, w.dates.end, w.id):
            other = self.get(Workshop, other_id)
            if (other.status in DATED and other.is_physical and other.host_city_id == w.host_city_id
                    and other.dates is not None and other.dates.overlaps(w.dates)):
                host = self.get(City, w.host_city_id)
                raise DateConflict(
                    other.id,
                    f"{host.name} already hosts the in-person workshop {other.title!r} "
                    f"from {other.dates.start} to {other.dates.end}",
                )
        calendar.book(w.id, w.dates.start, w.dates.end)
        return [calendar]

    def _person_calendar_checked(self: CitynetApplication, w: Workshop, person_id: UUID) -> Calendar:
        calendar = self._calendar(PERSON, person_id)
        if w.dates is None:
            raise RegistrationClosed(w.status.value)  # not dated yet: the same answer the workshop gives
        other = self._person_clash(calendar, w, person_id)
        if other is not None:
            assert other.dates is not None
            # A person is always someone's delegate for one city (people are
            # identified per city), but the caller may be a coordinator of
            # another network: name the other workshop only to whoever may
            # see who is registered there.
            registration = other.active_registration_of(person_id)
            assert registration is not None
            if authz.can_see_personal_data(other.network_ids, str(registration.city_id)):
                raise DateConflict(
                    other.id,
                    f"this delegate is already registered for {other.title!r} "
                    f"from {other.dates.start} to {other.dates.end}",
                )
            raise DateConflict(None, "this delegate is already registered for another workshop on overlapping days")
        return calendar


def require_visible(w: Workshop, field: str) -> None:
    """A workshop the caller may not see (a proposal it takes no part in) is not found, as a read would
    answer: no other error may tell that it exists or what state it is in."""
    if not authz.can_see_workshop(w.status.value, w.network_ids, w.partner_city_ids):
        raise NotFound("Workshop", w.id, field)


def require_members(networks: list[Network], cities: list[tuple[UUID, str]]) -> None:
    """Host and partners take part as members of at least one organising network (decision 010)."""
    for city_id, field in cities:
        if not any(city_id in n.members for n in networks):
            names = ", ".join(n.short_name for n in networks)
            raise InvalidInput(field, f"city {city_id} is not a member of any organising network ({names})")
