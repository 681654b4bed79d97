"""Demo projects from the seed documents (shared/seeds), with their gatherings.

Facts from the seeds:
- PACTESUR (Protecting Allied Cities against TErrorism by Securing Urban aReas), led by Nice for three
  years, with Liège, Turin, Efus and the National Association of Piedmont Region Communes; Efus
  coordinates a group of ten further cities (Athens, Edinburgh, Essen, Gdansk, Lisbon, London, Madrid,
  Munich, Riga, Xàbia); an expert committee of about 15 members; European Weeks of Security in Nice in
  October 2019, Turin in 2020 and Liège in 2021.
- Connecting Resilient Cities: Rostock the leading partner; network partners ICNCM and UBC, whose Safe
  Cities Commission is the main project partner; city partners Vienna, Liepāja, Ljubljana and Rostock;
  four three-day workshops, a common action plan, joint crisis protocols.
- The Urban Agenda for the EU Partnership on Security in Public Spaces, coordinated by Nice, Efus and
  Madrid, for three years, with its Action 3 plan (services/demo_plans.py) attached.
- ICNCM's 15th International Crisis Management Conference, hosted by Rostock in 2021 on
  "Covid-19: Impact on Urban Environments".

Not in the seeds, and marked as demo data wherever it appears: every project's start and end day (the
seeds give "three years" at most), statuses that follow from those days, partnership days, the days,
venues and capacities of the gatherings, that the European Weeks of Security were held (the seed says they
"will be organised"), and attendance figures. The National Association of Piedmont
Region Communes and the expert committee are organisations (services/demo_organisations.py, loaded
first): they are admitted when registered, and left out otherwise.

Past facts are written with the application's clock set back to when they happened (the domain
refuses to schedule into the past), as services/demo_workshops.py does. Loading is idempotent: a
project or gathering that already exists is left alone.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid5

from citynet.domain.city import City, CityName
from citynet.domain.network import commission_id_for, network_id_for
from citynet.domain.project import project_id_for
from citynet.services.demo_plans import PLAN_TITLE, PROTOCOL_TITLE, URBAN_AGENDA_ACTION_3_TITLE, demo_id
from citynet.services.demo_workshops import DEMO_WORKSHOPS, _clock_at, demo_year_shift, workshop_id
from citynet.services.clock import today_in
from citynet.services.runtime import Citynet

DEMO_NAMESPACE = UUID("5e2a9c41-7b3d-4f8e-a6c0-3d1b8e4f2a97")

# Cities of Efus's PACTESUR group that the directory does not hold yet (name, country, zone).
GROUP_CITIES: list[tuple[str, str, str]] = [
    ("Athens", "GR", "Europe/Athens"),
    ("Lisbon", "PT", "Europe/Lisbon"),
    ("London", "GB", "Europe/London"),
    ("Munich", "DE", "Europe/Berlin"),
    ("Xàbia", "ES", "Europe/Madrid"),
]
# The seed writes "Gdansk"; the directory holds the city as Gdańsk.
EFUS_GROUP = [("Athens", "GR"), ("Edinburgh", "GB"), ("Essen", "DE"), ("Gdańsk", "PL"), ("Lisbon", "PT"),
              ("London", "GB"), ("Madrid", "ES"), ("Munich", "DE"), ("Riga", "LV"), ("Xàbia", "ES")]

PACTESUR = "PACTESUR"
CRC = "Connecting Resilient Cities"
UA_SECURITY = "Security in Public Spaces"

ANPRC = "National Association of Piedmont Region Communes"
EXPERT_COMMITTEE = "PACTESUR expert committee"

WEEK_NOTE = ("European Week of Security of PACTESUR: the seed says one will be organised in {city} in {when}. "
             "Demo data: the days, venue, capacity, that it was held, and its attendance are illustrative; "
             "citynet holds no record of how it went.")


def city(name: str, country: str) -> UUID:
    return City.create_id(name, country, "")


NICE, LIEGE, TURIN, MADRID = city("Nice", "FR"), city("Liège", "BE"), city("Turin", "IT"), city("Madrid", "ES")
ROSTOCK, VIENNA = city("Rostock", "DE"), city("Vienna", "AT")
LIEPAJA, LJUBLJANA = city("Liepāja", "LV"), city("Ljubljana", "SI")
EFUS, ICNCM, UBC = network_id_for("Efus"), network_id_for("ICNCM"), network_id_for("UBC")
SAFE_CITIES = commission_id_for(UBC, "Safe Cities Commission")


def gathering_id(title: str) -> UUID:
    return uuid5(DEMO_NAMESPACE, title)


WEEKS = [
    ("European Week of Security 2019, Nice", NICE, "Nice", "October 2019", date(2019, 10, 14)),
    ("European Week of Security 2020, Turin", TURIN, "Turin", "2020", date(2020, 10, 12)),
    ("European Week of Security 2021, Liège", LIEGE, "Liège", "2021", date(2021, 10, 11)),
]
CONFERENCE_TITLE = "15th International Crisis Management Conference: Covid-19: Impact on Urban Environments"


def _organisation(citynet: Citynet, name: str, country: str | None) -> UUID | None:
    """An organisation's id, when organisations exist and this one is registered."""
    try:
        from citynet.domain.organisation import organisation_id_for  # type: ignore[import-not-found]
    except ImportError:
        return None
    oid: UUID = organisation_id_for(name, country)
    return oid if citynet.app.exists(oid) else None


