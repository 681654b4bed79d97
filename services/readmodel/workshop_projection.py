"""The workshops projection: workshops, polls, agenda, registrations, quotas."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from citynet.domain.workshop import Workshop, shift_local_days
from citynet.services.projections.batch import Batch
from citynet.services.projections.runner import Item
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
from citynet.services.readmodel.topics import topics_of

UNDATED = "9999-12-31"
ARRIVALS = "arrivals"  # memo: the last arrival number per workshop

Handler = Callable[[Batch, Any, int], None]


def iso_utc(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).isoformat()


def _set(b: Batch, e: Any, **values: Any) -> dict[str, Any] | None:
    return b[workshops].update((str(e.originator_id),), **values)


def _proposed(b: Batch, e: Workshop.Proposed, position: int) -> None:
    wid = str(e.originator_id)
    b[workshops].put(dict(
        id=wid, title=e.title, topic=e.topic, description=e.description, status="proposed", format=e.format,
        venue=e.venue, meeting_link=e.meeting_link, length_days=e.length_days, capacity=e.capacity,
        time_zone=e.time_zone, host_city_id=str(e.host_city_id), start_date=None, end_date=None, sequence=0,
        poll_status="none", status_reason="", attendance=None, outcome_summary=None, key_findings=None,
        proposed_position=position, sort_key=UNDATED, kind=e.kind,
    ))
    for network_id in e.network_ids:
        b[workshop_networks].put(dict(workshop_id=wid, network_id=str(network_id)))
    for city_id in e.partner_city_ids:
        b[workshop_partners].put(dict(workshop_id=wid, city_id=str(city_id)))


def _poll_opened(b: Batch, e: Any, position: int) -> None:
    wid = str(e.originator_id)
    for table in (poll_answers, poll_candidates):
        rows = b[table]
        for row in list(rows.where(workshop_id=wid)):
            rows.remove(rows.key_of(row))
    for i, (start, end) in enumerate(e.candidates):
        b[poll_candidates].put(dict(workshop_id=wid, candidate=i, start_date=start, end_date=end, chosen=0))
    _set(b, e, poll_status="open")


def _poll_answered(b: Batch, e: Any, position: int) -> None:
    wid, city = str(e.originator_id), str(e.city_id)
    answers = b[poll_answers]
    for row in list(answers.where(workshop_id=wid, city_id=city)):
        answers.remove(answers.key_of(row))
    for candidate, answer in e.answers:
        answers.put(dict(workshop_id=wid, candidate=int(candidate), city_id=city, answer=answer,
                         answered_position=position))


def _poll_closed(b: Batch, e: Any, position: int) -> None:
    if e.chosen is not None:  # None: closed by a cancellation, nothing chosen
        b[poll_candidates].update((str(e.originator_id), e.chosen), chosen=1)
    _set(b, e, poll_status="closed")


def _dated(b: Batch, e: Any, start: date, end: date, **values: Any) -> dict[str, Any] | None:
    return _set(b, e, start_date=start, end_date=end, sort_key=start.isoformat(), **values)


def _scheduled(b: Batch, e: Any, position: int) -> None:
    _dated(b, e, e.start, e.end, status="scheduled")


def _rescheduled(b: Batch, e: Any, position: int) -> None:
    row = b[workshops].get(str(e.originator_id))
    if row is None:
        return
    _dated(b, e, e.start, e.end, status="scheduled", sequence=row["sequence"] + 1, status_reason=e.reason)
    zone = ZoneInfo(row["time_zone"])
    for s in list(b[sessions].where(workshop_id=str(e.originator_id))):
        b[sessions].update((s["id"],),
                           starts_at=iso_utc(shift_local_days(datetime.fromisoformat(s["starts_at"]), e.shift_days, zone)),
                           ends_at=iso_utc(shift_local_days(datetime.fromisoformat(s["ends_at"]), e.shift_days, zone)))


def _cancelled(b: Batch, e: Any, position: int) -> None:
    row = b[workshops].get(str(e.originator_id))
    if row is not None:
        _set(b, e, status="cancelled", sequence=row["sequence"] + 1, status_reason=e.reason)


def _confirmed(b: Batch, e: Any, position: int) -> None:
    _set(b, e, status="confirmed")


def _held(b: Batch, e: Any, position: int) -> None:
    _set(b, e, status="held", attendance=e.attendance, outcome_summary=e.summary,
         key_findings=json.dumps(list(e.key_findings), ensure_ascii=False))


def _session_added(b: Batch, e: Any, position: int) -> None:
    b[sessions].put(dict(id=str(e.session_id), workshop_id=str(e.originator_id), title=e.title,
                         starts_at=iso_utc(e.starts_at), ends_at=iso_utc(e.ends_at), moderator=e.moderator,
                         kind=e.kind, room=e.room))


def _session_removed(b: Batch, e: Any, position: int) -> None:
    b[sessions].remove((str(e.session_id),))


def _registered(b: Batch, e: Any, position: int) -> None:
    wid = str(e.originator_id)
    arrivals = b.memo.setdefault(ARRIVALS, {})
    arrivals[wid] = arrivals.get(wid, 0) + 1
    b[registrations].put(dict(
        id=str(e.registration_id), workshop_id=wid, person_id=str(e.person_id), city_id=str(e.city_id),
        function=e.function, status=e.status, arrival=arrivals[wid], registered_at=iso_utc(e.timestamp),
    ))


def _registration_status(status: str) -> Handler:
    def handle(b: Batch, e: Any, position: int) -> None:
        b[registrations].update((str(e.registration_id),), status=status)

    return handle


def _capacity_changed(b: Batch, e: Any, position: int) -> None:
    _set(b, e, capacity=e.capacity)
    for rid in e.moved_to_waitlist:
        b[registrations].update((str(rid),), status="waitlisted")


def _quota_set(b: Batch, e: Any, position: int) -> None:
    key = (str(e.originator_id), str(e.city_id))
    b[city_quotas].remove(key)
    if e.quota is not None:
        b[city_quotas].put(dict(workshop_id=key[0], city_id=key[1], quota=e.quota))


# Events whose handlers read or change every row of a workshop in these tables.
_GROUPS: dict[type, tuple[Any, ...]] = {
    Workshop.DatePollOpened: (poll_candidates, poll_answers),
    Workshop.DatePollAnswered: (poll_answers,),
    Workshop.Rescheduled: (sessions,),
}


class WorkshopProjection:
    name = "workshops"
    raw = False
    tables = (workshops, workshop_networks, workshop_partners, poll_candidates, poll_answers, sessions, registrations,
              city_quotas)

    handlers: dict[type, Handler] = {
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
    topics = topics_of(handlers)

    def prepare(self, conn: Connection, b: Batch, items: Sequence[Item]) -> None:
        events = [i.event for i in items]
        b[workshops].load(conn, {(str(e.originator_id),) for e in events})
        for table in {t for e in events for t in _GROUPS.get(type(e), ())}:
            b[table].load_groups(conn, ("workshop_id",), {(str(e.originator_id),) for e in events
                                                          if table in _GROUPS.get(type(e), ())})
        b[poll_candidates].load(conn, {(str(e.originator_id), e.chosen) for e in events
                                       if isinstance(e, Workshop.DatePollClosed) and e.chosen is not None})
        b[registrations].load(conn, {(str(e.registration_id),) for e in events if hasattr(e, "registration_id")
                                     and not isinstance(e, Workshop.DelegateRegistered)})
        b[registrations].load(conn, {(str(r),) for e in events if isinstance(e, Workshop.CapacityChanged)
                                     for r in e.moved_to_waitlist})
        b[city_quotas].load(conn, {(str(e.originator_id), str(e.city_id)) for e in events
                                   if isinstance(e, Workshop.CityQuotaSet)})
        b[sessions].load(conn, {(str(e.session_id),) for e in events if isinstance(e, Workshop.SessionRemoved)})
        self._load_arrivals(conn, b, {str(e.originator_id) for e in events
                                      if isinstance(e, Workshop.DelegateRegistered)})

    def _load_arrivals(self, conn: Connection, b: Batch, workshop_ids: set[str]) -> None:
        arrivals = b.memo.setdefault(ARRIVALS, {})
        wanted = [w for w in workshop_ids if w not in arrivals]
        if not wanted or b.complete:
            return
        rows = conn.execute(select(registrations.c.workshop_id, func.max(registrations.c.arrival))
                            .where(registrations.c.workshop_id.in_(wanted)).group_by(registrations.c.workshop_id))
        arrivals.update({w: int(n) for w, n in rows})

    def apply(self, b: Batch, item: Item) -> None:
        handler = self.handlers.get(type(item.event))
        if handler is not None:
            handler(b, item.event, item.position)
