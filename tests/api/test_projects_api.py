"""Projects through the public API against the demo: the seeds' facts, the README's examples, typed errors,
access, kinds and filters, and the European Weeks of Security in the city feeds."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from citynet.domain.city import City
from citynet.domain.network import commission_id_for, network_id_for
from citynet.domain.project import project_id_for
from citynet.graphql.ids import to_global_id
from citynet.services.demo import load_demo

README = Path(__file__).resolve().parents[2] / "README.md"
PACTESUR = to_global_id("Project", project_id_for("PACTESUR"))
CRC = to_global_id("Project", project_id_for("Connecting Resilient Cities"))
UA = to_global_id("Project", project_id_for("Security in Public Spaces"))
EFUS_GROUP = {"Athens", "Edinburgh", "Essen", "Gdańsk", "Lisbon", "London", "Madrid", "Munich", "Riga", "Xàbia"}


def city_gid(name: str, country: str) -> str:
    return to_global_id("City", City.create_id(name, country, ""))


@pytest.fixture
def demo(api: Any, services: Any) -> None:
    load_demo(services)


PARTNERS = """query($id: ID!, $on: Date) { project(id: $id) { acronym status leadPartner { ... on City { name } }
  partners(on: $on) { role since until partnerKind
    partner { __typename ... on City { name } ... on Network { shortName } ... on Commission { name }
              ... on Organisation { name } } } } }"""


def _partners(api: Any, project: str, on: str | None = None) -> dict[str, str]:
    data = api(PARTNERS, {"id": project, "on": on})["project"]
    out = {}
    for p in data["partners"]:
        party = p["partner"]
        out[party.get("name") or party.get("shortName")] = p["role"]
    return out


def test_pactesur_as_the_seed_gives_it(api: Any, demo: None) -> None:
    partners = _partners(api, PACTESUR, "2020-06-01")
    assert partners["Nice"] == "LEAD_PARTNER"
    assert {k for k, v in partners.items() if v == "PARTNER"} == {
        "Liège", "Turin", "Efus", "National Association of Piedmont Region Communes"}
    assert {k for k, v in partners.items() if v == "EXPERT"} == {"PACTESUR expert committee"}
    assert {k for k, v in partners.items() if v == "ASSOCIATED_PARTNER"} == EFUS_GROUP
    data = api("""query($id: ID!) { project(id: $id) { name objectives status leadPartner { ... on City { name } }
        gatherings { kind title status startDate host { name } organisers { shortName } } } }""",
               {"id": PACTESUR})["project"]
    assert data["name"] == "Protecting Allied Cities against TErrorism by Securing Urban aReas"
    assert "Demo data" in data["objectives"]
    assert data["leadPartner"] == {"name": "Nice"}
    weeks = data["gatherings"]
    assert [(g["kind"], g["host"]["name"], g["startDate"][:4], g["status"]) for g in weeks] == [
        ("WEEK_OF_EVENTS", "Nice", "2019", "HELD"), ("WEEK_OF_EVENTS", "Turin", "2020", "HELD"),
        ("WEEK_OF_EVENTS", "Liège", "2021", "HELD")]
    assert weeks[0]["startDate"].startswith("2019-10")  # October 2019
    assert _partners(api, PACTESUR, "2018-06-01") == {}  # before it began (demo dates)


def test_partnerships_end_with_their_project(api: Any, demo: None) -> None:
    """M1: PACTESUR ended on 2021-12-31 (demo dates): nobody is its partner or lead partner afterwards."""
    assert len(_partners(api, PACTESUR, "2021-12-31")) == 16
    after = api(PARTNERS, {"id": PACTESUR, "on": "2026-11-21"})["project"]
    assert after["partners"] == []
    lead = api("""query($id: ID!, $on: Date) { project(id: $id) { leadPartner(on: $on) { ... on City { name } } } }""",
               {"id": PACTESUR, "on": "2026-11-21"})
    assert lead["project"]["leadPartner"] is None
    assert api("""query($id: ID!) { project(id: $id) { leadPartner(on: "2021-12-31") { ... on City { name } } } }""",
               {"id": PACTESUR})["project"]["leadPartner"] == {"name": "Nice"}


def test_connecting_resilient_cities_with_its_outputs(api: Any, demo: None) -> None:
    partners = _partners(api, CRC)
    assert partners == {"Rostock": "LEAD_PARTNER", "ICNCM": "PARTNER", "UBC": "PARTNER",
                        "Safe Cities Commission": "PARTNER", "Vienna": "PARTNER", "Liepāja": "PARTNER",
                        "Ljubljana": "PARTNER"}
    data = api("""query($id: ID!) { project(id: $id) { status gatherings { kind title status }
        actionPlans { title status } protocols { title status } } }""", {"id": CRC})["project"]
    assert data["status"] == "RUNNING"
    assert len(data["gatherings"]) == 4 and {g["kind"] for g in data["gatherings"]} == {"WORKSHOP"}
    assert [p["title"] for p in data["actionPlans"]] == ["Connecting Resilient Cities: common action plan"]
    assert [(p["title"], p["status"]) for p in data["protocols"]] == [("Sheltering large groups of people",
                                                                       "PROPOSED")]
    filtered = api("""query($p: ID!) { workshops(filter: {projectId: $p}) { totalCount }
        actionPlans(projectId: $p) { totalCount } protocols(projectId: $p) { totalCount } }""", {"p": CRC})
    assert filtered == {"workshops": {"totalCount": 4}, "actionPlans": {"totalCount": 1},
                        "protocols": {"totalCount": 1}}
    assert api("""query($p: ID!) { actionPlans(projectId: $p) { totalCount } }""", {"p": PACTESUR}) == {
        "actionPlans": {"totalCount": 0}}


def test_urban_agenda_partnership_and_the_conference(api: Any, demo: None) -> None:
    assert _partners(api, UA) == {"Nice": "COORDINATOR", "Efus": "COORDINATOR", "Madrid": "COORDINATOR"}
    data = api("""{ workshops(filter: {kinds: [CONFERENCE]}) { edges { node { title topic status startDate
        host { name } organisers { shortName } project { acronym } } } } }""")["workshops"]["edges"]
    [conference] = [e["node"] for e in data]
    assert conference["topic"] == "Covid-19: Impact on Urban Environments"
    assert conference["host"]["name"] == "Rostock" and conference["startDate"].startswith("2021")
    assert conference["organisers"] == [{"shortName": "ICNCM"}] and conference["project"] is None
    kinds = api("{ workshops(filter: {kinds: [WORKSHOP]}) { totalCount } all: workshops { totalCount } }")
    assert kinds["workshops"]["totalCount"] == 4 and kinds["all"]["totalCount"] == 8


ACTION_3 = "Urban Agenda Partnership on Security in Public Spaces: Action 3 activities"


def test_the_urban_agenda_plan_belongs_to_the_partnership_and_is_not_owed_after_it(api: Any, demo: None) -> None:
    """M3: the Action 3 plan is the partnership's output. M4: its activities are due within the partnership
    (demo dates) and closed with it, the status marked as demo data; nothing is overdue for Nice years later."""
    data = api("""query($id: ID!) { project(id: $id) { status startDate endDate
        actionPlans { title purpose actions { title dueOn status progress description } } } }""", {"id": UA})
    project = data["project"]
    assert project["status"] == "CLOSED"
    [plan] = project["actionPlans"]
    assert plan["title"] == ACTION_3 and "DONE status" in plan["purpose"]
    assert len(plan["actions"]) == 5
    for action in plan["actions"]:
        assert project["startDate"] <= action["dueOn"] <= project["endDate"], action
        assert (action["status"], action["progress"]) == ("DONE", 100)
        assert "Demo data: the due date and the DONE status" in action["description"]
    owed = api("""query($c: ID!) { owedActions(cityId: $c, today: "2026-11-21") { overdue plan { title } } }""",
               {"c": city_gid("Nice", "FR")})["owedActions"]
    assert [o for o in owed if o["plan"]["title"] == ACTION_3] == []


def test_the_weeks_of_security_say_what_the_seed_does_not(api: Any, demo: None) -> None:
    """M4: the seed says the weeks "will be organised"; that they were held is demo data, and says so."""
    weeks = api("""{ workshops(filter: {kinds: [WEEK_OF_EVENTS]}) { edges { node { status description
        outcome { summary } } } } }""")["workshops"]["edges"]
    assert len(weeks) == 3
    for week in (e["node"] for e in weeks):
        assert week["status"] == "HELD"
        assert "will be organised" in week["description"] and "that it was held" in week["description"]
        assert week["outcome"]["summary"].startswith("Demo data")


def _readme_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Projects"):]
    section = section[:re.search(r"\n##+ ", section[4:]).start() + 4]  # type: ignore[union-attr]
    return re.findall(r"```graphql\n(.*?)```", section, re.S)


def test_the_readme_project_examples_work_as_shown(api: Any, demo: None) -> None:
    examples = _readme_examples()
    assert len(examples) == 4
    answers = [api(query) for query in examples]
    pactesur = answers[0]["project"]
    assert pactesur["acronym"] == "PACTESUR" and pactesur["leadPartner"] == {"name": "Nice"}
    assert len(pactesur["gatherings"]) == 3
    projects = {e["node"]["acronym"]: e["node"] for e in answers[1]["projects"]["edges"]}
    assert set(projects) == {"PACTESUR", "Connecting Resilient Cities", "Security in Public Spaces"}
    assert projects["Connecting Resilient Cities"]["protocols"] == [
        {"title": "Sheltering large groups of people", "status": "PROPOSED"}]
    assert {e["node"]["kind"] for e in answers[2]["workshops"]["edges"]} == {"WEEK_OF_EVENTS", "CONFERENCE"}
    assert answers[2]["actionPlans"]["edges"][0]["node"]["status"] == "ADOPTED"
    refused = answers[3]["admitProjectPartner"]  # Vienna, a partner of Connecting Resilient Cities from its start
    crc = api("query($id: ID!) { project(id: $id) { startDate } }", {"id": CRC})["project"]
    assert refused["__typename"] == "AlreadyPartner" and refused["since"] == crc["startDate"]
    # As the text says: anonymous readers see CRC's three published workshops and its plan, not its protocol.
    public = {e["node"]["acronym"]: e["node"] for e in api.as_actor("anonymous")(examples[1])["projects"]["edges"]}
    crc_public = public["Connecting Resilient Cities"]
    assert len(crc_public["gatherings"]) == 3 and len(crc_public["actionPlans"]) == 1
    assert crc_public["protocols"] == []
    assert [p["title"] for p in public["Security in Public Spaces"]["actionPlans"]] == [
        "Urban Agenda Partnership on Security in Public Spaces: Action 3 activities"]


FOUND = """mutation($input: FoundProjectInput!) { foundProject(input: $input) { __typename
  ... on ProjectPayload { id project { acronym status } } ... on InvalidInput { field }
  ... on NotAllowed { permission } } }"""
ADMIT = """mutation($input: AdmitProjectPartnerInput!) { admitProjectPartner(input: $input) { __typename
  ... on ProjectPayload { project { partners { role since until partnerKind } } }
  ... on AlreadyPartner { projectId partnerId since until } ... on InvalidInput { field }
  ... on NotAllowed { permission } } }"""
LEAD = """mutation($input: NameLeadPartnerInput!) { nameLeadPartner(input: $input) { __typename
  ... on NotAProjectPartner { field partnerId } } }"""
ATTACH = """mutation($input: AttachProjectOutputInput!) { attachProjectOutput(input: $input) { __typename
  ... on AlreadyAttached { outputId projectId } } }"""
PROPOSE = """mutation($input: ProposeWorkshopInput!) { proposeWorkshop(input: $input) { __typename
  ... on WorkshopPayload { workshop { kind project { acronym } organisers { shortName } } }
  ... on InvalidInput { field } } }"""
PROPOSE_REFUSED = """mutation($input: ProposeWorkshopInput!) { proposeWorkshop(input: $input) { __typename
  ... on NotAllowed { permission } } }"""


def test_mutations_and_typed_errors(api: Any, demo: None, services: Any) -> None:
    backwards = api(FOUND, {"input": {"name": "X", "acronym": "X", "startDate": "2027-01-01", "endDate": "2026-01-01"}})
    assert backwards["foundProject"] == {"__typename": "InvalidInput", "field": "endDate"}
    made = api(FOUND, {"input": {"name": "Baltic drills", "acronym": "BALTIC", "startDate": "2026-01-01",
                                 "endDate": "2027-12-31", "coordinatingNetworkId": to_global_id(
                                     "Network", network_id_for("UBC"))}})["foundProject"]
    assert made["project"] == {"acronym": "BALTIC", "status": "PLANNED"}
    ubc = network_id_for("UBC")
    safe = to_global_id("Commission", ubc, commission_id_for(ubc, "Safe Cities Commission"))
    admitted = api(ADMIT, {"input": {"projectId": made["id"], "partnerId": safe, "role": "EXPERT",
                                     "since": "2026-02-01"}})["admitProjectPartner"]
    assert {"role": "EXPERT", "since": "2026-02-01", "until": None, "partnerKind": "COMMISSION"} in admitted[
        "project"]["partners"]
    head = services.projector.head()
    twice = api(ADMIT, {"input": {"projectId": made["id"], "partnerId": safe, "role": "PARTNER",
                                  "since": "2026-03-01"}})["admitProjectPartner"]
    assert twice == {"__typename": "AlreadyPartner", "projectId": made["id"], "partnerId": safe,
                     "since": "2026-02-01", "until": None}
    riga = city_gid("Riga", "LV")
    assert api(LEAD, {"input": {"projectId": made["id"], "partnerId": riga}})["nameLeadPartner"] == {
        "__typename": "NotAProjectPartner", "field": "partnerId", "partnerId": riga}
    energy = api('{ workshops(filter: {topic: "energy"}) { edges { node { id } } } }')["workshops"]["edges"][0]
    taken = api(ATTACH, {"input": {"projectId": made["id"], "outputId": energy["node"]["id"]}})["attachProjectOutput"]
    assert taken == {"__typename": "AlreadyAttached", "outputId": energy["node"]["id"], "projectId": CRC}
    bad_id = api(ADMIT, {"input": {"projectId": made["id"], "partnerId": made["id"]}})["admitProjectPartner"]
    assert bad_id == {"__typename": "InvalidInput", "field": "partnerId"}
    assert services.projector.head() == head, "refusals store nothing"
    # A study trip within the project: organised by the project's network (UBC), hosted by a UBC member.
    trip = api(PROPOSE, {"input": {"title": "Study trip to Gdańsk", "topic": "harbour safety", "networkIds": [],
                                   "partnerCityIds": [], "hostCityId": city_gid("Gdańsk", "PL"), "venue": "Port",
                                   "capacity": 20, "kind": "STUDY_TRIP", "projectId": made["id"]}})["proposeWorkshop"]
    assert trip["workshop"] == {"kind": "STUDY_TRIP", "project": {"acronym": "BALTIC"},
                                "organisers": [{"shortName": "UBC"}]}
    unknown = api.post(PROPOSE, {"input": {"title": "x", "topic": "y", "networkIds": [], "partnerCityIds": [],
                                           "hostCityId": riga, "capacity": 1, "kind": "PARTY"}}).json()
    assert "errors" in unknown  # an enum value GraphQL does not know: a request error


def test_access_by_role(api: Any, demo: None) -> None:
    from citynet.graphql.ids import from_global_id

    ubc = api.as_actor("coordinator", networks=(str(network_id_for("UBC")),))
    efus = api.as_actor("coordinator", networks=(str(network_id_for("Efus")),))
    riga = city_gid("Riga", "LV")
    values = {"partnerId": riga, "role": "ASSOCIATED_PARTNER", "since": "2026-06-01"}
    assert ubc(ADMIT, {"input": {"projectId": PACTESUR, **values}})["admitProjectPartner"] == {
        "__typename": "NotAllowed", "permission": "project:manage"}
    assert ubc(ADMIT, {"input": {"projectId": CRC, **values}})["admitProjectPartner"]["__typename"] == \
        "ProjectPayload"
    assert efus(ADMIT, {"input": {"projectId": CRC, **values}})["admitProjectPartner"]["__typename"] == "NotAllowed"
    anonymous = api.as_actor("anonymous")
    assert anonymous(PARTNERS, {"id": CRC, "on": "2026-06-01"})["project"]["leadPartner"] == {"name": "Rostock"}
    assert anonymous(FOUND, {"input": {"name": "Y", "acronym": "Y", "startDate": "2026-01-01",
                                       "endDate": "2026-12-31"}})["foundProject"]["__typename"] == "NotAllowed"
    node = anonymous("query($id: ID!) { node(id: $id) { __typename ... on Project { acronym } } }", {"id": CRC})
    assert node["node"] == {"__typename": "Project", "acronym": "Connecting Resilient Cities"}
    assert from_global_id(CRC, "Project", "id")[0] == project_id_for("Connecting Resilient Cities")


SCHEDULE = """mutation($input: ScheduleWorkshopInput!) { scheduleWorkshop(input: $input) { __typename } }"""


def test_no_network_organises_a_gathering_it_did_not_choose(api: Any, demo: None) -> None:
    """H2: a coordinator of an unrelated network founds a project, admits Efus unasked and proposes a gathering
    in it: Efus is not made its organiser, cannot be named as one, and nothing shows in Efus's feed."""
    icncm_id, efus_id = network_id_for("ICNCM"), network_id_for("Efus")
    icncm = api.as_actor("coordinator", networks=(str(icncm_id),))
    spam = icncm(FOUND, {"input": {"name": "Spam", "acronym": "SPAM", "startDate": "2026-01-01",
                                   "endDate": "2028-12-31", "coordinatingNetworkId": to_global_id(
                                       "Network", icncm_id)}})["foundProject"]["id"]
    efus = to_global_id("Network", efus_id)
    assert icncm(ADMIT, {"input": {"projectId": spam, "partnerId": efus}})["admitProjectPartner"][
        "__typename"] == "ProjectPayload"
    gathering = {"title": "Spam", "topic": "spam", "partnerCityIds": [], "hostCityId": city_gid("Rostock", "DE"),
                 "venue": "Rostock", "capacity": 10, "kind": "CONFERENCE", "projectId": spam}
    named = icncm(PROPOSE_REFUSED, {"input": {**gathering, "networkIds": [efus]}})["proposeWorkshop"]
    assert named == {"__typename": "NotAllowed", "permission": "workshop:propose"}
    both = icncm(PROPOSE_REFUSED, {"input": {**gathering, "networkIds": [to_global_id("Network", icncm_id), efus]}})
    assert both["proposeWorkshop"]["__typename"] == "NotAllowed"
    made = icncm(PROPOSE, {"input": {**gathering, "networkIds": []}})["proposeWorkshop"]
    assert made["workshop"]["organisers"] == [{"shortName": "ICNCM"}]  # the caller's network only, not Efus
    wid = icncm("""{ workshops(filter: {kinds: [CONFERENCE]}) { edges { node { id title } } } }""")
    [spam_id] = [e["node"]["id"] for e in wid["workshops"]["edges"] if e["node"]["title"] == "Spam"]
    assert icncm(SCHEDULE, {"input": {"workshopId": spam_id, "startDate": "2028-03-01", "endDate": "2028-03-03"}})[
        "scheduleWorkshop"]["__typename"] == "WorkshopPayload"
    feed = api.as_actor("anonymous").http.get(f"/calendar/networks/{efus}.ics")
    assert feed.status_code == 200 and b"Spam" not in feed.content
    # Plain workshops follow the same rule: every organising network must be the caller's.
    plain = {k: v for k, v in gathering.items() if k != "projectId"}
    assert icncm(PROPOSE_REFUSED, {"input": {**plain, "networkIds": [to_global_id("Network", icncm_id), efus]}})[
        "proposeWorkshop"]["__typename"] == "NotAllowed"


def test_the_european_weeks_of_security_are_in_the_city_feeds(api: Any, demo: None) -> None:
    weeks = api("""{ workshops(filter: {kinds: [WEEK_OF_EVENTS]}) { edges { node { id title } } } }""")
    uids = {f"workshop-{uuid_of(e['node']['id'])}@citynet" for e in weeks["workshops"]["edges"]}
    assert len(uids) == 3
    anonymous = api.as_actor("anonymous")
    for name, country in [("Nice", "FR"), ("Turin", "IT"), ("Liège", "BE")]:
        response = anonymous.http.get(f"/calendar/cities/{city_gid(name, country)}.ics")
        assert response.status_code == 200
        found = {str(e["UID"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")}
        assert uids <= set(found), name
        for uid in uids:
            assert "WEEK_OF_EVENTS" in found[uid].get("CATEGORIES").to_ical().decode()


def uuid_of(gid: str) -> str:
    import base64

    return base64.urlsafe_b64decode(gid + "=" * (-len(gid) % 4)).decode().split(":")[-1]
