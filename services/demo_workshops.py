"""Demo workshops: the four three-day workshops of Connecting Resilient Cities (seed 002).

The topics, the partner cities (Rostock, Vienna, Liepāja, Ljubljana) and the
joint organisation by ICNCM and UBC come from the seed. Which city hosts which
topic, all dates, venues, capacities, the poll answers, the delegates (with
example.org-style addresses) and the outcome of the first workshop are
invented for the demo; each description says so.

The dates follow the clock: the demo is laid out as seen on 1 June 2026 and
moved by whole years so that, whenever it is loaded, the energy workshop is
over and held, and the other three lie ahead (the crisis-communication one
always on the three days that end with the switch to summer time). The
energy workshop's past is written with the clock set back to when it
happened, since the domain refuses to schedule into the past.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from citynet.domain.city import City
from citynet.domain.network import network_id_for
from citynet.services.clock import FixedClock, today_in
from citynet.services.runtime import Citynet

DEMO_NAMESPACE = UUID("9b8f7c1e-5a2d-4e3f-8c6b-1d0e2f3a4b5c")
DEMO_NOTE = (
    "Demo data: the topic, the partners and the joint ICNCM/UBC organisation come from the Connecting "
    "Resilient Cities project; the host city, dates, venue, capacity and participants are illustrative."
)


def _city(name: str, country: str) -> UUID:
    return City.create_id(name, country, "")


ROSTOCK, VIENNA = _city("Rostock", "DE"), _city("Vienna", "AT")
LIEPAJA, LJUBLJANA = _city("Liepāja", "LV"), _city("Ljubljana", "SI")
PARTNERS = [ROSTOCK, VIENNA, LIEPAJA, LJUBLJANA]


def workshop_id(title: str) -> UUID:
    return uuid5(DEMO_NAMESPACE, title)


def _last_sunday_of_march(year: int) -> date:
    day = date(year, 3, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _communication_start(year: int) -> date:
    return _last_sunday_of_march(year) - timedelta(days=2)


def demo_year_shift(today: date) -> int:
    """Whole years to add to the demo's 2026/2027 dates so that they keep their relation to ``today``:
    the smallest shift that leaves the crisis-communication workshop ahead."""
    shift = today.year - 2027
    while _communication_start(2027 + shift) <= today:
        shift += 1
    while _communication_start(2026 + shift) > today:
        shift -= 1
    return shift


def _day(shift: int, year: int, month: int, day: int) -> date:
    return date(year + shift, month, day)


@contextlib.contextmanager
def _clock_at(citynet: Citynet, day: date) -> Iterator[None]:
    """Write part of the demo's past as it happened: the application's clock reads noon UTC of ``day``."""
    saved = citynet.app.clock
    citynet.app.clock = FixedClock(datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc))
    try:
        yield
    finally:
        citynet.app.clock = saved


def _propose(citynet: Citynet, title: str, topic: str, host: UUID, venue: str, capacity: int) -> UUID:
    wid = workshop_id(title)
    citynet.execute(lambda app: app.propose_workshop(
        workshop_id=wid, title=title, topic=topic, description=DEMO_NOTE,
        network_ids=[network_id_for("ICNCM"), network_id_for("UBC")], partner_city_ids=PARTNERS,
        host_city_id=host, venue=venue, capacity=capacity,
    ))
    return wid


def _delegates(citynet: Citynet, wid: UUID, people: list[tuple[UUID, str, str, str]]) -> None:
    for city, name, email, function in people:
        citynet.register_delegate(wid, city, name, email, function)


def _energy(citynet: Citynet, shift: int) -> None:
    start, end = _day(shift, 2026, 3, 24), _day(shift, 2026, 3, 26)
    with _clock_at(citynet, start - timedelta(days=30)):
        wid = _propose(citynet, "Crisis management in case of energy shortages", "energy shortage", VIENNA,
                       "Vienna City Hall, Friedrich-Schmidt-Platz 1", 40)
        citynet.execute(lambda app: app.schedule_workshop(wid, start, end))
        citynet.execute(lambda app: app.confirm_workshop(wid))
        _delegates(citynet, wid, [
            (ROSTOCK, "Jonas Demo", "jonas.demo@rostock.example", "firefighter"),
            (VIENNA, "Eva Beispiel", "eva.beispiel@wien.example", "crisis_management_specialist"),
            (LJUBLJANA, "Maja Primer", "maja.primer@ljubljana.example", "police"),
        ])
    with _clock_at(citynet, end + timedelta(days=1)):
        citynet.execute(lambda app: app.mark_workshop_held(
            wid, 38, "Partners compared energy-shortage contingency plans and agreed to align load-shedding "
            "communication (demo data).",
            ["Keep a shared list of critical facilities with backup power (demo)",
             "Warn the population early through several channels (demo)"],
        ))


def _communication(citynet: Citynet, shift: int) -> None:
    wid = _propose(citynet, "Crisis communication with stakeholders: volunteers, population and media",
                   "crisis communication", LIEPAJA, "Liepāja Concert Hall Great Amber", 30)
    # The three days up to the switch to summer time (26-28 March 2027): each day keeps 09:00 local.
    first = _communication_start(2027 + shift)
    citynet.execute(lambda app: app.schedule_workshop(wid, first, first + timedelta(days=2)))
    citynet.execute(lambda app: app.confirm_workshop(wid))
    riga = ZoneInfo("Europe/Riga")
    for offset, title, kind, room in [
        (0, "Opening: who speaks to whom in a crisis", "talk", "Main hall"),
        (1, "Exercise: a storm warning with volunteers", "exercise", "Main hall"),
        (2, "Site visit: the city's alert centre", "site_visit", "Bus"),
    ]:
        day = first + timedelta(days=offset)
        citynet.execute(lambda app, day=day, title=title, kind=kind, room=room: app.add_session(
            wid, title=title, starts_at=datetime(day.year, day.month, day.day, 9, 0, tzinfo=riga),
            ends_at=datetime(day.year, day.month, day.day, 12, 30, tzinfo=riga), kind=kind, room=room,
            moderator="Demo Moderator"))


def _sheltering(citynet: Citynet, shift: int) -> None:
    wid = _propose(citynet, "Preparation for sheltering large groups of people", "sheltering", ROSTOCK,
                   "Rostock Town Hall", 5)
    citynet.execute(lambda app: app.open_date_poll(
        wid, [(_day(shift, 2027, 5, 18), _day(shift, 2027, 5, 20)), (_day(shift, 2027, 6, 8), _day(shift, 2027, 6, 10))]))
    for city, answers in [(ROSTOCK, {0: "yes", 1: "yes"}), (VIENNA, {0: "yes", 1: "no"}),
                          (LIEPAJA, {0: "if_need_be", 1: "yes"}), (LJUBLJANA, {0: "yes", 1: "if_need_be"})]:
        citynet.execute(lambda app, city=city, answers=answers: app.answer_date_poll(wid, city, answers))
    citynet.execute(lambda app: app.close_date_poll(wid, 0))
    _delegates(citynet, wid, [
        (ROSTOCK, "Lena Muster", "lena.muster@rostock.example", "crisis_management_specialist"),
        (VIENNA, "Paul Beispiel", "paul.beispiel@wien.example", "firefighter"),
        (LIEPAJA, "Ilze Paraugs", "ilze.paraugs@liepaja.example", "volunteer"),
        (LJUBLJANA, "Luka Primer", "luka.primer@ljubljana.example", "ngo_worker"),
        (ROSTOCK, "Tom Demo", "tom.demo@rostock.example", "police"),
        (VIENNA, "Sara Beispiel", "sara.beispiel@wien.example", "local_politician"),
        (LIEPAJA, "Janis Paraugs", "janis.paraugs@liepaja.example", "firefighter"),
    ])  # capacity 5: the last two wait


def _warning(citynet: Citynet, shift: int) -> None:
    wid = _propose(citynet, "Digital and analogue warning procedures in an urban environment", "warning procedures",
                   LJUBLJANA, "Ljubljana City Hall", 30)
    citynet.execute(lambda app: app.open_date_poll(
        wid, [(_day(shift, 2027, 9, 14), _day(shift, 2027, 9, 16)), (_day(shift, 2027, 10, 5), _day(shift, 2027, 10, 7))]))
    citynet.execute(lambda app: app.answer_date_poll(wid, LJUBLJANA, {0: "yes", 1: "yes"}))
    citynet.execute(lambda app: app.answer_date_poll(wid, ROSTOCK, {0: "no", 1: "yes"}))


DEMO_WORKSHOPS = [
    ("Crisis management in case of energy shortages", _energy),
    ("Crisis communication with stakeholders: volunteers, population and media", _communication),
    ("Preparation for sheltering large groups of people", _sheltering),
    ("Digital and analogue warning procedures in an urban environment", _warning),
]


def load_demo_workshops(citynet: Citynet) -> None:
    # The latest zone among the hosts decides; a day's difference at New Year is harmless.
    shift = demo_year_shift(today_in(citynet.app.clock, "Europe/Riga"))
    for title, build in DEMO_WORKSHOPS:
        if not citynet.app.exists(workshop_id(title)):
            build(citynet, shift)
