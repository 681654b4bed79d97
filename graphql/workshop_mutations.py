"""Workshop mutations: propose, agree a date, schedule, agenda, registrations.

Each has its own result union: its payload (most show the workshop as it now
is) or exactly the errors its command declares.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

import strawberry

from citynet.domain.workshop_values import ExcessPolicy as DomainExcessPolicy
from citynet.domain.workshop_values import GatheringKind as DomainGatheringKind
from citynet.domain.workshop_values import SessionKind as DomainSessionKind
from citynet.domain.workshop_values import WorkshopFormat as DomainWorkshopFormat
from citynet.graphql.command_results import (
    OnDemand,
    MutationInput,
    MutationPayload,
    committed,
    dispatch,
    maybe,
    result_union,
)
from citynet.graphql.context import Info
from citynet.graphql.ids import from_global_id, to_global_id
from citynet.graphql.workshop_types import (
    DelegateFunction,
    ExcessPolicy,
    GatheringKind,
    PollAnswer,
    Registration,
    Session,
    SessionKind,
    Workshop,
    WorkshopFormat,
)
from citynet.services.commands import workshops as commands
from citynet.services.commands.base import Command
from citynet.services.commands.bus import Outcome


def _workshop_id(value: str) -> UUID:
    return from_global_id(value, "Workshop", "workshopId")[0]


def _city_id(value: str, field: str = "cityId") -> UUID:
    return from_global_id(value, "City", field)[0]


# -- inputs ---------------------------------------------------------------------------


@strawberry.input
class ProposeWorkshopInput(MutationInput):
    title: str
    topic: str
    description: str = ""
    network_ids: list[strawberry.ID] = strawberry.field(
        description="Organising networks; several for a joint project (may be empty with projectId).")
    partner_city_ids: list[strawberry.ID]
    host_city_id: strawberry.ID
    format: WorkshopFormat = DomainWorkshopFormat.IN_PERSON  # type: ignore[valid-type]
    venue: str = ""
    meeting_link: str = ""
    length_days: int = 3
    capacity: int
    kind: GatheringKind = strawberry.field(  # type: ignore[valid-type]
        default=DomainGatheringKind.WORKSHOP, description="The kind of gathering (default WORKSHOP).")
    project_id: strawberry.ID | None = strawberry.field(
        default=None, description="Organise it within this project: attached to it in the same write; "
                                  "networkIds may then be empty (the project's networks organise it), and host "
                                  "and partners may be the project's city partners.")


@strawberry.input
class DateRangeInput:
    start_date: date
    end_date: date


@strawberry.input
class OpenDatePollInput(MutationInput):
    workshop_id: strawberry.ID
    candidates: list[DateRangeInput]


@strawberry.input
class CandidateAnswerInput:
    candidate: int = strawberry.field(description="Index of the candidate in the poll, from 0.")
    answer: PollAnswer  # type: ignore[valid-type]


@strawberry.input
class AnswerDatePollInput(MutationInput):
    workshop_id: strawberry.ID
    city_id: strawberry.ID
    answers: list[CandidateAnswerInput]


@strawberry.input
class CloseDatePollInput(MutationInput):
    workshop_id: strawberry.ID
    candidate: int


@strawberry.input
class ScheduleWorkshopInput(MutationInput):
    workshop_id: strawberry.ID
    start_date: date
    end_date: date


@strawberry.input
class RescheduleWorkshopInput(MutationInput):
    workshop_id: strawberry.ID
    start_date: date
    end_date: date
    reason: str


@strawberry.input
class CancelWorkshopInput(MutationInput):
    workshop_id: strawberry.ID
    reason: str


@strawberry.input
class ConfirmWorkshopInput(MutationInput):
    workshop_id: strawberry.ID


@strawberry.input
class MarkWorkshopHeldInput(MutationInput):
    workshop_id: strawberry.ID
    attendance: int
    outcome_summary: str
    key_findings: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class AddSessionInput(MutationInput):
    workshop_id: strawberry.ID
    title: str
    starts_at: datetime = strawberry.field(description="ISO 8601 with offset, within the workshop days.")
    ends_at: datetime
    moderator: str = ""
    kind: SessionKind = DomainSessionKind.TALK  # type: ignore[valid-type]
    room: str = strawberry.field(default="", description="Room or track.")


@strawberry.input
class RemoveSessionInput(MutationInput):
    session_id: strawberry.ID


@strawberry.input
class RegisterDelegateInput(MutationInput):
    workshop_id: strawberry.ID
    city_id: strawberry.ID = strawberry.field(description="The delegate's city: the host or a partner.")
    name: str
    email: str
    function: DelegateFunction  # type: ignore[valid-type]


@strawberry.input
class WithdrawRegistrationInput(MutationInput):
    registration_id: strawberry.ID


@strawberry.input
class SetWorkshopCapacityInput(MutationInput):
    workshop_id: strawberry.ID
    capacity: int
    excess: ExcessPolicy = DomainExcessPolicy.REFUSE  # type: ignore[valid-type]


@strawberry.input
class SetCityQuotaInput(MutationInput):
    workshop_id: strawberry.ID
    city_id: strawberry.ID
    quota: int | None = strawberry.field(description="Places for the city; null removes the quota.")


# -- payloads ---------------------------------------------------------------------------


@strawberry.type(description="`id` is the workshop's.")
class WorkshopPayload(MutationPayload):
    workshop: Workshop | None


@strawberry.type(description="`id` is the session's.")
class SessionPayload(MutationPayload):
    session: Session | None
    workshop: Workshop | None


@strawberry.type(description="`id` is the registration's.")
class RegistrationPayload(MutationPayload):
    registration: Registration | None
    workshop: Workshop | None


ProposeWorkshopResult = result_union("ProposeWorkshopResult", WorkshopPayload, commands.ProposeWorkshop)
OpenDatePollResult = result_union("OpenDatePollResult", WorkshopPayload, commands.OpenDatePoll)
AnswerDatePollResult = result_union("AnswerDatePollResult", WorkshopPayload, commands.AnswerDatePoll)
CloseDatePollResult = result_union("CloseDatePollResult", WorkshopPayload, commands.CloseDatePoll)
ScheduleWorkshopResult = result_union("ScheduleWorkshopResult", WorkshopPayload, commands.ScheduleWorkshop)
RescheduleWorkshopResult = result_union("RescheduleWorkshopResult", WorkshopPayload, commands.RescheduleWorkshop)
CancelWorkshopResult = result_union("CancelWorkshopResult", WorkshopPayload, commands.CancelWorkshop)
ConfirmWorkshopResult = result_union("ConfirmWorkshopResult", WorkshopPayload, commands.ConfirmWorkshop)
MarkWorkshopHeldResult = result_union("MarkWorkshopHeldResult", WorkshopPayload, commands.MarkWorkshopHeld)
AddSessionResult = result_union("AddSessionResult", SessionPayload, commands.AddSession)
RemoveSessionResult = result_union("RemoveSessionResult", WorkshopPayload, commands.RemoveSession)
RegisterDelegateResult = result_union("RegisterDelegateResult", RegistrationPayload, commands.RegisterDelegate)
WithdrawRegistrationResult = result_union("WithdrawRegistrationResult", WorkshopPayload,
                                          commands.WithdrawRegistration)
SetWorkshopCapacityResult = result_union("SetWorkshopCapacityResult", WorkshopPayload, commands.SetWorkshopCapacity)
SetCityQuotaResult = result_union("SetCityQuotaResult", WorkshopPayload, commands.SetCityQuota)


def _workshop(info: Info, workshop_id: UUID) -> Any:
    async def read() -> Workshop | None:
        row = await maybe(info.context.load.workshops.workshop.load(str(workshop_id)))
        return Workshop.from_row(row) if row is not None else None

    return OnDemand(read)


async def _on_workshop(info: Info, input: Any, make: Callable[[], Command]) -> Any:
    """Run a command on (or creating) a workshop; the payload shows the workshop."""

    async def answer(o: Outcome) -> WorkshopPayload:
        return WorkshopPayload(**committed(o, input, to_global_id("Workshop", o.id)),
                               workshop=_workshop(info, o.id))

    return await dispatch(info, input, make, answer)


def _ids(values: list[strawberry.ID], kind: str, field: str) -> tuple[UUID, ...]:
    return tuple(from_global_id(v, kind, field)[0] for v in values)


@strawberry.type
class WorkshopMutations:
    @strawberry.mutation(description="Propose a workshop or another gathering (kind): topic, organisers, partners, "
                                     "host, format, capacity; optionally within a project.")
    async def propose_workshop(self, info: Info, input: ProposeWorkshopInput) -> ProposeWorkshopResult:
        return await _on_workshop(info, input, lambda: commands.ProposeWorkshop(
            title=input.title, topic=input.topic, description=input.description,
            network_ids=_ids(input.network_ids, "Network", "networkIds"),
            partner_city_ids=_ids(input.partner_city_ids, "City", "partnerCityIds"),
            host_city_id=_city_id(input.host_city_id, "hostCityId"), format=input.format.value, venue=input.venue,
            meeting_link=input.meeting_link, length_days=input.length_days, capacity=input.capacity,
            kind=input.kind.value,
            project_id=from_global_id(input.project_id, "Project", "projectId")[0] if input.project_id else None))

    @strawberry.mutation(description="Open a date poll among the partner cities with candidate date ranges.")
    async def open_date_poll(self, info: Info, input: OpenDatePollInput) -> OpenDatePollResult:
        return await _on_workshop(info, input, lambda: commands.OpenDatePoll(
            _workshop_id(input.workshop_id), tuple((c.start_date, c.end_date) for c in input.candidates)))

    @strawberry.mutation(description="A partner city answers the date poll: yes, if need be, or no per candidate.")
    async def answer_date_poll(self, info: Info, input: AnswerDatePollInput) -> AnswerDatePollResult:
        return await _on_workshop(info, input, lambda: commands.AnswerDatePoll(
            _workshop_id(input.workshop_id), _city_id(input.city_id),
            tuple((a.candidate, a.answer.value) for a in input.answers)))

    @strawberry.mutation(description="Close the poll and schedule the workshop on the chosen candidate.")
    async def close_date_poll(self, info: Info, input: CloseDatePollInput) -> CloseDatePollResult:
        return await _on_workshop(info, input, lambda: commands.CloseDatePoll(
            _workshop_id(input.workshop_id), input.candidate))

    @strawberry.mutation(description="Schedule a proposed workshop on given dates (without a poll).")
    async def schedule_workshop(self, info: Info, input: ScheduleWorkshopInput) -> ScheduleWorkshopResult:
        return await _on_workshop(info, input, lambda: commands.ScheduleWorkshop(
            _workshop_id(input.workshop_id), input.start_date, input.end_date))

    @strawberry.mutation(description="Move a scheduled workshop to new dates, with a reason; its agenda moves along.")
    async def reschedule_workshop(self, info: Info, input: RescheduleWorkshopInput) -> RescheduleWorkshopResult:
        return await _on_workshop(info, input, lambda: commands.RescheduleWorkshop(
            _workshop_id(input.workshop_id), input.start_date, input.end_date, input.reason))

    @strawberry.mutation(description="Cancel a workshop, with a reason.")
    async def cancel_workshop(self, info: Info, input: CancelWorkshopInput) -> CancelWorkshopResult:
        return await _on_workshop(info, input, lambda: commands.CancelWorkshop(
            _workshop_id(input.workshop_id), input.reason))

    @strawberry.mutation(description="Confirm a scheduled workshop.")
    async def confirm_workshop(self, info: Info, input: ConfirmWorkshopInput) -> ConfirmWorkshopResult:
        return await _on_workshop(info, input, lambda: commands.ConfirmWorkshop(_workshop_id(input.workshop_id)))

    @strawberry.mutation(description="Record that the workshop was held: attendance, outcome summary, key findings.")
    async def mark_workshop_held(self, info: Info, input: MarkWorkshopHeldInput) -> MarkWorkshopHeldResult:
        return await _on_workshop(info, input, lambda: commands.MarkWorkshopHeld(
            _workshop_id(input.workshop_id), input.attendance, input.outcome_summary, tuple(input.key_findings)))

    @strawberry.mutation(description="Add an agenda session within the workshop days.")
    async def add_session(self, info: Info, input: AddSessionInput) -> AddSessionResult:
        async def answer(o: Outcome) -> SessionPayload:
            wid = _workshop_id(input.workshop_id)
            workshop = await _workshop(info, wid)
            rows = await maybe(info.context.load.workshops.sessions.load(str(wid))) or []
            row = next((s for s in rows if s.id == str(o.id)), None)
            session = Session.from_row(row, workshop.time_zone) if row is not None and workshop else None
            return SessionPayload(**committed(o, input, to_global_id("Session", wid, o.id)), session=session,
                                  workshop=workshop)

        return await dispatch(info, input, lambda: commands.AddSession(
            _workshop_id(input.workshop_id), title=input.title, starts_at=input.starts_at, ends_at=input.ends_at,
            moderator=input.moderator, kind=input.kind.value, room=input.room), answer)

    @strawberry.mutation(description="Remove an agenda session.")
    async def remove_session(self, info: Info, input: RemoveSessionInput) -> RemoveSessionResult:
        return await _on_workshop(info, input, lambda: commands.RemoveSession(
            *from_global_id(input.session_id, "Session", "sessionId", parts=2)))

    @strawberry.mutation(description="Register a delegate of a partner city; past capacity they join the waitlist.")
    async def register_delegate(self, info: Info, input: RegisterDelegateInput) -> RegisterDelegateResult:
        async def answer(o: Outcome) -> RegistrationPayload:
            wid = _workshop_id(input.workshop_id)
            rows = await maybe(info.context.load.workshops.registrations.load(str(wid))) or []
            row = next((r for r in rows if r.id == str(o.id)), None)  # carries its waitlist position
            return RegistrationPayload(**committed(o, input, to_global_id("Registration", wid, o.id)),
                                       registration=Registration.from_row(row) if row is not None else None,
                                       workshop=_workshop(info, wid))

        return await dispatch(info, input, lambda: commands.RegisterDelegate(
            _workshop_id(input.workshop_id), _city_id(input.city_id), input.name, input.email,
            input.function.value), answer)

    @strawberry.mutation(description="Withdraw a registration; the first in line on the waitlist moves up.")
    async def withdraw_registration(self, info: Info, input: WithdrawRegistrationInput) -> WithdrawRegistrationResult:
        return await _on_workshop(info, input, lambda: commands.WithdrawRegistration(
            *from_global_id(input.registration_id, "Registration", "registrationId", parts=2)))

    @strawberry.mutation(description="Change the capacity; below the registered count, say what happens to the excess.")
    async def set_workshop_capacity(self, info: Info, input: SetWorkshopCapacityInput) -> SetWorkshopCapacityResult:
        return await _on_workshop(info, input, lambda: commands.SetWorkshopCapacity(
            _workshop_id(input.workshop_id), input.capacity, input.excess.value))

    @strawberry.mutation(description="Limit how many places one city may take (null removes the limit).")
    async def set_city_quota(self, info: Info, input: SetCityQuotaInput) -> SetCityQuotaResult:
        return await _on_workshop(info, input, lambda: commands.SetCityQuota(
            _workshop_id(input.workshop_id), _city_id(input.city_id), input.quota))
