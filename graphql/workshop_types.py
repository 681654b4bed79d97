"""GraphQL types for workshops: lifecycle, date poll, agenda, registrations.

Times are returned in the workshop's host zone with their offset (and the
zone's name on the workshop), computed per instant, so each day of a
workshop that spans a DST change shows its own offset.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import strawberry

from citynet.domain.workshop_values import (
    DelegateFunction as DomainDelegateFunction,
)
from citynet.domain.workshop_values import (
    ExcessPolicy as DomainExcessPolicy,
)
from citynet.domain.workshop_values import (
    PollAnswer as DomainPollAnswer,
)
from citynet.domain.workshop_values import (
    RegistrationStatus as DomainRegistrationStatus,
)
from citynet.domain.workshop_values import (
    SessionKind as DomainSessionKind,
)
from citynet.domain.workshop_values import (
    GatheringKind as DomainGatheringKind,
)
from citynet.domain.workshop_values import (
    WorkshopFormat as DomainWorkshopFormat,
)
from citynet.domain.workshop_values import (
    WorkshopStatus as DomainWorkshopStatus,
)
from citynet.graphql.context import Info
from citynet.domain.translation import TextKey
from citynet.graphql.ids import to_global_id
from citynet.graphql.translations import LANG, TranslatedText, all_texts, text_in
from citynet.graphql.types import City, Connection, Network, Node, city_by_id, to_connection
from citynet.services.readmodel.paging import page_in_memory
from citynet.services.translations import workshop_sources
from citynet.services.readmodel.workshop_views import Occupancy, workshop_days
from citynet.services.readmodel.workshop_queries import PollCandidateRow, RegistrationRow, SessionRow, WorkshopRow

if TYPE_CHECKING:
    from citynet.graphql.project_types import Project

WorkshopStatus = strawberry.enum(DomainWorkshopStatus, name="WorkshopStatus")
WorkshopFormat = strawberry.enum(DomainWorkshopFormat, name="WorkshopFormat")
GatheringKind = strawberry.enum(
    DomainGatheringKind, name="GatheringKind",
    description="What kind of gathering: all share one lifecycle, registration, calendar and feed.")
PollAnswer = strawberry.enum(DomainPollAnswer, name="PollAnswer")
DelegateFunction = strawberry.enum(DomainDelegateFunction, name="DelegateFunction")
SessionKind = strawberry.enum(DomainSessionKind, name="SessionKind")
RegistrationStatus = strawberry.enum(DomainRegistrationStatus, name="RegistrationStatus")
ExcessPolicy = strawberry.enum(
    DomainExcessPolicy, name="ExcessPolicy",
    description="What happens to registrations above a lowered capacity.",
)


def _local(stored: str, zone: str) -> datetime:
    return datetime.fromisoformat(stored).astimezone(ZoneInfo(zone))


@strawberry.type(description="One calendar day of a workshop in the host zone, with that day's offset.")
class WorkshopDay:
    date: date
    starts_at: datetime
    ends_at: datetime


@strawberry.type(description="An agenda item within the workshop days.")
class Session(Node):
    id: strawberry.ID
    title: str
    starts_at: datetime
    ends_at: datetime
    moderator: str
    kind: SessionKind  # type: ignore[valid-type]
    room: str = strawberry.field(description="Room or track; sessions in the same one never overlap.")

    @classmethod
    def from_row(cls, row: SessionRow, zone: str) -> Session:
        return cls(id=to_global_id("Session", row.workshop_id, row.id), title=row.title,
                   starts_at=_local(row.starts_at, zone), ends_at=_local(row.ends_at, zone),
                   moderator=row.moderator, kind=DomainSessionKind(row.kind), room=row.room)


@strawberry.type(description="A delegate's personal data; kept out of the event log so it can be erased. "
                              "Name and e-mail only for the workshop's coordinators, the delegate's city and admins; "
                              "the person id (which links one person across workshops) also for auditors; "
                              "everyone else sees only the function.")
class Delegate:
    person_id: strawberry.ID | None = strawberry.field(description="A Person id, reachable with `node`.")
    name: str | None
    email: str | None
    function: DelegateFunction  # type: ignore[valid-type]


@strawberry.type(description="A person registered as a delegate; shown only to those who may see their "
                              "person id (see Delegate).")
class Person(Node):
    id: strawberry.ID
    name: str | None
    email: str | None
    rows: strawberry.Private[list[RegistrationRow]]

    @strawberry.field(description="The person's registrations you may see, in order of registration.")
    def registrations(self) -> list[Registration]:
        return [Registration.from_row(r) for r in self.rows]


@strawberry.type(description="A delegate's place (or waitlist place) at a workshop.")
class Registration(Node):
    id: strawberry.ID
    status: RegistrationStatus  # type: ignore[valid-type]
    registered_at: datetime
    position: int | None = strawberry.field(description="1-based place on the waitlist; null unless waitlisted.")
    row: strawberry.Private[RegistrationRow]

    @classmethod
    def from_row(cls, row: RegistrationRow) -> Registration:
        return cls(id=to_global_id("Registration", row.workshop_id, row.id),
                   status=DomainRegistrationStatus(row.status),
                   registered_at=datetime.fromisoformat(row.registered_at), position=row.waitlist_position, row=row)

    @strawberry.field(description="Who the delegate is, as far as you may see it (see Delegate).")
    def delegate(self) -> Delegate:
        return Delegate(person_id=to_global_id("Person", self.row.person_id) if self.row.person_id else None,
                        name=self.row.name, email=self.row.email, function=DomainDelegateFunction(self.row.function))

    @strawberry.field
    async def city(self, info: Info) -> City:
        return await city_by_id(info, self.row.city_id)

    @strawberry.field
    async def workshop(self, info: Info) -> Workshop:
        row = await info.context.load.workshops.workshop.load(self.row.workshop_id)
        assert row is not None
        return Workshop.from_row(row)


@strawberry.type
class DatePollAnswer:
    answer: PollAnswer  # type: ignore[valid-type]
    city_id: strawberry.Private[str]

    @strawberry.field
    async def city(self, info: Info) -> City:
        return await city_by_id(info, self.city_id)


@strawberry.type(description="A candidate date range in a poll, with the partner cities' answers.")
class DateCandidate:
    index: int
    start_date: date
    end_date: date
    chosen: bool
    answers: list[DatePollAnswer]
    yes_count: int
    if_need_be_count: int
    no_count: int


@strawberry.type(description="The poll among partner cities that chose the date; kept as the record of why.")
class DatePoll:
    is_open: bool
    candidates: list[DateCandidate]


@strawberry.type
class CityQuota:
    quota: int
    city_id: strawberry.Private[str]

    @strawberry.field
    async def city(self, info: Info) -> City:
        return await city_by_id(info, self.city_id)


@strawberry.type(description="What came out of a workshop that was held; action plans refer to it.")
class WorkshopOutcome:
    attendance: int
    summary: str
    key_findings: list[str]


@strawberry.type(description="A workshop hosted by a partner city, e.g. one of Connecting Resilient Cities' four, "
                              "or another gathering (`kind`: a conference, training, study trip or week of events).")
class Workshop(Node):
    id: strawberry.ID
    kind: GatheringKind = strawberry.field(  # type: ignore[valid-type]
        description="WORKSHOP, CONFERENCE, TRAINING, STUDY_TRIP or WEEK_OF_EVENTS; workshops recorded before "
                    "gatherings had kinds are WORKSHOP.")
    status: WorkshopStatus  # type: ignore[valid-type]
    format: WorkshopFormat  # type: ignore[valid-type]
    venue: str
    meeting_link: str | None = strawberry.field(
        description="The online room: for the organising networks' coordinators, the partner cities' "
                    "representatives, auditors and admins; null for everyone else.")
    length_days: int
    capacity: int
    time_zone: str = strawberry.field(description="The host city's IANA zone; all times are given in it.")
    start_date: date | None
    end_date: date | None
    sequence: int = strawberry.field(description="Bumped on each reschedule and cancellation (RFC 5545 SEQUENCE).")
    status_reason: str = strawberry.field(description="Reason given for the last reschedule or cancellation.")
    row: strawberry.Private[WorkshopRow]

    @classmethod
    def from_row(cls, row: WorkshopRow) -> Workshop:
        return cls(
            id=to_global_id("Workshop", row.id), kind=DomainGatheringKind(row.kind),
            status=DomainWorkshopStatus(row.status), format=DomainWorkshopFormat(row.format), venue=row.venue,
            meeting_link=row.meeting_link, length_days=row.length_days, capacity=row.capacity,
            time_zone=row.time_zone, start_date=row.start_date, end_date=row.end_date, sequence=row.sequence,
            status_reason=row.status_reason, row=row,
        )

    @strawberry.field(description="The project this gathering belongs to, if any.")
    async def project(self, info: Info) -> Annotated[Project, strawberry.lazy("citynet.graphql.project_types")] | None:
        from citynet.graphql.project_types import Project

        project_id = await info.context.load.projects.project_of_output.load(self.row.id)
        if project_id is None:
            return None
        row = await info.context.load.projects.project.load(project_id)
        return Project.from_row(row) if row else None

    @strawberry.field
    async def title(self, info: Info, lang: Annotated[str | None, LANG] = None) -> str:
        return await text_in(info, self.row.id, TextKey("title"), self.row.title, lang)

    @strawberry.field
    async def topic(self, info: Info, lang: Annotated[str | None, LANG] = None) -> str:
        return await text_in(info, self.row.id, TextKey("topic"), self.row.topic, lang)

    @strawberry.field
    async def description(self, info: Info, lang: Annotated[str | None, LANG] = None) -> str:
        return await text_in(info, self.row.id, TextKey("description"), self.row.description, lang)

    @strawberry.field(description="Each translatable text of the workshop in the reader's language, saying which "
                                  "language it is actually in (decision 017).")
    async def texts(self, info: Info, lang: Annotated[str | None, LANG] = None,
                    easy_read: bool = False, include_stale: bool = False) -> list[TranslatedText]:
        return await all_texts(info, self.row.id, workshop_sources(self.row), lang, easy_read, include_stale)

    @strawberry.field(description="Stable RFC 5545 feed of this workshop.")
    def calendar_url(self) -> str:
        return f"/calendar/workshops/{self.id}.ics"

    @strawberry.field
    def days(self) -> list[WorkshopDay]:
        return [WorkshopDay(date=d.date, starts_at=d.starts_at, ends_at=d.ends_at)
                for d in workshop_days(self.row.start_date, self.row.end_date, self.row.time_zone)]

    @strawberry.field
    async def outcome(self, info: Info, lang: Annotated[str | None, LANG] = None) -> WorkshopOutcome | None:
        if self.row.attendance is None:
            return None
        summary = await text_in(info, self.row.id, TextKey("outcomeSummary"), self.row.outcome_summary or "", lang)
        return WorkshopOutcome(attendance=self.row.attendance, summary=summary, key_findings=self.row.key_findings)

    @strawberry.field
    async def host(self, info: Info) -> City:
        return await city_by_id(info, self.row.host_city_id)

    @strawberry.field(description="Organising networks (several for a joint project).")
    async def organisers(self, info: Info) -> list[Network]:
        ids = await info.context.load.workshops.network_ids.load(self.row.id)
        rows = await info.context.load.network.load_many(ids)
        return sorted((Network.from_row(r) for r in rows if r), key=lambda n: n.name)

    @strawberry.field(description="Partner cities, the host included.")
    async def partners(self, info: Info) -> list[City]:
        ids = await info.context.load.workshops.partner_ids.load(self.row.id)
        rows = await info.context.load.city.load_many(ids)
        return sorted((City.from_row(r) for r in rows if r), key=lambda c: c.name)

    @strawberry.field
    async def date_poll(self, info: Info) -> DatePoll | None:
        if self.row.poll_status == "none":
            return None
        load = info.context.load.workshops
        candidates: list[PollCandidateRow] = await load.poll_candidates.load(self.row.id)
        answers = await load.poll_answers.load(self.row.id)
        out = []
        for c in candidates:
            mine = [a for a in answers if a.candidate == c.candidate]
            counts = Counter(a.answer for a in mine)
            out.append(DateCandidate(
                index=c.candidate, start_date=c.start_date, end_date=c.end_date, chosen=c.chosen,
                answers=[DatePollAnswer(answer=DomainPollAnswer(a.answer), city_id=a.city_id) for a in mine],
                yes_count=counts["yes"], if_need_be_count=counts["if_need_be"], no_count=counts["no"],
            ))
        return DatePoll(is_open=self.row.poll_status == "open", candidates=out)

    @strawberry.field
    async def sessions(self, info: Info) -> list[Session]:
        rows = await info.context.load.workshops.sessions.load(self.row.id)
        return [Session.from_row(r, self.row.time_zone) for r in rows]

    async def _registrations(self, info: Info) -> list[RegistrationRow]:
        return await info.context.load.workshops.registrations.load(self.row.id)  # type: ignore[no-any-return]

    @strawberry.field(description="Registrations in order of arrival; filter by status.")
    async def registrations(
        self, info: Info, first: int | None = None, after: str | None = None,
        status: RegistrationStatus | None = None,  # type: ignore[valid-type]
    ) -> Connection[Registration]:
        rows = [r for r in await self._registrations(info) if status is None or r.status == status.value]
        page = page_in_memory(rows, lambda r: (f"{r.arrival:010d}", r.id), first, after)
        return to_connection(page, Registration.from_row)

    @strawberry.field(description="Waitlisted registrations, first in line first, with their positions.")
    async def waitlist(self, info: Info) -> list[Registration]:
        rows = [r for r in await self._registrations(info) if r.status == "waitlisted"]
        return [Registration.from_row(r) for r in rows]

    async def _occupancy(self, info: Info) -> Occupancy:
        return Occupancy.of(self.row.capacity, await info.context.load.workshops.counts.load(self.row.id))

    @strawberry.field
    async def registered_count(self, info: Info) -> int:
        return (await self._occupancy(info)).registered

    @strawberry.field
    async def waitlist_count(self, info: Info) -> int:
        return (await self._occupancy(info)).waitlisted

    @strawberry.field
    async def free_places(self, info: Info) -> int:
        return (await self._occupancy(info)).free_places

    @strawberry.field(description="Per-city limits on places.")
    async def city_quotas(self, info: Info) -> list[CityQuota]:
        return [CityQuota(city_id=c, quota=q) for c, q in await info.context.load.workshops.quotas.load(self.row.id)]

    @strawberry.field(description="Other live workshops of the same networks on overlapping days (reported, not refused).")
    async def overlapping_workshops(self, info: Info) -> list[Workshop]:
        rows = await info.context.load.workshops.overlapping.load(self.row.id)
        return [Workshop.from_row(r) for r in rows]
