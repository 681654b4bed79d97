"""Closed sets and value objects of workshops: formats, statuses, polls, agenda, registrations."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from citynet.domain.errors import InvalidInput
from citynet.domain.values import clean_text

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class WorkshopFormat(str, enum.Enum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"

    @property
    def has_venue(self) -> bool:
        return self is not WorkshopFormat.ONLINE


class GatheringKind(str, enum.Enum):
    """What kind of gathering a workshop record is; all share one lifecycle, registration and calendar."""

    WORKSHOP = "workshop"
    CONFERENCE = "conference"
    TRAINING = "training"
    STUDY_TRIP = "study_trip"
    WEEK_OF_EVENTS = "week_of_events"


class WorkshopStatus(str, enum.Enum):
    PROPOSED = "proposed"
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    HELD = "held"
    CANCELLED = "cancelled"


class PollAnswer(str, enum.Enum):
    YES = "yes"
    IF_NEED_BE = "if_need_be"
    NO = "no"


class DelegateFunction(str, enum.Enum):
    FIREFIGHTER = "firefighter"
    POLICE = "police"
    CRISIS_MANAGEMENT_SPECIALIST = "crisis_management_specialist"
    NGO_WORKER = "ngo_worker"
    VOLUNTEER = "volunteer"
    LOCAL_POLITICIAN = "local_politician"
    OTHER = "other"


class SessionKind(str, enum.Enum):
    TALK = "talk"
    EXERCISE = "exercise"
    SITE_VISIT = "site_visit"
    BREAK = "break"


class RegistrationStatus(str, enum.Enum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"


class ExcessPolicy(str, enum.Enum):
    """What happens to registrations above a lowered capacity."""

    REFUSE = "refuse"
    MOVE_TO_WAITLIST = "move_to_waitlist"


@dataclass
class DateRange:
    start: date
    end: date

    def overlaps(self, other: DateRange) -> bool:
        return self.start <= other.end and other.start <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def check_range(start: date, end: date, length_days: int, field_prefix: str = "") -> DateRange:
    if end < start:
        raise InvalidInput(f"{field_prefix}endDate", f"{end.isoformat()} is before the start {start.isoformat()}")
    span = DateRange(start, end)
    if span.days != length_days:
        raise InvalidInput(
            f"{field_prefix}endDate",
            f"{start.isoformat()}..{end.isoformat()} is {span.days} day(s); the workshop is planned for {length_days}",
        )
    return span


@dataclass
class Poll:
    candidates: list[DateRange]
    # city id -> candidate index -> answer
    answers: dict[UUID, dict[int, PollAnswer]] = field(default_factory=dict)
    closed: bool = False
    chosen: int | None = None


@dataclass
class Session:
    id: UUID
    title: str
    starts_at: datetime  # aware, UTC
    ends_at: datetime
    moderator: str
    kind: SessionKind
    room: str


@dataclass
class Registration:
    id: UUID
    person_id: UUID
    city_id: UUID
    function: DelegateFunction
    status: RegistrationStatus
    arrival: int  # order of arrival; the waitlist is served in this order


def clean_email(value: str) -> str:
    email = clean_text("email", value, max_length=1000)
    if len(email) > 254 or not EMAIL.match(email):
        raise InvalidInput("email", f"{value!r} is not an e-mail address")
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"
