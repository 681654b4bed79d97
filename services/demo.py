"""Demo data from the seed documents (shared/seeds).

Facts from the seeds: ICNCM since 2003 (Vienna a leading partner; Vienna,
Ljubljana and Paris among its capitals; Rostock a member since 2016); UBC
founded 1991 with eight commissions, Rostock a founding partner active in five
of them including the Safe Cities Commission, Liepāja its head; Efus working
with Nice, Liège and Turin in PACTESUR. Everything the seeds do not give
(exact days, other members, roles, commission assignments) is invented for
the demo and the descriptions say so. Nice is an Efus member in the demo (an
illustrative membership, so that Efus can own the plans and declaration Nice
takes part in); it is not stored as Efus's lead partner: no seed says so.
Organisations (services/demo_organisations.py), the Urban Agenda partnership's
Action 3 plan and the Declaration of Nice (services/demo_plans.py) come from
the seeds.

Loading is idempotent: ids are derived from names, a city or network that
already exists is left alone, and each network is written with all its
commissions and members in one atomic save.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from citynet.domain.city import City, CityName
from citynet.domain.errors import NotFound
from citynet.domain.network import Network, commission_id_for, network_id_for
from citynet.domain.values import MemberRole
from citynet.services.clock import shared_today
from citynet.services.demo_organisations import load_demo_organisations
from citynet.services.demo_plans import load_demo_plans
from citynet.services.demo_projects import load_demo_projects
from citynet.services.demo_translations import load_demo_translations
from citynet.services.demo_workshops import load_demo_workshops
from citynet.services.runtime import Citynet

log = logging.getLogger(__name__)

CITIES: list[tuple[str, str, str]] = [
    ("Rostock", "DE", "Europe/Berlin"),
    ("Vienna", "AT", "Europe/Vienna"),
    ("Ljubljana", "SI", "Europe/Ljubljana"),
    ("Liepāja", "LV", "Europe/Riga"),
    ("Paris", "FR", "Europe/Paris"),
    ("Gdańsk", "PL", "Europe/Warsaw"),
    ("Riga", "LV", "Europe/Riga"),
    ("Nice", "FR", "Europe/Paris"),
    ("Liège", "BE", "Europe/Brussels"),
    ("Turin", "IT", "Europe/Rome"),
    ("Madrid", "ES", "Europe/Madrid"),
    ("Lille", "FR", "Europe/Paris"),
    ("Essen", "DE", "Europe/Berlin"),
    ("Edinburgh", "GB", "Europe/London"),
]

UBC_COMMISSIONS = [
    "Cultural Cities Commission",
    "Gender Equal Cities Commission",
    "Inclusive and Healthy Cities Commission",
    "Planning Cities Commission",
    "Safe Cities Commission",
    "Smart and Prospering Cities Commission",
    "Sustainable Cities Commission",
    "Youthful Cities Commission",
]


@dataclass(frozen=True)
class Admission:
    city: str
    role: str
    since: date


@dataclass(frozen=True)
class DemoNetwork:
    name: str
    short_name: str
    founded_on: date
    description: str
    commissions: tuple[str, ...] = ()
    admissions: tuple[Admission, ...] = ()
    # (commission, city); the head is named after the members are assigned.
    commission_members: tuple[tuple[str, str], ...] = ()
    commission_heads: tuple[tuple[str, str], ...] = ()
    role_changes: tuple[tuple[str, str, date], ...] = ()
    departures: tuple[tuple[str, date], ...] = ()


NETWORKS: list[DemoNetwork] = [
    DemoNetwork(
        name="International City Network for Crisis Management",
        short_name="ICNCM",
        founded_on=date(2003, 1, 1),
        description=(
            "An alliance of European capital cities and regions exchanging knowledge and experience "
            "in crisis management; organises international crisis management conferences, study "
            "trips and trainings. Demo data: founded in 2003 (the day is illustrative); members "
            "other than Rostock (since 2016) and their dates are illustrative."
        ),
        admissions=(
            Admission("Vienna", "lead_partner", date(2003, 1, 1)),
            Admission("Ljubljana", "member", date(2003, 1, 1)),
            Admission("Paris", "member", date(2005, 6, 1)),
            Admission("Rostock", "member", date(2016, 1, 1)),
        ),
    ),
    DemoNetwork(
        name="Union of the Baltic Cities",
        short_name="UBC",
        founded_on=date(1991, 9, 20),
        description=(
            "A network of cities mobilising shared potential in the Baltic Sea Region, working "
            "through eight commissions including the Safe Cities Commission. Demo data: the day of "
            "founding, the members other than Rostock and Liepāja, all dates but Rostock's, and "
            "the commission assignments are illustrative."
        ),
        commissions=tuple(UBC_COMMISSIONS),
        admissions=(
            Admission("Rostock", "founding_member", date(1991, 9, 20)),
            Admission("Gdańsk", "founding_member", date(1991, 9, 20)),
            Admission("Riga", "member", date(1992, 5, 1)),
            Admission("Liepāja", "member", date(1993, 10, 1)),
        ),
        commission_members=(
            ("Safe Cities Commission", "Rostock"),
            ("Cultural Cities Commission", "Rostock"),
            ("Planning Cities Commission", "Rostock"),
            ("Smart and Prospering Cities Commission", "Rostock"),
            ("Sustainable Cities Commission", "Rostock"),
            ("Safe Cities Commission", "Gdańsk"),
            ("Safe Cities Commission", "Riga"),
        ),
        commission_heads=(("Safe Cities Commission", "Liepāja"),),
    ),
    DemoNetwork(
        name="European Forum for Urban Security",
        short_name="Efus",
        founded_on=date(1987, 1, 1),
        description=(
            "European Forum for Urban Security: European network of local and regional authorities on "
            "urban security; partner of Nice, Liège and Turin in PACTESUR, coordinator of PACTESUR's group "
            "of ten further cities, co-signatory of the Declaration of Nice (September 2017) and, with Nice "
            "and Madrid, coordinator of the Urban Agenda for the EU Partnership on Security in Public Spaces. "
            "Demo data: the founding day, the members and all membership dates and roles are illustrative; "
            "the seeds give no member list and no roles."
        ),
        admissions=(
            Admission("Nice", "member", date(2010, 1, 1)),
            Admission("Liège", "member", date(1995, 1, 1)),
            Admission("Turin", "member", date(1998, 1, 1)),
            Admission("Madrid", "member", date(2001, 1, 1)),
            Admission("Lille", "member", date(1987, 1, 1)),
            Admission("Essen", "observer", date(2012, 1, 1)),
            Admission("Paris", "member", date(1987, 1, 1)),
            Admission("Edinburgh", "member", date(2008, 1, 1)),
        ),
        role_changes=(("Essen", "member", date(2015, 1, 1)),),
        departures=(("Edinburgh", date(2020, 12, 31)),),
    ),
]


def _city_ids() -> dict[str, object]:
    return {name: City.create_id(name, cc, tz) for name, cc, tz in CITIES}


def _build_network(spec: DemoNetwork, city_ids: dict[str, object], today: date) -> Network:
    network = Network.found(spec.name, spec.short_name, spec.founded_on, spec.description)
    for name in spec.commissions:
        network.add_commission(name)
    for a in spec.admissions:
        network.admit(city_ids[a.city], a.role, a.since, today=today)  # type: ignore[arg-type]
    for commission, city in spec.commission_members:
        network.assign_to_commission(commission_id_for(network.id, commission), city_ids[city])  # type: ignore[arg-type]
    for commission, city in spec.commission_heads:
        network.name_commission_head(commission_id_for(network.id, commission), city_ids[city])  # type: ignore[arg-type]
    for city, role, on in spec.role_changes:
        network.change_role(city_ids[city], role, on, today=today)  # type: ignore[arg-type]
    for city, on in spec.departures:
        network.record_departure(city_ids[city], on, today=today)  # type: ignore[arg-type]
    return network


def load_demo(citynet: Citynet) -> int:
    """Load the demo data; return how many events were added (0 when already loaded)."""
    app = citynet.app
    added = 0
    for name, cc, tz in CITIES:
        city = City.register(name, cc, tz)
        if not app.exists(city.id):
            added += len(app.save(city, CityName.for_city(city)))
    before_organisations = citynet.projections.head()
    load_demo_organisations(citynet)
    added += _events_between(citynet, before_organisations, citynet.projections.head())
    city_ids = _city_ids()
    today = shared_today(app.clock)  # every demo membership date is long past
    for spec in NETWORKS:
        network = _build_network(spec, city_ids, today)
        if not app.exists(network.id):
            added += len(app.save(network))
    _warn_if_an_older_demo(citynet, city_ids)
    citynet.projections.wait_for(citynet.projections.head(), 30)
    before = citynet.projections.head()
    load_demo_workshops(citynet)
    load_demo_plans(citynet)
    load_demo_projects(citynet)  # projects and their gatherings (decision 015)
    load_demo_translations(citynet)
    head = citynet.projections.head()
    citynet.projections.wait_for(head, 30)  # the caller reads what it loaded
    return added + _events_between(citynet, before, head)


def _warn_if_an_older_demo(citynet: Citynet, city_ids: dict[str, UUID]) -> None:
    """The log is append-only: a database seeded by a release before issue 12 keeps that demo's invented
    facts (Nice as Efus's lead partner since 1990). Correcting events would still show them as history,
    so the loader says so instead; a new database gets the demo true to the seeds."""
    efus = app_network(citynet, "Efus")
    nice = city_ids.get("Nice")
    member = efus.members.get(nice) if efus is not None and nice is not None else None
    if member is not None and member.role is MemberRole.LEAD_PARTNER:
        log.warning("this database holds the demo of an earlier release (Nice as Efus's lead partner, not a "
                    "seed fact); start from an empty database (delete %s or create a new one) for the current demo",
                    "data/citynet.sqlite3")


def app_network(citynet: Citynet, short_name: str) -> Network | None:
    try:
        return citynet.app.get(Network, network_id_for(short_name))
    except NotFound:
        return None


def _events_between(citynet: Citynet, after: int, upto: int) -> int:
    if upto <= after:
        return 0
    return len(citynet.app.recorder.select_notifications(start=after, limit=upto - after, inclusive_of_start=False))
