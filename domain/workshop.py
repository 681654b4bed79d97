"""A workshop (or another gathering: conference, training, study trip, week of events): proposed by one or more networks, hosted by a partner city,
dated by a poll among the partners, given an agenda, attended by delegates.

Times: a workshop lives in its host city's IANA zone. Its days are calendar
dates in that zone; agenda sessions are stored as aware UTC instants and
checked against the host's local days, so a workshop spanning a DST change
keeps the right local times on each day.

Registrations fill places in order of arrival; past capacity (or a city's
quota) they join a first-in-first-out waitlist, promoted automatically when a
place frees. Promotions are events of their own, so history shows why a
delegate got a place. The waitlist is kept in arrival order as events apply,
so promoting walks it once instead of re-sorting every registration.

"Today" is always given by the caller (the service layer's clock, taken in
the host city's zone): the domain never reads a clock.
"""

from __future__ import annotations

import bisect
from datetime import date, datetime, time, timedelta, timezone
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

from citynet.domain.errors import (
    AlreadyRegistered,
    CapacityBelowRegistered,
    InvalidInput,
    InvalidTransition,
    NotAPartner,
    NotFound,
    RegistrationClosed,
    SessionOverlap,
)
from citynet.domain.values import clean_enum, clean_name, clean_note, clean_text
from citynet.domain.workshop_values import (
    DateRange,
    DelegateFunction,
    ExcessPolicy,
    GatheringKind,
    Poll,
    PollAnswer,
    Registration,
    RegistrationStatus,
    Session,
    SessionKind,
    WorkshopFormat,
    WorkshopStatus,
    check_range,
)

S = WorkshopStatus
DATED = (S.SCHEDULED, S.CONFIRMED)
MAX_LENGTH_DAYS = 14
MAX_CAPACITY = 10_000


def _aware(field: str, value: datetime) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(field, "must be an ISO 8601 date-time with an offset, e.g. 2026-03-28T09:00:00+01:00")
    return value.astimezone(timezone.utc)


