"""Commands on workshops: proposing, agreeing dates, scheduling, agenda, registrations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from citynet.domain.errors import (
    AlreadyRegistered,
    CapacityBelowRegistered,
    DateConflict,
    InvalidProjectTransition,
    InvalidTransition,
    NotAPartner,
    NotFound,
    RegistrationClosed,
    SessionOverlap,
)
from citynet.services.commands.base import Command, handles, new_id
from citynet.services.errors import Conflict

if TYPE_CHECKING:
    from citynet.services.application import Recorded
    from citynet.services.runtime import Citynet


@dataclass(frozen=True)
class ProposeWorkshop(Command):
    # Within a project: Conflict (the project's other writers may collide), InvalidProjectTransition (a closed
    # or cancelled project takes no new gathering).
    raises = (NotFound, InvalidProjectTransition, Conflict)
    title: str
    topic: str
    network_ids: tuple[UUID, ...]
    partner_city_ids: tuple[UUID, ...]
    host_city_id: UUID
    capacity: int
    description: str = ""
    format: str = "in_person"
    venue: str = ""
    meeting_link: str = ""
    length_days: int = 3
    workshop_id: UUID = new_id()
    kind: str = "workshop"
    project_id: UUID | None = None

    def result_id(self) -> UUID | None:
        return self.workshop_id


@dataclass(frozen=True)
class OpenDatePoll(Command):
    raises = (NotFound, InvalidTransition, Conflict)
    workshop_id: UUID
    candidates: tuple[tuple[date, date], ...]


@dataclass(frozen=True)
class AnswerDatePoll(Command):
    raises = (NotFound, InvalidTransition, NotAPartner, Conflict)
    workshop_id: UUID
    city_id: UUID
    answers: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class CloseDatePoll(Command):
    raises = (NotFound, InvalidTransition, DateConflict, Conflict)
    workshop_id: UUID
    candidate: int


@dataclass(frozen=True)
class ScheduleWorkshop(Command):
    raises = (NotFound, InvalidTransition, DateConflict, Conflict)
    workshop_id: UUID
    start_date: date
    end_date: date


@dataclass(frozen=True)
class RescheduleWorkshop(Command):
    raises = (NotFound, InvalidTransition, DateConflict, Conflict)
    workshop_id: UUID
    start_date: date
    end_date: date
    reason: str


@dataclass(frozen=True)
class CancelWorkshop(Command):
    raises = (NotFound, InvalidTransition, Conflict)
    workshop_id: UUID
    reason: str


@dataclass(frozen=True)
class ConfirmWorkshop(Command):
    raises = (NotFound, InvalidTransition, Conflict)
    workshop_id: UUID


@dataclass(frozen=True)
class MarkWorkshopHeld(Command):
    raises = (NotFound, InvalidTransition, Conflict)
    workshop_id: UUID
    attendance: int
    outcome_summary: str
    key_findings: tuple[str, ...] = ()


@dataclass(frozen=True)
class AddSession(Command):
    raises = (NotFound, InvalidTransition, SessionOverlap, Conflict)
    workshop_id: UUID
    title: str
    starts_at: datetime
    ends_at: datetime
    moderator: str = ""
    kind: str = "talk"
    room: str = ""
    session_id: UUID = new_id()

    def result_id(self) -> UUID | None:
        return self.session_id


@dataclass(frozen=True)
class RemoveSession(Command):
    raises = (NotFound, InvalidTransition, Conflict)  # InvalidTransition: held or cancelled
    workshop_id: UUID
    session_id: UUID


@dataclass(frozen=True)
class RegisterDelegate(Command):
    raises = (NotFound, RegistrationClosed, NotAPartner, AlreadyRegistered, DateConflict, Conflict)
    workshop_id: UUID
    city_id: UUID
    name: str
    email: str
    function: str
    registration_id: UUID = new_id()

    def result_id(self) -> UUID | None:
        return self.registration_id


@dataclass(frozen=True)
class WithdrawRegistration(Command):
    raises = (NotFound, RegistrationClosed, Conflict)
    workshop_id: UUID
    registration_id: UUID


@dataclass(frozen=True)
class SetWorkshopCapacity(Command):
    raises = (NotFound, InvalidTransition, CapacityBelowRegistered, Conflict)
    workshop_id: UUID
    capacity: int
    excess: str = "refuse"


@dataclass(frozen=True)
class SetCityQuota(Command):
    raises = (NotFound, InvalidTransition, NotAPartner, Conflict)
    workshop_id: UUID
    city_id: UUID
    quota: int | None


@handles(ProposeWorkshop)
def propose_workshop(c: Citynet, cmd: ProposeWorkshop) -> Recorded:
    return c.execute(lambda app: app.propose_workshop(
        title=cmd.title, topic=cmd.topic, description=cmd.description, network_ids=list(cmd.network_ids),
        partner_city_ids=list(cmd.partner_city_ids), host_city_id=cmd.host_city_id, format=cmd.format,
        venue=cmd.venue, meeting_link=cmd.meeting_link, length_days=cmd.length_days, capacity=cmd.capacity,
        workshop_id=cmd.workshop_id, kind=cmd.kind, project_id=cmd.project_id))


@handles(OpenDatePoll)
def open_date_poll(c: Citynet, cmd: OpenDatePoll) -> Recorded:
    return c.execute(lambda app: app.open_date_poll(cmd.workshop_id, [tuple(r) for r in cmd.candidates]))


@handles(AnswerDatePoll)
def answer_date_poll(c: Citynet, cmd: AnswerDatePoll) -> Recorded:
    return c.execute(lambda app: app.answer_date_poll(cmd.workshop_id, cmd.city_id, dict(cmd.answers)))


@handles(CloseDatePoll)
def close_date_poll(c: Citynet, cmd: CloseDatePoll) -> Recorded:
    return c.execute(lambda app: app.close_date_poll(cmd.workshop_id, cmd.candidate))


@handles(ScheduleWorkshop)
def schedule_workshop(c: Citynet, cmd: ScheduleWorkshop) -> Recorded:
    return c.execute(lambda app: app.schedule_workshop(cmd.workshop_id, cmd.start_date, cmd.end_date))


@handles(RescheduleWorkshop)
def reschedule_workshop(c: Citynet, cmd: RescheduleWorkshop) -> Recorded:
    return c.execute(lambda app: app.reschedule_workshop(cmd.workshop_id, cmd.start_date, cmd.end_date, cmd.reason))


@handles(CancelWorkshop)
def cancel_workshop(c: Citynet, cmd: CancelWorkshop) -> Recorded:
    return c.execute(lambda app: app.cancel_workshop(cmd.workshop_id, cmd.reason))


@handles(ConfirmWorkshop)
def confirm_workshop(c: Citynet, cmd: ConfirmWorkshop) -> Recorded:
    return c.execute(lambda app: app.confirm_workshop(cmd.workshop_id))


@handles(MarkWorkshopHeld)
def mark_workshop_held(c: Citynet, cmd: MarkWorkshopHeld) -> Recorded:
    # "Today" is the host city's date: the application takes it from the service layer's clock.
    return c.execute(lambda app: app.mark_workshop_held(cmd.workshop_id, cmd.attendance, cmd.outcome_summary,
                                                        list(cmd.key_findings)))


@handles(AddSession)
def add_session(c: Citynet, cmd: AddSession) -> Recorded:
    return c.execute(lambda app: app.add_session(
        cmd.workshop_id, title=cmd.title, starts_at=cmd.starts_at, ends_at=cmd.ends_at, moderator=cmd.moderator,
        kind=cmd.kind, room=cmd.room, session_id=cmd.session_id))


@handles(RemoveSession)
def remove_session(c: Citynet, cmd: RemoveSession) -> Recorded:
    return c.execute(lambda app: app.remove_session(cmd.workshop_id, cmd.session_id))


@handles(RegisterDelegate)
def register_delegate(c: Citynet, cmd: RegisterDelegate) -> Recorded:
    return c.register_delegate(cmd.workshop_id, cmd.city_id, cmd.name, cmd.email, cmd.function,
                               registration_id=cmd.registration_id)


@handles(WithdrawRegistration)
def withdraw_registration(c: Citynet, cmd: WithdrawRegistration) -> Recorded:
    return c.execute(lambda app: app.withdraw_registration(cmd.workshop_id, cmd.registration_id))


@handles(SetWorkshopCapacity)
def set_workshop_capacity(c: Citynet, cmd: SetWorkshopCapacity) -> Recorded:
    return c.execute(lambda app: app.set_workshop_capacity(cmd.workshop_id, cmd.capacity, cmd.excess))


@handles(SetCityQuota)
def set_city_quota(c: Citynet, cmd: SetCityQuota) -> Recorded:
    return c.execute(lambda app: app.set_city_quota(cmd.workshop_id, cmd.city_id, cmd.quota))