def _register_cities(citynet: Citynet) -> None:
    app = citynet.app
    for name, cc, tz in GROUP_CITIES:
        c = City.register(name, cc, tz)
        claim = CityName.for_city(c)
        if not app.exists(c.id) and not app.exists(claim.id):
            app.save(c, claim)


def _admit(citynet: Citynet, project: UUID, kind: str, party: UUID, role: str, since: date | None = None,
           until: date | None = None, network: UUID | None = None) -> None:
    citynet.execute(lambda app: app.admit_project_partner(
        project, party_kind=kind, party_id=party, party_network_id=network, role=role, since=since, until=until))


def _found(citynet: Citynet, name: str, acronym: str, objectives: str, start: date, end: date) -> UUID:
    citynet.execute(lambda app: app.found_project(name=name, acronym=acronym, objectives=objectives,
                                                  start_date=start, end_date=end))
    return project_id_for(acronym)


def _pactesur(citynet: Citynet) -> None:
    start, end = date(2019, 1, 1), date(2021, 12, 31)
    with _clock_at(citynet, start - timedelta(days=60)):
        pid = _found(
            citynet, "Protecting Allied Cities against TErrorism by Securing Urban aReas", PACTESUR,
            "Provide European local authorities with the knowledge and tools to better protect their public "
            "spaces against threats, notably terrorism: standards, legal frameworks and local governance for "
            "common guidelines, response protocols and soft laws; specialised training for local security "
            "operators; awareness among citizens and politicians; local investments and pilot sites for open "
            "and touristic public spaces. Led by Nice for three years; Efus coordinates a group of ten further "
            "cities; an expert committee of about 15 members supports local practice. Follows up on the "
            "Declaration of Nice.\n\nDemo data: the start and end days (three years, 2019-2021) and the "
            "partnership days are illustrative.", start, end)
        _admit(citynet, pid, "city", NICE, "lead_partner")
        _admit(citynet, pid, "city", LIEGE, "partner")
        _admit(citynet, pid, "city", TURIN, "partner")
        _admit(citynet, pid, "network", EFUS, "partner")
        anprc = _organisation(citynet, ANPRC, "IT")
        if anprc is not None:
            _admit(citynet, pid, "organisation", anprc, "partner")
        experts = _organisation(citynet, EXPERT_COMMITTEE, None)
        if experts is not None:
            _admit(citynet, pid, "organisation", experts, "expert")
        for name, cc in EFUS_GROUP:
            _admit(citynet, pid, "city", city(name, cc), "associated_partner")
    with _clock_at(citynet, start):
        citynet.execute(lambda app: app.start_project(pid))
    for title, host, name, when, first in WEEKS:
        _week(citynet, pid, title, host, name, when, first)
    with _clock_at(citynet, end + timedelta(days=1)):
        citynet.execute(lambda app: app.close_project(pid))


def _week(citynet: Citynet, pid: UUID, title: str, host: UUID, name: str, when: str, first: date) -> None:
    gid = gathering_id(title)
    last = first + timedelta(days=4)
    with _clock_at(citynet, first - timedelta(days=90)):
        citynet.execute(lambda app: app.propose_workshop(
            workshop_id=gid, title=title, topic="protection of public spaces",
            description=WEEK_NOTE.format(city=name, when=when), network_ids=[], partner_city_ids=[NICE, LIEGE, TURIN],
            host_city_id=host, venue=f"{name} (venue illustrative)", length_days=5, capacity=300,
            kind="week_of_events", project_id=pid))
        citynet.execute(lambda app: app.schedule_workshop(gid, first, last))
        citynet.execute(lambda app: app.confirm_workshop(gid))
    with _clock_at(citynet, last + timedelta(days=1)):
        citynet.execute(lambda app: app.mark_workshop_held(
            gid, 150, f"Demo data: an illustrative outcome, not a record. The seed only says a European Week of "
                      f"Security will be organised in {name} in {when}; the HELD status and the attendance are "
                      "illustrative.", []))


