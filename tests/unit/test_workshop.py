"""Workshop rules, without any database."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from citynet.domain.errors import (
    AlreadyRegistered,
    CapacityBelowRegistered,
    InvalidInput,
    InvalidTransition,
    NotAPartner,
    RegistrationClosed,
    SessionOverlap,
)
from citynet.domain.workshop import Workshop
from citynet.domain.workshop_values import RegistrationStatus, clean_email

HOST, PARTNER, OUTSIDER = uuid4(), uuid4(), uuid4()
VIENNA = ZoneInfo("Europe/Vienna")
TODAY = date(2026, 1, 1)  # the domain is given "today"; before every date used here


def workshop(capacity: int = 3, **kw) -> Workshop:  # type: ignore[no-untyped-def]
    return Workshop.propose(
        title="Crisis management in case of energy shortages", topic="energy shortage", network_ids=[uuid4()],
        partner_city_ids=[PARTNER], host_city_id=HOST, time_zone="Europe/Vienna", venue="City Hall",
        capacity=capacity, **kw,
    )


def scheduled(capacity: int = 3) -> Workshop:
    w = workshop(capacity)
    w.schedule(date(2026, 3, 28), date(2026, 3, 30), today=TODAY)  # across the switch to summer time on 29 March
    return w


def statuses(w: Workshop) -> list[str]:
    return [r.status.value for r in sorted(w.registrations.values(), key=lambda r: r.arrival)]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [(date(2026, 3, 30), date(2026, 3, 28), "before the start"), (date(2026, 3, 28), date(2026, 3, 31), "4 day(s)")],
)
def test_dates_must_fit_the_planned_length(start: date, end: date, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        workshop().schedule(start, end, today=TODAY)
    assert message in raised.value.message and raised.value.field == "endDate"


def test_poll_answers_come_from_partners_and_closing_schedules() -> None:
    w = workshop()
    w.open_poll([(date(2026, 5, 5), date(2026, 5, 7)), (date(2026, 6, 2), date(2026, 6, 4))], today=TODAY)
    w.answer_poll(PARTNER, {0: "if_need_be", 1: "yes"})
    w.answer_poll(HOST, {0: "no", 1: "yes"})
    with pytest.raises(NotAPartner):
        w.answer_poll(OUTSIDER, {0: "yes"})
    with pytest.raises(InvalidInput):
        w.answer_poll(PARTNER, {5: "yes"})
    w.close_poll(1, today=TODAY)
    assert w.status.value == "scheduled" and w.dates is not None and w.dates.start == date(2026, 6, 2)
    assert w.poll is not None and w.poll.closed and w.poll.answers[HOST][0].value == "no"


def test_registrations_fill_places_then_wait_in_arrival_order_and_move_up() -> None:
    w = scheduled(capacity=2)
    regs = [w.register(person_id=uuid4(), city_id=PARTNER, function="police", today=TODAY) for _ in range(4)]
    assert statuses(w) == ["registered", "registered", "waitlisted", "waitlisted"]
    w.withdraw(regs[0].id)
    assert statuses(w) == ["withdrawn", "registered", "registered", "waitlisted"]
    assert [type(e).__name__ for e in w.collect_events()][-2:] == ["RegistrationWithdrawn", "RegistrationPromoted"]


def test_city_quota_sends_extra_delegates_of_that_city_to_the_waitlist() -> None:
    w = scheduled(capacity=3)
    w.set_city_quota(PARTNER, 1)
    w.register(person_id=uuid4(), city_id=PARTNER, function="police", today=TODAY)
    w.register(person_id=uuid4(), city_id=PARTNER, function="police", today=TODAY)
    w.register(person_id=uuid4(), city_id=HOST, function="volunteer", today=TODAY)
    assert statuses(w) == ["registered", "waitlisted", "registered"]
    w.set_city_quota(PARTNER, None)
    assert statuses(w) == ["registered", "registered", "registered"]


def test_lowering_capacity_needs_a_decision_about_the_excess() -> None:
    w = scheduled(capacity=3)
    for _ in range(3):
        w.register(person_id=uuid4(), city_id=PARTNER, function="police", today=TODAY)
    with pytest.raises(CapacityBelowRegistered):
        w.set_capacity(2)
    w.set_capacity(2, "move_to_waitlist")
    assert statuses(w) == ["registered", "registered", "waitlisted"]
    w.set_capacity(3)
    assert statuses(w) == ["registered"] * 3


def test_registration_rules() -> None:
    w = scheduled()
    person = uuid4()
    w.register(person_id=person, city_id=PARTNER, function="police", today=TODAY)
    with pytest.raises(AlreadyRegistered):
        w.register(person_id=person, city_id=PARTNER, function="police", today=TODAY)
    with pytest.raises(NotAPartner):
        w.register(person_id=uuid4(), city_id=OUTSIDER, function="police", today=TODAY)
    with pytest.raises(InvalidInput):
        w.register(person_id=uuid4(), city_id=PARTNER, function="astronaut", today=TODAY)
    w.cancel("storm")
    with pytest.raises(RegistrationClosed):
        w.register(person_id=uuid4(), city_id=PARTNER, function="police", today=TODAY)
    with pytest.raises(RegistrationClosed):
        workshop().register(person_id=uuid4(), city_id=PARTNER, function="police", today=TODAY)  # no dates yet


@pytest.mark.parametrize("email", ["", "no-at-sign", "two@@example.org", "a b@example.org", "x@localhost"])
def test_invalid_emails(email: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        clean_email(email)
    assert raised.value.field == "email"


def test_lifecycle_transitions() -> None:
    w = scheduled()
    with pytest.raises(InvalidTransition):
        w.schedule(date(2026, 4, 1), date(2026, 4, 3), today=TODAY)
    w.confirm()
    w.reschedule(date(2026, 4, 1), date(2026, 4, 3), "host city election", today=TODAY)
    assert (w.status.value, w.sequence) == ("scheduled", 1)
    w.mark_held(3, "Good exchange", ["one", " "], today=date(2026, 4, 3))
    with pytest.raises(InvalidTransition):
        w.cancel("too late")
    future = scheduled()
    with pytest.raises(InvalidInput):
        future.mark_held(3, "not yet", [], today=date(2026, 1, 1))


def test_sessions_keep_local_time_across_dst_and_rooms_do_not_overlap() -> None:
    w = scheduled()
    first = w.add_session(title="Opening", starts_at=datetime(2026, 3, 28, 9, tzinfo=VIENNA),
                          ends_at=datetime(2026, 3, 28, 10, tzinfo=VIENNA), room="Hall")
    last = w.add_session(title="Exercise", starts_at=datetime(2026, 3, 30, 9, tzinfo=VIENNA),
                         ends_at=datetime(2026, 3, 30, 12, tzinfo=VIENNA), room="Hall")
    assert w.sessions[first].starts_at == datetime(2026, 3, 28, 8, tzinfo=timezone.utc)  # +01:00
    assert w.sessions[last].starts_at == datetime(2026, 3, 30, 7, tzinfo=timezone.utc)  # +02:00
    with pytest.raises(SessionOverlap) as raised:
        w.add_session(title="Clash", starts_at=datetime(2026, 3, 30, 11, tzinfo=VIENNA),
                      ends_at=datetime(2026, 3, 30, 13, tzinfo=VIENNA), room="hall")
    assert raised.value.session_id == last
    w.add_session(title="Parallel", starts_at=datetime(2026, 3, 30, 11, tzinfo=VIENNA),
                  ends_at=datetime(2026, 3, 30, 13, tzinfo=VIENNA), room="Track B")
    for bad in [
        dict(starts_at=datetime(2026, 3, 27, 9, tzinfo=VIENNA), ends_at=datetime(2026, 3, 27, 10, tzinfo=VIENNA)),
        dict(starts_at=datetime(2026, 3, 28, 10, tzinfo=VIENNA), ends_at=datetime(2026, 3, 28, 9, tzinfo=VIENNA)),
        dict(starts_at=datetime(2026, 3, 28, 9), ends_at=datetime(2026, 3, 28, 10)),  # naive
    ]:
        with pytest.raises(InvalidInput):
            w.add_session(title="Bad", **bad)
    # Moving the workshop a week later moves the agenda, keeping 09:00 local.
    w.reschedule(date(2026, 4, 4), date(2026, 4, 6), "venue unavailable", today=TODAY)
    assert w.sessions[first].starts_at.astimezone(VIENNA).hour == 9
    assert w.sessions[first].starts_at.astimezone(VIENNA).date() == date(2026, 3, 28) + timedelta(days=7)


def test_proposal_rules() -> None:
    with pytest.raises(InvalidInput) as raised:
        workshop(format="online")
    assert raised.value.field == "meetingLink"
    with pytest.raises(InvalidInput):
        workshop(length_days=0)
    with pytest.raises(InvalidInput):
        Workshop.propose(title="x", topic="y", network_ids=[], partner_city_ids=[], host_city_id=HOST,
                         time_zone="Europe/Vienna", venue="v", capacity=3)
    assert RegistrationStatus.WAITLISTED.value == "waitlisted"


def test_workshops_proposed_before_kinds_read_as_workshops() -> None:
    """Workshop.Proposed v1 (no kind) is upcast to v2 with kind WORKSHOP (decision 015)."""
    import json
    from dataclasses import replace
    from uuid import uuid4

    from eventsourcing.application import Application

    from citynet.domain.workshop_values import GatheringKind

    app = Application()
    w = Workshop.propose(title="Old", topic="x", network_ids=[uuid4()], partner_city_ids=[], host_city_id=uuid4(),
                         time_zone="Europe/Berlin", venue="Hall", capacity=3, kind="conference")
    stored = app.mapper.to_stored_event(w.collect_events()[0])
    state = json.loads(stored.state)
    del state["kind"]
    state.pop("class_version", None)
    old = replace(stored, state=json.dumps(state).encode())
    assert app.mapper.to_domain_event(old).mutate(None).kind is GatheringKind.WORKSHOP
    assert app.mapper.to_domain_event(stored).mutate(None).kind is GatheringKind.CONFERENCE