class Workshop(Aggregate):
    class Proposed(Aggregate.Created):
        """Version 2 added ``kind`` (decision 015); stored version-1 events are upcast as workshops."""

        title: str
        topic: str
        description: str
        network_ids: list[UUID]
        partner_city_ids: list[UUID]
        host_city_id: UUID
        time_zone: str
        format: str
        venue: str
        meeting_link: str
        length_days: int
        capacity: int
        kind: str
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:  # type: ignore[type-arg]
            state["kind"] = GatheringKind.WORKSHOP.value

    @event(Proposed)
    def __init__(
        self,
        id: UUID,  # noqa: A002 - given by propose(); eventsourcing keeps it out of the event body
        title: str,
        topic: str,
        description: str,
        network_ids: list[UUID],
        partner_city_ids: list[UUID],
        host_city_id: UUID,
        time_zone: str,
        format: str,
        venue: str,
        meeting_link: str,
        length_days: int,
        capacity: int,
        kind: str = "workshop",
    ) -> None:
        self.kind = GatheringKind(kind)
        self.title = title
        self.topic = topic
        self.description = description
        self.network_ids = list(network_ids)
        self.partner_city_ids = list(partner_city_ids)
        self.host_city_id = host_city_id
        self.time_zone = time_zone
        self.format = WorkshopFormat(format)
        self.venue = venue
        self.meeting_link = meeting_link
        self.length_days = length_days
        self.capacity = capacity
        self.status = S.PROPOSED
        self.dates: DateRange | None = None
        self.sequence = 0  # RFC 5545 SEQUENCE: bumped on reschedule and cancel
        self.poll: Poll | None = None
        self.sessions: dict[UUID, Session] = {}
        self.registrations: dict[UUID, Registration] = {}
        self.quotas: dict[UUID, int] = {}
        self.arrivals = 0
        self._init_counts()

    def _init_counts(self) -> None:
        # Derived from the registrations; maintained by the event bodies.
        self.registered_count = 0
        self.city_registered: dict[UUID, int] = {}
        self.waitlist_order: list[tuple[int, UUID]] = []  # (arrival, registration id), ascending

    # -- proposal ---------------------------------------------------------------

    @classmethod
    def propose(
        cls,
        *,
        title: str,
        topic: str,
        description: str = "",
        network_ids: list[UUID],
        partner_city_ids: list[UUID],
        host_city_id: UUID,
        time_zone: str,
        format: WorkshopFormat | str = WorkshopFormat.IN_PERSON,
        venue: str = "",
        meeting_link: str = "",
        length_days: int = 3,
        capacity: int,
        workshop_id: UUID | None = None,
        kind: GatheringKind | str = GatheringKind.WORKSHOP,
    ) -> Workshop:
        gathering = clean_enum(GatheringKind, "kind", kind)
        fmt = clean_enum(WorkshopFormat, "format", format)
        if not network_ids:
            raise InvalidInput("networkIds", "name at least one organising network")
        if not 1 <= length_days <= MAX_LENGTH_DAYS:
            raise InvalidInput("lengthDays", f"must be between 1 and {MAX_LENGTH_DAYS}")
        if not 1 <= capacity <= MAX_CAPACITY:
            raise InvalidInput("capacity", f"must be between 1 and {MAX_CAPACITY}")
        venue, meeting_link = clean_text("venue", venue, max_length=500), clean_text("meetingLink", meeting_link, max_length=2000)
        if fmt.has_venue and not venue:
            raise InvalidInput("venue", f"an {fmt.value.replace('_', ' ')} workshop needs a venue")
        if fmt is not WorkshopFormat.IN_PERSON and not meeting_link.startswith(("https://", "http://")):
            raise InvalidInput("meetingLink", "an online or hybrid workshop needs an http(s) meeting link")
        partners = list(dict.fromkeys([host_city_id, *partner_city_ids]))  # the host is a partner
        return cls(
            id=workshop_id or uuid4(),
            title=clean_name("title", title),
            topic=clean_name("topic", topic),
            description=clean_note("description", description),
            network_ids=list(dict.fromkeys(network_ids)),
            partner_city_ids=partners,
            host_city_id=host_city_id,
            time_zone=time_zone,
            format=fmt.value,
            venue=venue,
            meeting_link=meeting_link,
            length_days=length_days,
            capacity=capacity,
            kind=gathering.value,
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def is_physical(self) -> bool:
        return self.format.has_venue

    def _require(self, allowed: tuple[WorkshopStatus, ...], action: str) -> None:
        if self.status not in allowed:
            raise InvalidTransition(self.status.value, action)

    def _require_partner(self, city_id: UUID, field: str = "cityId") -> None:
        if city_id not in self.partner_city_ids:
            raise NotAPartner(type(self).__name__, self.id, city_id, field)

    # -- agreeing a date -----------------------------------------------------------

    def open_poll(self, candidates: list[tuple[date, date]], *, today: date) -> None:
        self._require((S.PROPOSED,), "polled for dates")
        if self.poll is not None and not self.poll.closed:
            raise InvalidTransition("polling", "polled again before the open poll is closed")
        if not candidates:
            raise InvalidInput("candidates", "give at least one candidate date range")
        ranges = [check_range(s, e, self.length_days, f"candidates[{i}].") for i, (s, e) in enumerate(candidates)]
        seen: set[tuple[date, date]] = set()
        for i, span in enumerate(ranges):
            _not_past(f"candidates[{i}].startDate", span.start, today)
            if (span.start, span.end) in seen:
                raise InvalidInput(f"candidates[{i}].startDate", f"{span.start.isoformat()} is already a candidate")
            seen.add((span.start, span.end))
        self._poll_opened(candidates=[(r.start, r.end) for r in ranges])

    def _require_open_poll(self, action: str) -> Poll:
        # A poll belongs to a proposed workshop: once it is cancelled (or dated
        # some other way) nobody may answer or close it.
        if self.poll is None or self.poll.closed or self.status is not S.PROPOSED:
            raise InvalidTransition(self.status.value, f"{action}: no date poll is open")
        return self.poll

    def answer_poll(self, city_id: UUID, answers: dict[int, PollAnswer | str]) -> None:
        self._require_open_poll("answered")
        assert self.poll is not None
        self._require_partner(city_id)
        clean: dict[int, str] = {}
        for index, answer in answers.items():
            if not 0 <= index < len(self.poll.candidates):
                raise InvalidInput("answers.candidate", f"there is no candidate {index}")
            clean[index] = clean_enum(PollAnswer, "answers.answer", answer).value
        if not clean:
            raise InvalidInput("answers", "answer at least one candidate")
        self._poll_answered(city_id=city_id, answers=[[i, a] for i, a in sorted(clean.items())])

    def close_poll(self, chosen: int, *, today: date) -> None:
        poll = self._require_open_poll("closed")
        if not 0 <= chosen < len(poll.candidates):
            raise InvalidInput("candidate", f"there is no candidate {chosen}")
        picked = poll.candidates[chosen]
        _not_past("candidate", picked.start, today)
        self._poll_closed(chosen=chosen)
        self._scheduled(start=picked.start, end=picked.end)

    # -- lifecycle -------------------------------------------------------------------

    def schedule(self, start: date, end: date, *, today: date) -> None:
        self._require((S.PROPOSED,), "scheduled (reschedule it instead)")
        if self.poll is not None and not self.poll.closed:
            raise InvalidTransition("polling", "scheduled while its date poll is open: close the poll")
        span = check_range(start, end, self.length_days)
        _not_past("startDate", span.start, today)
        self._scheduled(start=span.start, end=span.end)

    def reschedule(self, start: date, end: date, reason: str, *, today: date) -> None:
        self._require(DATED, "rescheduled")
        assert self.dates is not None
        if self.dates.start <= today:
            raise InvalidTransition("started", "rescheduled: it has already begun (cancel it or mark it held)")
        reason = clean_note("reason", reason, 2000, required=True)
        span = check_range(start, end, self.length_days)
        _not_past("startDate", span.start, today)
        if span == self.dates:
            raise InvalidInput("startDate", "the workshop already takes place on these dates")
        self._rescheduled(start=span.start, end=span.end, reason=reason, shift_days=(span.start - self.dates.start).days)

    def cancel(self, reason: str) -> None:
        self._require((S.PROPOSED, S.SCHEDULED, S.CONFIRMED), "cancelled")
        reason = clean_note("reason", reason, 2000, required=True)
        if self.poll is not None and not self.poll.closed:
            self._poll_closed(chosen=None)  # nobody may answer or close it any more
        self._cancelled(reason=reason)

    def confirm(self) -> None:
        self._require((S.SCHEDULED,), "confirmed")
        self._confirmed()

    def mark_held(self, attendance: int, summary: str, key_findings: list[str], *, today: date) -> None:
        self._require(DATED, "marked held")
        assert self.dates is not None
        # From its last day on: before that it is still going on (or has not begun).
        if today < self.dates.end:
            raise InvalidInput(
                "attendance", f"the workshop is not over yet (its last day is {self.dates.end.isoformat()})"
            )
        if attendance < 0:
            raise InvalidInput("attendance", "must not be negative")
        if attendance > self.capacity:
            raise InvalidInput("attendance", f"{attendance} is more than the capacity {self.capacity}")
        cleaned = [clean_note(f"keyFindings[{i}]", f, 2000) for i, f in enumerate(key_findings)]
        findings = [f for f in cleaned if f]
        self._held(attendance=attendance, summary=clean_note("outcomeSummary", summary, 10_000, required=True),
                   key_findings=findings)

    # -- agenda --------------------------------------------------------------------------

    def local_day_bounds(self, day: date) -> tuple[datetime, datetime]:
        start = datetime.combine(day, time.min, self.zone)
        end = datetime.combine(day + timedelta(days=1), time.min, self.zone)
        return start, end

    def add_session(
        self, *, session_id: UUID | None = None, title: str, starts_at: datetime, ends_at: datetime,
        moderator: str = "", kind: SessionKind | str = SessionKind.TALK, room: str = "",
    ) -> UUID:
        self._require(DATED, "given an agenda")
        assert self.dates is not None
        start, end = _aware("startsAt", starts_at), _aware("endsAt", ends_at)
        if end <= start:
            raise InvalidInput("endsAt", "must be after startsAt")
        first, _ = self.local_day_bounds(self.dates.start)
        _, last = self.local_day_bounds(self.dates.end)
        if start < first or end > last:
            raise InvalidInput(
                "startsAt", f"the session must lie within the workshop days {self.dates.start}..{self.dates.end} ({self.time_zone})"
            )
        room = clean_text("room", room, max_length=200)
        if room:
            for other in self.sessions.values():
                if other.room.casefold() == room.casefold() and other.starts_at < end and start < other.ends_at:
                    raise SessionOverlap(self.id, other.id, room)
        new_id = session_id or uuid4()
        self._session_added(
            session_id=new_id, title=clean_name("title", title), starts_at=start, ends_at=end,
            moderator=clean_text("moderator", moderator, max_length=200), kind=clean_enum(SessionKind, "kind", kind).value, room=room,
        )
        return new_id

    def remove_session(self, session_id: UUID) -> None:
        self._require(DATED, "given an agenda")
        if session_id not in self.sessions:
            raise NotFound("Session", session_id, "sessionId")
        self._session_removed(session_id=session_id)

    # -- registration ------------------------------------------------------------------

    def active_registration_of(self, person_id: UUID) -> Registration | None:
        for r in self.registrations.values():
            if r.person_id == person_id and r.status is not RegistrationStatus.WITHDRAWN:
                return r
        return None

    @property
    def registered(self) -> list[Registration]:
        return sorted((r for r in self.registrations.values() if r.status is RegistrationStatus.REGISTERED),
                      key=lambda r: r.arrival)

    @property
    def waitlist(self) -> list[Registration]:
        return [self.registrations[rid] for _, rid in self.waitlist_order]

    def _city_count(self, city_id: UUID) -> int:
        return self.city_registered.get(city_id, 0)

    def _has_place_for(self, city_id: UUID) -> bool:
        quota = self.quotas.get(city_id)
        return self.registered_count < self.capacity and (quota is None or self._city_count(city_id) < quota)

    def is_over(self, today: date) -> bool:
        return self.dates is not None and self.dates.end < today

    def register(self, *, registration_id: UUID | None = None, person_id: UUID, city_id: UUID,
                 function: DelegateFunction | str, today: date) -> Registration:
        if self.status not in DATED:
            raise RegistrationClosed(self.status.value)
        if self.is_over(today):
            raise RegistrationClosed("over")
        self._require_partner(city_id)
        fn = clean_enum(DelegateFunction, "function", function)
        existing = self.active_registration_of(person_id)
        if existing is not None:
            raise AlreadyRegistered(self.id, existing.id)
        status = RegistrationStatus.REGISTERED if self._has_place_for(city_id) else RegistrationStatus.WAITLISTED
        new_id = registration_id or uuid4()
        self._registered(registration_id=new_id, person_id=person_id, city_id=city_id, function=fn.value,
                         status=status.value)
        return self.registrations[new_id]

    def withdraw(self, registration_id: UUID) -> None:
        registration = self.registrations.get(registration_id)
        if registration is None or registration.status is RegistrationStatus.WITHDRAWN:
            raise NotFound("Registration", registration_id, "registrationId")
        if self.status not in DATED:
            raise RegistrationClosed(self.status.value)
        self._withdrawn(registration_id=registration_id)
        self._promote()

    def set_capacity(self, capacity: int, excess: ExcessPolicy | str = ExcessPolicy.REFUSE) -> None:
        self._require((S.PROPOSED, *DATED), "resized")
        if not 1 <= capacity <= MAX_CAPACITY:
            raise InvalidInput("capacity", f"must be between 1 and {MAX_CAPACITY}")
        policy = clean_enum(ExcessPolicy, "excess", excess)
        registered = self.registered
        if capacity < len(registered) and policy is ExcessPolicy.REFUSE:
            raise CapacityBelowRegistered(capacity, len(registered))
        if capacity == self.capacity:
            raise InvalidInput("capacity", f"the capacity is already {capacity}")
        # The latest arrivals give up their places; by arrival order they stand
        # at the head of the waitlist.
        moved = [r.id for r in registered[capacity:]]
        self._capacity_changed(capacity=capacity, moved_to_waitlist=moved)
        self._promote()

    def set_city_quota(self, city_id: UUID, quota: int | None) -> None:
        self._require((S.PROPOSED, *DATED), "given quotas")
        self._require_partner(city_id)
        if quota is not None and not 0 <= quota <= MAX_CAPACITY:
            raise InvalidInput("quota", f"must be between 0 and {MAX_CAPACITY}, or null for none")
        if self.quotas.get(city_id) == quota:
            raise InvalidInput("quota", "the quota is already set to that")
        self._quota_set(city_id=city_id, quota=quota)
        self._promote()

    def _promote(self) -> None:
        # One pass in arrival order; a city at its quota is skipped, not blocking.
        for _, rid in list(self.waitlist_order):
            if self.registered_count >= self.capacity:
                return
            if self._has_place_for(self.registrations[rid].city_id):
                self._promoted(registration_id=rid)

    # -- events ------------------------------------------------------------------------------

    @event("DatePollOpened")
    def _poll_opened(self, candidates: list[tuple[date, date]]) -> None:
        self.poll = Poll(candidates=[DateRange(s, e) for s, e in candidates])

    @event("DatePollAnswered")
    def _poll_answered(self, city_id: UUID, answers: list[list]) -> None:  # type: ignore[type-arg]
        assert self.poll is not None
        self.poll.answers[city_id] = {int(i): PollAnswer(a) for i, a in answers}

    @event("DatePollClosed")
    def _poll_closed(self, chosen: int | None) -> None:
        assert self.poll is not None
        self.poll.closed, self.poll.chosen = True, chosen

    @event("Scheduled")
    def _scheduled(self, start: date, end: date) -> None:
        self.dates = DateRange(start, end)
        self.status = S.SCHEDULED

    @event("Rescheduled")
    def _rescheduled(self, start: date, end: date, reason: str, shift_days: int) -> None:
        self.dates = DateRange(start, end)
        self.status = S.SCHEDULED
        self.sequence += 1
        for s in self.sessions.values():
            s.starts_at = shift_local_days(s.starts_at, shift_days, self.zone)
            s.ends_at = shift_local_days(s.ends_at, shift_days, self.zone)

    @event("Cancelled")
    def _cancelled(self, reason: str) -> None:
        self.status = S.CANCELLED
        self.sequence += 1

    @event("Confirmed")
    def _confirmed(self) -> None:
        self.status = S.CONFIRMED

    @event("Held")
    def _held(self, attendance: int, summary: str, key_findings: list[str]) -> None:
        self.status = S.HELD
        self.outcome_summary = summary  # the source of its translations

    @event("SessionAdded")
    def _session_added(self, session_id: UUID, title: str, starts_at: datetime, ends_at: datetime,
                       moderator: str, kind: str, room: str) -> None:
        self.sessions[session_id] = Session(session_id, title, starts_at, ends_at, moderator, SessionKind(kind), room)

    @event("SessionRemoved")
    def _session_removed(self, session_id: UUID) -> None:
        del self.sessions[session_id]

    @event("DelegateRegistered")
    def _registered(self, registration_id: UUID, person_id: UUID, city_id: UUID, function: str, status: str) -> None:
        self.arrivals += 1
        registration = Registration(
            registration_id, person_id, city_id, DelegateFunction(function), RegistrationStatus.WITHDRAWN, self.arrivals
        )
        self.registrations[registration_id] = registration
        self._set_status(registration, RegistrationStatus(status))

    def _set_status(self, registration: Registration, status: RegistrationStatus) -> None:
        """Change one registration's status, keeping the counts and the waitlist order."""
        if not hasattr(self, "registered_count"):  # pragma: no cover - state from before the counts existed
            self._init_counts()
        old = registration.status
        if old is RegistrationStatus.REGISTERED:
            self.registered_count -= 1
            self.city_registered[registration.city_id] -= 1
        elif old is RegistrationStatus.WAITLISTED:
            self.waitlist_order.remove((registration.arrival, registration.id))
        registration.status = status
        if status is RegistrationStatus.REGISTERED:
            self.registered_count += 1
            self.city_registered[registration.city_id] = self.city_registered.get(registration.city_id, 0) + 1
        elif status is RegistrationStatus.WAITLISTED:
            bisect.insort(self.waitlist_order, (registration.arrival, registration.id))

    @event("RegistrationWithdrawn")
    def _withdrawn(self, registration_id: UUID) -> None:
        self._set_status(self.registrations[registration_id], RegistrationStatus.WITHDRAWN)

    @event("RegistrationPromoted")
    def _promoted(self, registration_id: UUID) -> None:
        self._set_status(self.registrations[registration_id], RegistrationStatus.REGISTERED)

    @event("CapacityChanged")
    def _capacity_changed(self, capacity: int, moved_to_waitlist: list[UUID]) -> None:
        self.capacity = capacity
        for rid in moved_to_waitlist:
            self._set_status(self.registrations[rid], RegistrationStatus.WAITLISTED)

    @event("CityQuotaSet")
    def _quota_set(self, city_id: UUID, quota: int | None) -> None:
        if quota is None:
            self.quotas.pop(city_id, None)
        else:
            self.quotas[city_id] = quota


def _not_past(field: str, start: date, today: date) -> None:
    if start < today:
        raise InvalidInput(field, f"{start.isoformat()} is in the past (today is {today.isoformat()} in the host city)")


def shift_local_days(instant: datetime, days: int, zone: ZoneInfo) -> datetime:
    """Move an instant by whole local days, keeping its wall-clock time in the host zone."""
    local = instant.astimezone(zone).replace(tzinfo=None) + timedelta(days=days)
    return local.replace(tzinfo=zone).astimezone(timezone.utc)