def _conference(citynet: Citynet) -> None:
    gid = gathering_id(CONFERENCE_TITLE)
    first = date(2021, 9, 21)
    last = first + timedelta(days=1)
    with _clock_at(citynet, first - timedelta(days=120)):
        citynet.execute(lambda app: app.propose_workshop(
            workshop_id=gid, title=CONFERENCE_TITLE, topic="Covid-19: Impact on Urban Environments",
            description="ICNCM's 15th International Crisis Management Conference, hosted by Rostock in 2021 (seed). "
                        "Demo data: the days, venue and capacity are illustrative.",
            network_ids=[ICNCM], partner_city_ids=[VIENNA, LJUBLJANA], host_city_id=ROSTOCK,
            venue="Rostock (venue illustrative)", length_days=2, capacity=150, kind="conference"))
        citynet.execute(lambda app: app.schedule_workshop(gid, first, last))
        citynet.execute(lambda app: app.confirm_workshop(gid))
    with _clock_at(citynet, last + timedelta(days=1)):
        citynet.execute(lambda app: app.mark_workshop_held(
            gid, 100, "The conference was held in Rostock (demo data: attendance and summary are illustrative).",
            []))


def _connecting_resilient_cities(citynet: Citynet) -> None:
    shift = demo_year_shift(today_in(citynet.app.clock, "Europe/Riga"))
    start, end = date(2025 + shift, 10, 1), date(2027 + shift, 12, 31)
    with _clock_at(citynet, start - timedelta(days=30)):
        pid = _found(
            citynet, CRC, CRC,
            "Establish sustainable, citizen-friendly communication channels and exchange best practices in crisis "
            "communication internationally, through a partnership of ICNCM and UBC: four three-day workshops, a "
            "common action plan, joint crisis protocols for EU member cities, a sustainable network of crisis "
            "management specialists, and education of children with a migrant background and reading "
            "disabilities on the correct behaviour in crises. UBC's Safe Cities Commission is the main project "
            "partner.\n\nDemo data: the start and end days and the partnership days are illustrative.",
            start, end)
        _admit(citynet, pid, "city", ROSTOCK, "lead_partner")
        _admit(citynet, pid, "network", ICNCM, "partner")
        _admit(citynet, pid, "network", UBC, "partner")
        _admit(citynet, pid, "commission", SAFE_CITIES, "partner", network=UBC)
        for partner in (VIENNA, LIEPAJA, LJUBLJANA):
            _admit(citynet, pid, "city", partner, "partner")
    with _clock_at(citynet, start):
        citynet.execute(lambda app: app.start_project(pid))
    for title, _ in DEMO_WORKSHOPS:
        if citynet.app.exists(workshop_id(title)):
            citynet.execute(lambda app, title=title: app.attach_project_output(pid, "gathering", workshop_id(title)))
    for kind, title in (("action_plan", PLAN_TITLE), ("protocol", PROTOCOL_TITLE)):
        if citynet.app.exists(demo_id(title)):
            citynet.execute(lambda app, kind=kind, title=title: app.attach_project_output(pid, kind, demo_id(title)))


def _urban_agenda(citynet: Citynet) -> None:
    start, end = date(2019, 1, 1), date(2021, 12, 31)
    with _clock_at(citynet, start - timedelta(days=30)):
        pid = _found(
            citynet, "Urban Agenda for the EU Partnership on Security in Public Spaces", UA_SECURITY,
            "Let local authorities, Member States and European institutions work together to assert the role of "
            "cities in European urban security policies, share knowledge and good practices (including from "
            "projects such as PACTESUR and PROTECT), and propose legislative reforms and new funding frameworks. "
            "Its Action 3 evaluates the application of AI and inclusive technologies. Coordinated by Nice, Efus "
            "and Madrid, for three years.\n\nDemo data: the start and end days (three years) are illustrative.",
            start, end)
        _admit(citynet, pid, "city", NICE, "coordinator")
        _admit(citynet, pid, "network", EFUS, "coordinator")
        _admit(citynet, pid, "city", MADRID, "coordinator")
    with _clock_at(citynet, start):
        citynet.execute(lambda app: app.start_project(pid))
        if citynet.app.exists(demo_id(URBAN_AGENDA_ACTION_3_TITLE)):  # its Action 3 plan (services/demo_plans.py)
            citynet.execute(lambda app: app.attach_project_output(
                pid, "action_plan", demo_id(URBAN_AGENDA_ACTION_3_TITLE)))
    with _clock_at(citynet, end + timedelta(days=1)):
        citynet.execute(lambda app: app.close_project(pid))


def load_demo_projects(citynet: Citynet) -> None:
    _register_cities(citynet)
    app = citynet.app
    if not app.exists(project_id_for(PACTESUR)):
        _pactesur(citynet)
    if not app.exists(gathering_id(CONFERENCE_TITLE)):
        _conference(citynet)
    if not app.exists(project_id_for(CRC)):
        _connecting_resilient_cities(citynet)
    if not app.exists(project_id_for(UA_SECURITY)):
        _urban_agenda(citynet)
