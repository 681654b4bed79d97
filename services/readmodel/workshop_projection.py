"""The workshops projection: workshops, polls, agenda, registrations, quotas."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.engine import Connection

from citynet.domain.workshop import Workshop, shift_local_days
from citynet.services.readmodel.tables import (
    city_quotas,
    poll_answers,
    poll_candidates,
    registrations,
    sessions,
    workshop_networks,
    workshop_partners,
    workshops,
)

UNDATED = "9999-12-31"


def iso_utc(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).isoformat()


def _set(conn: Connection, e: Any, **values: Any) -> None:
    conn.execute(update(workshops).where(workshops.c.id == str(e.originator_id)).values(**values))


def _proposed(conn: Connection, e: Workshop.Proposed, position: int) -> None:
    wid = str(e.originator_id)
    conn.execute(insert(workshops).values(
        id=wid, title=e.title, topic=e.topic, description=e.description, status="proposed", format=e.format,
        venue=e.venue, meeting_link=e.meeting_link, length_days=e.length_days, capacity=e.capacity,
        time_zone=e.time_zone, host_city_id=str(e.host_city_id), start_date=None, end_date=None, sequence=0,
        poll_status="none", status_reason="", attendance=None, outcome_summary=None, key_findings=None,
        proposed_position=position, sort_key=UNDATED,
    ))
    for network_id in e.network_ids:
        conn.execute(insert(workshop_networks).values(workshop_id=wid, network_id=str(network_id)))
    for city_id in e.partner_city_ids:
        conn.execute(insert(workshop_partners).values(workshop_id=wid, city_id=str(city_id)))


def _poll_opened(conn: Connection, e: Any, position: int) -> None:
    wid = str(e.originator_id)
    conn.execute(delete(poll_answers).where(poll_answers.c.workshop_id == wid))
    conn.execute(delete(poll_candidates).where(poll_candidates.c.workshop_id == wid))
    for i, (start, end) in enumerate(e.candidates):
        conn.execute(insert(poll_candidates).values(workshop_id=wid, candidate=i, start_date=start, end_date=end, chosen=0))
    _set(conn, e, poll_status="open")


def _poll_answered(conn: Connection, e: Any, position: int) -> None:
    wid, city = str(e.originator_id), str(e.city_id)
    conn.execute(delete(poll_answers).where(and_(poll_answers.c.workshop_id == wid, poll_answers.c.city_id == city)))
    for candidate, answer in e.answers:
        conn.execute(insert(poll_answers).values(workshop_id=wid, candidate=int(candidate), city_id=city,
                                                 answer=answer, answered_position=position))


def _poll_closed(conn: Connection, e: Any, position: int) -> None:
    conn.execute(update(poll_candidates).where(and_(
        poll_candidates.c.workshop_id == str(e.originator_id), poll_candidates.c.candidate == e.chosen,
    )).values(chosen=1))
    _set(conn, e, poll_status="closed")


def _dated(conn: Connection, e: Any, start: date, end: date, **values: Any) -> None:
    _set(conn, e, start_date=start, end_date=end, sort_key=start.isoformat(), **values)


def _scheduled(conn: Connection, e: Any, position: int) -> None:
    _dated(conn, e, e.start, e.end, status="scheduled")


def _rescheduled(conn: Connection, e: Any, position: int) -> None:
    row = conn.execute(select(workshops.c.sequence, workshops.c.time_zone).where(
        workshops.c.id == str(e.originator_id))).one()
    _dated(conn, e, e.start, e.end, status="scheduled", sequence=row.sequence + 1, status_reason=e.reason)
    zone = ZoneInfo(row.time_zone)
    for s in conn.execute(select(sessions).where(sessions.c.workshop_id == str(e.originator_id))).all():
        conn.execute(update(sessions).where(sessions.c.id == s.id).values(
            starts_at=iso_utc(shift_local_days(datetime.fromisoformat(s.starts_at), e.shift_days, zone)),
            ends_at=iso_utc(shift_local_days(datetime.fromisoformat(s.ends_at), e.shift_days, zone)),
        ))


def _cancelled(conn: Connection, e: Any, position: int) -> None:
    row = conn.execute(select(workshops.c.sequence).where(workshops.c.id == str(e.originator_id))).one()
    _set(conn, e, status="cancelled", sequence=row.sequence + 1, status_reason=e.reason)


def _confirmed(conn: Connection, e: Any, position: int) -> None:
    _set(conn, e, status="confirmed")


def _held(conn: Connection, e: Any, position: int) -> None:
    _set(conn, e, status="held", attendance=e.attendance, outcome_summary=e.summary,
         key_findings=json.dumps(list(e.key_findings), ensure_ascii=False))


def _session_added(conn: Connection, e: Any, position: int) -> None:
    conn.execute(insert(sessions).values(
        id=str(e.session_id), workshop_id=str(e.originator_id), title=e.title, starts_at=iso_utc(e.starts_at),
        ends_at=iso_utc(e.ends_at), moderator=e.moderator, kind=e.kind, room=e.room,
    ))


def _session_removed(conn: Connection, e: Any, position: int) -> None:
    conn.execute(delete(sessions).where(sessions.c.id == str(e.session_id)))


def _registered(conn: Connection, e: Any, position: int) -> None:
    wid = str(e.originator_id)
    arrival = conn.execute(select(registrations.c.arrival).where(registrations.c.workshop_id == wid)
                           .order_by(registrations.c.arrival.desc()).limit(1)).scalar()
    conn.execute(insert(registrations).values(
        id=str(e.registration_id), workshop_id=wid, person_id=str(e.person_id), city_id=str(e.city_id),
        function=e.function, status=e.status, arrival=(arrival or 0) + 1, registered_at=iso_utc(e.timestamp),
    ))


def _registration_status(status: str) -> Callable[[Connection, Any, int], None]:
    def handle(conn: Connection, e: Any, position: int) -> None:
        conn.execute(update(registrations).where(registrations.c.id == str(e.registration_id)).values(status=status))

    return handle


def _capacity_changed(conn: Connection, e: Any, position: int) -> None:
    _set(conn, e, capacity=e.capacity)
    for rid in e.moved_to_waitlist:
        conn.execute(update(registrations).where(registrations.c.id == str(rid)).values(status="waitlisted"))


def _quota_set(conn: Connection, e: Any, position: int) -> None:
    key = and_(city_quotas.c.workshop_id == str(e.originator_id), city_quotas.c.city_id == str(e.city_id))
    conn.execute(delete(city_quotas).where(key))
    if e.quota is not None:
        conn.execute(insert(city_quotas).values(workshop_id=str(e.originator_id), city_id=str(e.city_id), quota=e.quota))


class WorkshopProjection:
    name = "workshops"

    handlers: dict[type, Callable[[Connection, Any, int], None]] = {
        Workshop.Proposed: _proposed,
        Workshop.DatePollOpened: _poll_opened,
        Workshop.DatePollAnswered: _poll_answered,
        Workshop.DatePollClosed: _poll_closed,
        Workshop.Scheduled: _scheduled,
        Workshop.Rescheduled: _rescheduled,
        Workshop.Cancelled: _cancelled,
        Workshop.Confirmed: _confirmed,
        Workshop.Held: _held,
        Workshop.SessionAdded: _session_added,
        Workshop.SessionRemoved: _session_removed,
        Workshop.DelegateRegistered: _registered,
        Workshop.RegistrationWithdrawn: _registration_status("withdrawn"),
        Workshop.RegistrationPromoted: _registration_status("registered"),
        Workshop.CapacityChanged: _capacity_changed,
        Workshop.CityQuotaSet: _quota_set,
    }

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(conn, event, position)
