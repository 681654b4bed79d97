"""RFC 5545 calendar feeds of workshops, per workshop, city and network.

Stable UIDs (the workshop id), SEQUENCE from the workshop (bumped on each
reschedule and cancellation) and STATUS:CANCELLED let a calendar client
update the entry it already has. Times carry the host zone (TZID) and the
feed embeds a VTIMEZONE for each zone used (infra/vtimezone.py: RRULEs or one
onset per observance, read alike by icalendar, ical.js and node-ical).

A workshop's event runs from its first to its last agenda session; without
an agenda, from 09:00 on the first day to 17:00 on the last, host time. With
``?sessions=true`` each agenda session is an event of its own as well
(RELATED-TO its workshop); a workshop without an agenda gets one event per
day, 09:00-17:00, instead.

DTSTAMP is the workshop's last change, so an unchanged feed is byte for byte
the same: its ETag is a hash of the body, Last-Modified the newest change of
anything it shows; If-None-Match / If-Modified-Since answer 304. HEAD answers
the headers only. What a caller sees (services/feeds.py) depends on its
bearer token, if any: anonymous callers see published workshops only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, time, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from litestar import HttpMethod, Request, Response, Router, route
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotFoundException

from citynet.domain.language import language_tag
from citynet.domain.errors import InvalidInput, NotFound
from citynet.graphql.ids import from_global_id
from citynet.infra.auth import TokenConfig, actor_from_header
from citynet.infra.vtimezone import vtimezone
from citynet.services import feeds
from citynet.services.attribution import Actor
from citynet.services.clock import Clock
from citynet.services.feeds import Feed
from citynet.services.readmodel.queries import ReadModel
from citynet.services.readmodel.workshop_queries import SessionRow, WorkshopRow
from citynet.services.runtime import Citynet

DEFAULT_START, DEFAULT_END = time(9, 0), time(17, 0)
ICS = "text/calendar"  # Litestar adds "; charset=utf-8" to text/* itself
STATUS = {"cancelled": "CANCELLED", "confirmed": "CONFIRMED", "held": "CONFIRMED"}
NEVER = datetime(1970, 1, 1, tzinfo=timezone.utc)
FeedBuilder = Callable[[ReadModel, Actor, Clock, str, list[str]], Awaitable[Feed]]


def _span(w: WorkshopRow, sessions: list[SessionRow]) -> tuple[datetime, datetime]:
    assert w.start_date is not None and w.end_date is not None
    zone = ZoneInfo(w.time_zone)
    if sessions:
        start = min(datetime.fromisoformat(s.starts_at) for s in sessions).astimezone(zone)
        end = max(datetime.fromisoformat(s.ends_at) for s in sessions).astimezone(zone)
        return start, end
    return datetime.combine(w.start_date, DEFAULT_START, zone), datetime.combine(w.end_date, DEFAULT_END, zone)


def _common(event: Event, w: WorkshopRow, feed: Feed, stamp: datetime) -> None:
    event.add("dtstamp", stamp)
    link = (w.meeting_link or "") if feed.show_meeting_links else ""
    if w.venue or link:
        event.add("location", w.venue or link)
    if link:
        event.add("url", link)
    event.add("sequence", w.sequence)
    event.add("status", STATUS.get(w.status, "TENTATIVE"))


def _workshop_event(w: WorkshopRow, feed: Feed, stamp: datetime) -> Event:
    start, end = _span(w, feed.sessions.get(w.id, []))
    event = Event()
    event.add("uid", f"workshop-{w.id}@citynet")
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", w.title)
    event.add("description", f"{w.topic}\n\n{w.description}".strip())
    event.add("categories", [w.kind.upper()])  # WORKSHOP, CONFERENCE, WEEK_OF_EVENTS ... (decision 015)
    _common(event, w, feed, stamp)
    return event


def _session_event(w: WorkshopRow, s: SessionRow, feed: Feed, stamp: datetime) -> Event:
    zone = ZoneInfo(w.time_zone)
    event = Event()
    event.add("uid", f"session-{s.id}@citynet")
    event.add("dtstart", datetime.fromisoformat(s.starts_at).astimezone(zone))
    event.add("dtend", datetime.fromisoformat(s.ends_at).astimezone(zone))
    event.add("summary", f"{w.title}: {s.title}")
    details = [f"Moderator: {s.moderator}" if s.moderator else "", f"Room: {s.room}" if s.room else ""]
    if any(details):
        event.add("description", "\n".join(d for d in details if d))
    event.add("related-to", f"workshop-{w.id}@citynet")
    _common(event, w, feed, stamp)
    return event


def _day_events(w: WorkshopRow, feed: Feed, stamp: datetime) -> list[Event]:
    """Without an agenda, one event per workshop day at the default hours, so no block spans the nights."""
    assert w.start_date is not None and w.end_date is not None
    zone, out = ZoneInfo(w.time_zone), []
    for offset in range((w.end_date - w.start_date).days + 1):
        day = w.start_date + timedelta(days=offset)
        event = Event()
        event.add("uid", f"day-{w.id}-{day.isoformat()}@citynet")
        event.add("dtstart", datetime.combine(day, DEFAULT_START, zone))
        event.add("dtend", datetime.combine(day, DEFAULT_END, zone))
        event.add("summary", f"{w.title} (day {offset + 1})")
        event.add("related-to", f"workshop-{w.id}@citynet")
        _common(event, w, feed, stamp)
        out.append(event)
    return out


def render(feed: Feed, with_sessions: bool) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//citynet//workshops//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", feed.name)
    years: dict[str, set[int]] = {}
    for w in feed.workshops:
        stamp = feed.changed.get(w.id) or feed.last_modified or NEVER
        stamp = stamp.astimezone(timezone.utc).replace(microsecond=0)
        events = [_workshop_event(w, feed, stamp)]
        if with_sessions:
            agenda = feed.sessions.get(w.id, [])
            events += [_session_event(w, s, feed, stamp) for s in agenda] if agenda else _day_events(w, feed, stamp)
        for event in events:
            calendar.add_component(event)
            for name in ("dtstart", "dtend"):
                years.setdefault(w.time_zone, set()).add(event.decoded(name).year)
    # A year either side: DST onsets before the first and after the last event are covered.
    for key, used in sorted(years.items()):
        calendar.add_component(vtimezone(key, min(used) - 1, max(used) + 1))
    return calendar.to_ical()


def _not_modified(headers: Mapping[str, str], etag: str, last_modified: datetime | None) -> bool:
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:  # it overrides If-Modified-Since (RFC 9110 13.2.2)
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = headers.get("if-modified-since")
    if since and last_modified is not None:
        try:
            moment = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if moment.tzinfo is None:
            return False
        return last_modified.replace(microsecond=0) <= moment
    return False


def respond(request: Request, feed: Feed) -> Response[bytes]:
    body = render(feed, with_sessions=request.query_params.get("sessions", "").lower() in ("true", "1", "yes"))
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    # The body depends on who asks: shared caches must keep one copy per token, and revalidate.
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Authorization"}
    if feed.last_modified is not None:
        headers["Last-Modified"] = format_datetime(feed.last_modified.astimezone(timezone.utc), usegmt=True)
    if _not_modified(request.headers, etag, feed.last_modified):
        return Response(b"", status_code=304, headers=headers, media_type=ICS)
    if request.method == HttpMethod.HEAD:
        return Response(b"", headers={**headers, "Content-Length": str(len(body))}, media_type=ICS)
    return Response(body, headers=headers, media_type=ICS)


def _id(filename: str, kind: str) -> str:
    if not filename.endswith(".ics"):
        raise NotFoundException()
    try:
        return str(from_global_id(filename[: -len(".ics")], kind, "id")[0])
    except InvalidInput as e:
        raise HTTPException(status_code=400, detail=e.message) from None


def calendar_router(tokens: TokenConfig) -> Router:
    methods = [HttpMethod.GET, HttpMethod.HEAD]

    async def serve(request: Request, state: State, build: FeedBuilder, kind: str, filename: str) -> Response[bytes]:
        citynet: Citynet = state.citynet
        actor = actor_from_header(request.headers.get("authorization"), tokens)
        try:
            languages = [language_tag("lang", request.query_params["lang"])] if "lang" in request.query_params else []
        except InvalidInput as e:
            raise HTTPException(status_code=400, detail=e.message) from None
        try:
            feed = await build(citynet.reads, actor, citynet.clock, _id(filename, kind), languages)
        except NotFound:
            raise NotFoundException(detail=f"no such {kind.lower()}") from None
        return respond(request, feed)

    @route("/workshops/{filename:str}", http_method=methods)
    async def workshop_feed(filename: str, request: Request, state: State) -> Response[bytes]:
        return await serve(request, state, feeds.workshop_feed, "Workshop", filename)

    @route("/cities/{filename:str}", http_method=methods)
    async def city_feed(filename: str, request: Request, state: State) -> Response[bytes]:
        return await serve(request, state, feeds.city_feed, "City", filename)

    @route("/networks/{filename:str}", http_method=methods)
    async def network_feed(filename: str, request: Request, state: State) -> Response[bytes]:
        return await serve(request, state, feeds.network_feed, "Network", filename)

    return Router(path="/calendar", route_handlers=[workshop_feed, city_feed, network_feed])
