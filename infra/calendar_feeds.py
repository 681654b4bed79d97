"""RFC 5545 calendar feeds of workshops, per workshop, city and network.

Stable UIDs (the workshop id), SEQUENCE from the workshop (bumped on each
reschedule and cancellation) and STATUS:CANCELLED let a calendar client
update the entry it already has. Times carry the host zone (TZID) and the
feed embeds a VTIMEZONE for each zone used.

A workshop's event runs from its first to its last agenda session; without
an agenda, from 09:00 on the first day to 17:00 on the last, host time.
"""

from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from litestar import Response, Router, get
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotFoundException

from citynet.domain.errors import InvalidInput
from citynet.graphql.ids import from_global_id
from citynet.services.readmodel.workshop_queries import SessionRow, WorkshopRow
from citynet.services.runtime import Citynet

DEFAULT_START, DEFAULT_END = time(9, 0), time(17, 0)
ICS = "text/calendar; charset=utf-8"
STATUS = {"cancelled": "CANCELLED", "confirmed": "CONFIRMED", "held": "CONFIRMED"}


def _event(w: WorkshopRow, sessions: list[SessionRow], stamp: datetime) -> Event:
    assert w.start_date is not None and w.end_date is not None
    zone = ZoneInfo(w.time_zone)
    if sessions:
        start = min(datetime.fromisoformat(s.starts_at) for s in sessions).astimezone(zone)
        end = max(datetime.fromisoformat(s.ends_at) for s in sessions).astimezone(zone)
    else:
        start = datetime.combine(w.start_date, DEFAULT_START, zone)
        end = datetime.combine(w.end_date, DEFAULT_END, zone)
    event = Event()
    event.add("uid", f"workshop-{w.id}@citynet")
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", w.title)
    event.add("description", f"{w.topic}\n\n{w.description}".strip())
    if w.venue or w.meeting_link:
        event.add("location", w.venue or w.meeting_link)
    if w.meeting_link:
        event.add("url", w.meeting_link)
    event.add("sequence", w.sequence)
    event.add("status", STATUS.get(w.status, "TENTATIVE"))
    return event


async def _feed(citynet: Citynet, workshop_ids: list[str], name: str) -> Response[bytes]:
    reads = citynet.reads
    rows = await reads.workshops_by_id(workshop_ids)
    sessions = await reads.sessions_of_workshops(workshop_ids)
    calendar = Calendar()
    calendar.add("prodid", "-//citynet//workshops//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = datetime.now(timezone.utc).replace(microsecond=0)
    for wid in workshop_ids:
        row = rows.get(wid)
        if row is not None and row.start_date is not None:
            calendar.add_component(_event(row, sessions.get(wid, []), stamp))
    calendar.add_missing_timezones()
    return Response(calendar.to_ical(), media_type=ICS)


def _id(filename: str, kind: str) -> str:
    if not filename.endswith(".ics"):
        raise NotFoundException()
    try:
        return str(from_global_id(filename[: -len(".ics")], kind, "id")[0])
    except InvalidInput as e:
        raise HTTPException(status_code=400, detail=e.message) from None


@get("/workshops/{filename:str}")
async def workshop_feed(filename: str, state: State) -> Response[bytes]:
    citynet: Citynet = state.citynet
    wid = _id(filename, "Workshop")
    row = (await citynet.reads.workshops_by_id([wid])).get(wid)
    if row is None:
        raise NotFoundException(detail="no such workshop")
    return await _feed(citynet, [wid], row.title)


@get("/cities/{filename:str}")
async def city_feed(filename: str, state: State) -> Response[bytes]:
    citynet: Citynet = state.citynet
    cid = _id(filename, "City")
    city = (await citynet.reads.cities_by_id([cid])).get(cid)
    if city is None:
        raise NotFoundException(detail="no such city")
    ids = await citynet.reads.workshop_ids_for_feed(city_id=cid)
    return await _feed(citynet, ids, f"Workshops with {city.name}")


@get("/networks/{filename:str}")
async def network_feed(filename: str, state: State) -> Response[bytes]:
    citynet: Citynet = state.citynet
    nid = _id(filename, "Network")
    network = (await citynet.reads.networks_by_id([nid])).get(nid)
    if network is None:
        raise NotFoundException(detail="no such network")
    ids = await citynet.reads.workshop_ids_for_feed(network_id=nid)
    return await _feed(citynet, ids, f"{network.short_name} workshops")


calendar_router = Router(path="/calendar", route_handlers=[workshop_feed, city_feed, network_feed])
