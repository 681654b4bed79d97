"""Workshop mutations: propose, agree a date, schedule, agenda, registrations.

Most return ``WorkshopResult``: the workshop as it now is (with any other
workshops of the same networks on overlapping days) or a typed error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Union
from uuid import UUID

import anyio.to_thread
import strawberry

from citynet.domain.errors import DomainError
from citynet.domain.workshop_values import ExcessPolicy as DomainExcessPolicy
from citynet.domain.workshop_values import SessionKind as DomainSessionKind
from citynet.domain.workshop_values import WorkshopFormat as DomainWorkshopFormat
from citynet.graphql.context import Info
from citynet.graphql.errors import (
    NotAllowed,
    AlreadyRegistered,
    CapacityBelowRegistered,
    Conflict,
    DateConflict,
    InvalidInput,
    InvalidTransition,
    NotAPartner,
    NotFound,
    RegistrationClosed,
    SessionOverlap,
    to_user_error,
)
from citynet.graphql.ids import from_global_id
from citynet.graphql.mutations import _run, bind
from citynet.graphql.types import Position
from citynet.graphql.workshop_types import (
    DelegateFunction,
    ExcessPolicy,
    PollAnswer,
    Registration,
    Session,
    SessionKind,
    Workshop,
    WorkshopFormat,
)
from citynet.services.application import CitynetApplication, Recorded

Command = Callable[[CitynetApplication], Recorded]


def _workshop_id(value: str) -> UUID:
    return from_global_id(value, "Workshop", "workshopId")[0]


def _city_id(value: str, field: str = "cityId") -> UUID:
    return from_global_id(value, "City", field)[0]


# -- inputs ---------------------------------------------------------------------------


@strawberry.input
class ProposeWorkshopInput:
    title: str
    topic: str
    description: str = ""
    network_ids: list[strawberry.ID] = strawberry.field(description="Organising networks; several for a joint project.")
    partner_city_ids: list[strawberry.ID]
    host_city_id: strawberry.ID
    format: WorkshopFormat = DomainWorkshopFormat.IN_PERSON  # type: ignore[valid-type]
    venue: str = ""
    meeting_link: str = ""
    length_days: int = 3
    capacity: int


@strawberry.input
class DateRangeInput:
    start_date: date
    end_date: date


@strawberry.input
class OpenDatePollInput:
    workshop_id: strawberry.ID
    candidates: list[DateRangeInput]


@strawberry.input
class CandidateAnswerInput:
    candidate: int = strawberry.field(description="Index of the candidate in the poll, from 0.")
    answer: PollAnswer  # type: ignore[valid-type]


@strawberry.input
class AnswerDatePollInput:
    workshop_id: strawberry.ID
    city_id: strawberry.ID
    answers: list[CandidateAnswerInput]


@strawberry.input
class CloseDatePollInput:
    workshop_id: strawberry.ID
    candidate: int


@strawberry.input
class ScheduleWorkshopInput:
    workshop_id: strawberry.ID
    start_date: date
    end_date: date


@strawberry.input
class RescheduleWorkshopInput:
    workshop_id: strawberry.ID
    start_date: date
    end_date: date
    reason: str


@strawberry.input
class CancelWorkshopInput:
    workshop_id: strawberry.ID
    reason: str


@strawberry.input
class ConfirmWorkshopInput:
    workshop_id: strawberry.ID


@strawberry.input
class MarkWorkshopHeldInput:
    workshop_id: strawberry.ID
    attendance: int
    outcome_summary: str
    key_findings: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class AddSessionInput:
    workshop_id: strawberry.ID
    title: str
    starts_at: datetime = strawberry.field(description="ISO 8601 with offset, within the workshop days.")
    ends_at: datetime
    moderator: str = ""
    kind: SessionKind = DomainSessionKind.TALK  # type: ignore[valid-type]
    room: str = strawberry.field(default="", description="Room or track.")


@strawberry.input
class RemoveSessionInput:
    session_id: strawberry.ID


@strawberry.input
class RegisterDelegateInput:
    workshop_id: strawberry.ID
    city_id: strawberry.ID = strawberry.field(description="The delegate's city: the host or a partner.")
    name: str
    email: str
    function: DelegateFunction  # type: ignore[valid-type]


@strawberry.input
class WithdrawRegistrationInput:
    registration_id: strawberry.ID


@strawberry.input
class SetWorkshopCapacityInput:
    workshop_id: strawberry.ID
    capacity: int
    excess: ExcessPolicy = DomainExcessPolicy.REFUSE  # type: ignore[valid-type]


@strawberry.input
class SetCityQuotaInput:
    workshop_id: strawberry.ID
    city_id: strawberry.ID
    quota: int | None = strawberry.field(description="Places for the city; null removes the quota.")


# -- payloads ---------------------------------------------------------------------------


@strawberry.type
class WorkshopPayload:
    workshop: Workshop
    position: Position  # type: ignore[valid-type]


@strawberry.type
class SessionPayload:
    session: Session
    workshop: Workshop
    position: Position  # type: ignore[valid-type]


@strawberry.type
class RegistrationPayload:
    registration: Registration
    workshop: Workshop
    position: Position  # type: ignore[valid-type]


WorkshopResult = Annotated[
    Union[WorkshopPayload, NotAllowed, InvalidInput, NotFound, InvalidTransition, NotAPartner, DateConflict,
          CapacityBelowRegistered, RegistrationClosed, Conflict],
    strawberry.union("WorkshopResult"),
]
SessionResult = Annotated[
    Union[SessionPayload, NotAllowed, InvalidInput, NotFound, InvalidTransition, SessionOverlap, Conflict],
    strawberry.union("SessionResult"),
]
RegistrationResult = Annotated[
    Union[RegistrationPayload, NotAllowed, InvalidInput, NotFound, RegistrationClosed, NotAPartner, AlreadyRegistered,
          DateConflict, Conflict],
    strawberry.union("RegistrationResult"),
]


async def _workshop(info: Info, workshop_id: UUID) -> Workshop:
    row = await info.context.load.workshops.workshop.load(str(workshop_id))
    assert row is not None
    return Workshop.from_row(row)


async def _for_workshop(info: Info, raw_id: str, make: Callable[[UUID], Command]) -> Any:
    """Decode the workshop id (a typed error if malformed), then run the command it makes."""
    return await _on_workshop(info, lambda: make(_workshop_id(raw_id)))


async def _on_workshop(info: Info, command: Callable[[], Command]) -> Any:
    async def payload(r: Recorded) -> WorkshopPayload:
        return WorkshopPayload(workshop=await _workshop(info, r.id), position=r.position)

    return await _run(info, command, payload)


@strawberry.type
class WorkshopMutations:
    @strawberry.mutation(description="Propose a workshop: topic, organisers, partners, host, format, capacity.")
    async def propose_workshop(self, info: Info, input: ProposeWorkshopInput) -> WorkshopResult:
        def command() -> Command:
            networks = [from_global_id(n, "Network", "networkIds")[0] for n in input.network_ids]
            partners = [_city_id(c, "partnerCityIds") for c in input.partner_city_ids]
            host = _city_id(input.host_city_id, "hostCityId")
            return lambda app: app.propose_workshop(
                title=input.title, topic=input.topic, description=input.description, network_ids=networks,
                partner_city_ids=partners, host_city_id=host, format=input.format.value, venue=input.venue,
                meeting_link=input.meeting_link, length_days=input.length_days, capacity=input.capacity)

        return await _on_workshop(info, command)

    @strawberry.mutation(description="Open a date poll among the partner cities with candidate date ranges.")
    async def open_date_poll(self, info: Info, input: OpenDatePollInput) -> WorkshopResult:
        def command() -> Command:
            wid = _workshop_id(input.workshop_id)
            ranges = [(c.start_date, c.end_date) for c in input.candidates]
            return lambda app: app.open_date_poll(wid, ranges)

        return await _on_workshop(info, command)

    @strawberry.mutation(description="A partner city answers the date poll: yes, if need be, or no per candidate.")
    async def answer_date_poll(self, info: Info, input: AnswerDatePollInput) -> WorkshopResult:
        def command() -> Command:
            wid, city = _workshop_id(input.workshop_id), _city_id(input.city_id)
            answers = {a.candidate: a.answer.value for a in input.answers}
            return lambda app: app.answer_date_poll(wid, city, answers)

        return await _on_workshop(info, command)

    @strawberry.mutation(description="Close the poll and schedule the workshop on the chosen candidate.")
    async def close_date_poll(self, info: Info, input: CloseDatePollInput) -> WorkshopResult:
        return await _for_workshop(info, input.workshop_id, lambda wid: lambda app:
                                   app.close_date_poll(wid, input.candidate))

    @strawberry.mutation(description="Schedule a proposed workshop on given dates (without a poll).")
    async def schedule_workshop(self, info: Info, input: ScheduleWorkshopInput) -> WorkshopResult:
        return await _for_workshop(info, input.workshop_id, lambda wid: lambda app:
                                   app.schedule_workshop(wid, input.start_date, input.end_date))

    @strawberry.mutation(description="Move a scheduled workshop to new dates, with a reason; its agenda moves along.")
    async def reschedule_workshop(self, info: Info, input: RescheduleWorkshopInput) -> WorkshopResult:
        return await _for_workshop(info, input.workshop_id, lambda wid: lambda app:
                                   app.reschedule_workshop(wid, input.start_date, input.end_date, input.reason))

    @strawberry.mutation(description="Cancel a workshop, with a reason.")
    async def cancel_workshop(self, info: Info, input: CancelWorkshopInput) -> WorkshopResult:
        return await _for_workshop(info, input.workshop_id, lambda wid: lambda app:
                                   app.cancel_workshop(wid, input.reason))

    @strawberry.mutation(description="Confirm a scheduled workshop.")
    async def confirm_workshop(self, info: Info, input: ConfirmWorkshopInput) -> WorkshopResult:
        return await _for_workshop(info, input.workshop_id, lambda wid: lambda app: app.confirm_workshop(wid))

    @strawberry.mutation(description="Record that the workshop was held: attendance, outcome summary, key findings.")
    async def mark_workshop_held(self, info: Info, input: MarkWorkshopHeldInput) -> WorkshopResult:
        return await _for_workshop(info, input.workshop_id, lambda wid: lambda app: app.mark_workshop_held(
                wid, input.attendance, input.outcome_summary, input.key_findings, date.today()))

    @strawberry.mutation(description="Add an agenda session within the workshop days.")
    async def add_session(self, info: Info, input: AddSessionInput) -> SessionResult:
        wid: list[UUID] = []

        def command() -> Command:
            wid.append(_workshop_id(input.workshop_id))
            return lambda app: app.add_session(
                wid[0], title=input.title, starts_at=input.starts_at, ends_at=input.ends_at,
                moderator=input.moderator, kind=input.kind.value, room=input.room)

        async def payload(r: Recorded) -> SessionPayload:
            workshop = await _workshop(info, wid[0])
            rows = await info.context.load.workshops.sessions.load(str(wid[0]))
            row = next(s for s in rows if s.id == str(r.id))
            return SessionPayload(session=Session.from_row(row, workshop.time_zone), workshop=workshop,
                                  position=r.position)

        return await _run(info, command, payload)

    @strawberry.mutation(description="Remove an agenda session.")
    async def remove_session(self, info: Info, input: RemoveSessionInput) -> WorkshopResult:
        def command() -> Command:
            wid, sid = from_global_id(input.session_id, "Session", "sessionId", parts=2)
            return lambda app: app.remove_session(wid, sid)

        return await _on_workshop(info, command)

    @strawberry.mutation(description="Register a delegate of a partner city; past capacity they join the waitlist.")
    async def register_delegate(self, info: Info, input: RegisterDelegateInput) -> RegistrationResult:
        bind(info)
        try:
            wid, city = _workshop_id(input.workshop_id), _city_id(input.city_id)
            recorded = await anyio.to_thread.run_sync(
                lambda: info.context.services.register_delegate(wid, city, input.name, input.email,
                                                                input.function.value))
        except DomainError as error:
            return to_user_error(error)
        await info.context.services.wait_for_position(recorded.position)
        rows = await info.context.load.workshops.registrations.load(str(wid))
        row = next(r for r in rows if r.id == str(recorded.id))  # carries its waitlist position
        return RegistrationPayload(registration=Registration.from_row(row),
                                   workshop=await _workshop(info, wid), position=recorded.position)

    @strawberry.mutation(description="Withdraw a registration; the first in line on the waitlist moves up.")
    async def withdraw_registration(self, info: Info, input: WithdrawRegistrationInput) -> WorkshopResult:
        def command() -> Command:
            wid, rid = from_global_id(input.registration_id, "Registration", "registrationId", parts=2)
            return lambda app: app.withdraw_registration(wid, rid)

        return await _on_workshop(info, command)

    @strawberry.mutation(description="Change the capacity; below the registered count, say what happens to the excess.")
    async def set_workshop_capacity(self, info: Info, input: SetWorkshopCapacityInput) -> WorkshopResult:
        return await _for_workshop(info, input.workshop_id, lambda wid: lambda app:
                                   app.set_workshop_capacity(wid, input.capacity, input.excess.value))

    @strawberry.mutation(description="Limit how many places one city may take (null removes the limit).")
    async def set_city_quota(self, info: Info, input: SetCityQuotaInput) -> WorkshopResult:
        def command() -> Command:
            wid, city = _workshop_id(input.workshop_id), _city_id(input.city_id)
            return lambda app: app.set_city_quota(wid, city, input.quota)

        return await _on_workshop(info, command)
