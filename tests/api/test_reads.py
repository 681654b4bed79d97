"""Reads: who sees what on every path, one id scheme, batched queries, the response cache and ETags."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from uuid import uuid5

import pytest
from sqlalchemy import event

from citynet.domain.network import network_id_for
from citynet.graphql.ids import to_global_id
from citynet.services.demo import load_demo
from tests.conftest import mint_token
from citynet.services.demo_workshops import DEMO_NAMESPACE, PARTNERS, ROSTOCK, VIENNA
from tests.api.test_access import uuid_of

SECRET, OPEN = "https://meet.example/secret", "https://meet.example/open"
ORGANISERS = [network_id_for("ICNCM"), network_id_for("UBC")]


@pytest.fixture
def world(api: Any, services: Any) -> dict[str, str]:
    """The demo, plus a proposed and a published hybrid workshop (with meeting links), both linked
    from an adopted plan, and delegates of two cities at the published one."""
    load_demo(services)
    secret, open_ = uuid5(DEMO_NAMESPACE, "secret drill"), uuid5(DEMO_NAMESPACE, "open drill")
    plan = uuid5(DEMO_NAMESPACE, "drill plan")
    for wid, title, link in ((secret, "Secret drill", SECRET), (open_, "Open drill", OPEN)):
        services.execute(lambda app, wid=wid, title=title, link=link: app.propose_workshop(
            workshop_id=wid, title=title, topic=title.lower(), network_ids=ORGANISERS, partner_city_ids=PARTNERS,
            host_city_id=ROSTOCK, format="hybrid", venue="Town hall", meeting_link=link, length_days=2, capacity=1))
    services.execute(lambda app: app.schedule_workshop(open_, date(2027, 5, 3), date(2027, 5, 4)))
    services.execute(lambda app: app.draft_plan(
        plan_id=plan, title="Drill plan", starts_on=date(2027, 1, 1), network_ids=ORGANISERS,
        partner_city_ids=PARTNERS, purpose="Test.", workshop_ids=[secret, open_]))
    services.execute(lambda app: app.add_action(
        plan, 1, action_id=uuid5(DEMO_NAMESPACE, "drill action"), title="Drill", description="", lead_city_id=VIENNA,
        supporting_city_ids=[], due_on=date(2027, 6, 1), weight=1.0, parent_id=None))
    services.execute(lambda app: app.propose_version(plan, 1))
    for city in PARTNERS:
        services.execute(lambda app, city=city: app.answer_version(plan, 1, city, "endorse", "X", "Mayor"))
    services.register_delegate(open_, VIENNA, "Vera Wien", "vera@example.org", "crisis_management_specialist")
    services.register_delegate(open_, ROSTOCK, "Rolf Rostock", "rolf@example.org", "crisis_management_specialist")
    services.projections.wait_for(services.projections.head(), 30)  # read what was written
    return {"secret": to_global_id("Workshop", secret), "open": to_global_id("Workshop", open_),
            "plan": to_global_id("ActionPlan", plan), "rostock": to_global_id("City", ROSTOCK)}


# role, city, networks; whether they take part in the drills (organiser coordinator, partner city)
READERS = [
    ("admin", None, (), True),
    ("auditor", None, (), True),
    ("coordinator", None, (str(network_id_for("UBC")),), True),
    ("coordinator", None, (str(network_id_for("Efus")),), False),
    ("city_representative", str(VIENNA), (), True),
    ("city_representative", str(uuid5(DEMO_NAMESPACE, "nowhere")), (), False),
    ("anonymous", None, (), False),
]


@pytest.mark.parametrize("role,city,networks,takes_part", READERS)
def test_a_proposal_and_meeting_links_only_for_those_taking_part(
        api: Any, world: dict[str, str], role: str, city: str | None, networks: tuple[str, ...], takes_part: bool,
) -> None:
    reader = api if role == "admin" else api.as_actor(role, city=city, networks=networks)
    data = reader("""query($s: ID!, $o: ID!, $p: ID!) {
      workshops(first: 100) { edges { node { title meetingLink } } }
      secret: workshop(id: $s) { title }
      secretNode: node(id: $s) { id }
      open: workshop(id: $o) { meetingLink status }
      openNode: node(id: $o) { ... on Workshop { meetingLink } }
      actionPlans { edges { node { title workshops { title meetingLink status } } } }
      plan: node(id: $p) { ... on ActionPlan { workshops { title } } }
    }""", {"s": world["secret"], "o": world["open"], "p": world["plan"]})
    titles = {e["node"]["title"]: e["node"]["meetingLink"] for e in data["workshops"]["edges"]}
    plan = next(e["node"] for e in data["actionPlans"]["edges"] if e["node"]["title"] == "Drill plan")
    link = OPEN if takes_part else None
    assert ("Secret drill" in titles) is takes_part
    assert (data["secret"] is not None) is takes_part and (data["secretNode"] is not None) is takes_part
    assert [w["title"] for w in plan["workshops"]] == (["Open drill", "Secret drill"] if takes_part else ["Open drill"])  # dated first
    assert {w["title"] for w in data["plan"]["workshops"]} == {w["title"] for w in plan["workshops"]}
    assert titles["Open drill"] == data["open"]["meetingLink"] == data["openNode"]["meetingLink"] == link
    assert {w["meetingLink"] for w in plan["workshops"]} == ({SECRET, OPEN} if takes_part else {None})


@pytest.mark.parametrize("role,city,networks,takes_part", READERS)
def test_person_ids_only_for_those_who_may_link_a_person(
        api: Any, world: dict[str, str], role: str, city: str | None, networks: tuple[str, ...], takes_part: bool,
) -> None:
    reader = api if role == "admin" else api.as_actor(role, city=city, networks=networks)
    registrations = reader("""query($o: ID!) { workshop(id: $o) { registrations { edges { node {
        city { name } position status delegate { personId name } } } } } }""",
                           {"o": world["open"]})["workshop"]["registrations"]["edges"]
    seen = {e["node"]["city"]["name"]: e["node"]["delegate"] for e in registrations}
    for city_name, delegate in seen.items():
        own = role == "city_representative" and takes_part and city_name == "Vienna"
        may_link = role in ("admin", "auditor") or (role == "coordinator" and takes_part) or own
        assert bool(delegate["personId"]) is may_link, (city_name, delegate)
        assert bool(delegate["name"]) is (may_link and role != "auditor")
        person = reader("query($id: ID!) { node(id: $id) { ... on Person { registrations { id } } } }",
                        {"id": delegate["personId"] or to_global_id("Person", uuid5(DEMO_NAMESPACE, "x"))})["node"]
        assert (person is not None) is may_link
    # the waitlist position is there wherever the registration is reached (capacity 1, Rostock second)
    assert [e["node"]["position"] for e in registrations] == [None, 1]


def test_every_referable_object_is_a_node(api: Any, world: dict[str, str]) -> None:
    plan = api("""query($p: ID!) { node(id: $p) { ... on ActionPlan { actions { id milestones { id } }
        diff(fromVersion: 1, toVersion: 7) { __typename ... on NoSuchVersion { number latest } } } } }""",
               {"p": world["plan"]})["node"]
    assert plan["diff"] == {"__typename": "NoSuchVersion", "number": 7, "latest": 1}
    action = plan["actions"][0]["id"]
    assert api("query($id: ID!) { node(id: $id) { __typename id } }", {"id": action})["node"] == {
        "__typename": "Action", "id": action}
    demo_plan = api("{ actionPlans { edges { node { title actions { milestones { id title } } } } } }")
    milestone = next(m for e in demo_plan["actionPlans"]["edges"] for a in e["node"]["actions"] for m in a["milestones"])
    assert api("query($id: ID!) { node(id: $id) { ... on Milestone { title } } }",
               {"id": milestone["id"]})["node"] == {"title": milestone["title"]}
    protocol = api("{ protocols { edges { node { steps { id instruction } } } } }")["protocols"]["edges"][0]["node"]
    step = protocol["steps"][0]
    assert api("query($id: ID!) { node(id: $id) { ... on ProtocolStep { instruction } } }",
               {"id": step["id"]})["node"] == {"instruction": step["instruction"]}
    events = api("""query($p: ID!) { aggregateHistory(id: $p) { aggregateId actor { role cityId } } }""",
                 {"p": world["plan"]})["aggregateHistory"]
    assert {e["aggregateId"] for e in events} == {world["plan"]}
    api("""mutation($p: ID!) { startRevision(input: {documentId: $p}) { __typename } }""", {"p": world["plan"]})
    added = api("""mutation($p: ID!, $c: ID!) { addAction(input: {planId: $p, version: 2,
        action: {title: "More", leadCityId: $c, dueOn: "2027-09-01"}}) { __typename
        ... on ActionPlanPayload { affectedId } ... on UserError { message } } }""",
                {"p": world["plan"], "c": world["rostock"]})["addAction"]
    assert added["__typename"] == "ActionPlanPayload", added
    assert api("query($id: ID!) { node(id: $id) { __typename } }", {"id": added["affectedId"]})["node"] == {
        "__typename": "Action"}
    api("""mutation($p: ID!, $a: ID!) { addMilestone(input: {planId: $p, version: 2, actionId: $a,
        title: "Half way", dueOn: "2027-08-01"}) { __typename } }""", {"p": world["plan"], "a": added["affectedId"]})
    action = api("query($id: ID!) { node(id: $id) { ... on Action { milestones { id } } } }",
                 {"id": added["affectedId"]})["node"]
    assert api("query($id: ID!) { node(id: $id) { ... on Milestone { title } } }",
               {"id": action["milestones"][0]["id"]})["node"] == {"title": "Half way"}


def test_not_found_is_null_everywhere(api: Any, world: dict[str, str]) -> None:
    ghost = str(uuid5(DEMO_NAMESPACE, "ghost"))
    data = api("""query($w: ID!, $n: ID!, $c: ID!, $p: ID!) { workshop(id: $w) { id } network(id: $n) { id }
        city(id: $c) { id } actionPlan(id: $p) { id } node(id: $w) { id } aggregateHistory(id: $w) { position } }""",
               {"w": to_global_id("Workshop", ghost), "n": to_global_id("Network", ghost),
                "c": to_global_id("City", ghost), "p": to_global_id("ActionPlan", ghost)})
    assert set(data.values()) == {None}
    anonymous = api.as_actor("anonymous")
    assert anonymous("query($w: ID!) { workshop(id: $w) { id } }", {"w": world["secret"]}) == {"workshop": None}


@contextmanager
def counting(services: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = services.async_engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_per_parent_fields_cost_one_batch_not_one_query_per_parent(api: Any, services: Any,
                                                                  world: dict[str, str]) -> None:
    # Page sizes as literals: a variable page size is priced at the maximum (100) by the cost limit.
    query = """{ networks(first: %d) { edges { node {
        membersOn(on: "2020-01-01") { role } membershipHistory { role }
        members(first: 100) { edges { node { city { membershipHistory { role } } } } } } } }
      workshops(first: %d) { edges { node { overlappingWorkshops { id } freePlaces waitlistCount
        registrations { edges { node { position } } } } } } }"""
    counts = []
    for n in (1, 2, 5):
        with counting(services) as statements:
            api(query % (n, n))
        counts.append(len(statements))
    assert counts[0] == counts[1] == counts[2], counts


def test_repeated_queries_are_served_without_executing(api: Any, services: Any, world: dict[str, str]) -> None:
    query = "{ cities(first: 100) { totalCount } workshops(first: 100) { edges { node { title } } } }"
    first = api(query)
    with counting(services) as statements:
        assert api(query) == first
    assert statements == []
    anonymous = api.as_actor("anonymous")  # another visibility: its own answer
    assert "Secret drill" not in {e["node"]["title"] for e in anonymous(query)["workshops"]["edges"]}
    api("""mutation { registerCity(input: {name: "Kiel", countryCode: "DE", timeZone: "Europe/Berlin"}) {
        __typename } }""")
    assert api(query)["cities"]["totalCount"] == first["cities"]["totalCount"] + 1  # the position moved on
    twice = 'mutation { registerCity(input: {name: "Lübeck", countryCode: "DE", timeZone: "Europe/Berlin"}) { __typename } }'
    assert [api(twice)["registerCity"]["__typename"] for _ in range(2)] == ["RegisterCityPayload", "AlreadyExists"]


def test_get_queries_answer_etag_and_304(api: Any, world: dict[str, str]) -> None:
    params = {"query": "{ networks { edges { node { name } } } }"}
    headers = {"Authorization": f"Bearer {api.token}"}
    first = api.http.get("/graphql", params=params, headers=headers)
    etag = first.headers["etag"]
    assert first.status_code == 200 and first.headers["cache-control"] == "private, no-cache"
    again = api.http.get("/graphql", params=params, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    api("""mutation { registerCity(input: {name: "Kiel", countryCode: "DE", timeZone: "Europe/Berlin"}) {
        __typename } }""")  # moves the position; the networks did not change, so the tag still holds
    assert api.http.get("/graphql", params=params, headers={**headers, "If-None-Match": etag}).status_code == 304
    api("""mutation { foundNetwork(input: {name: "Test network", shortName: "TN", foundedOn: "2020-01-01"}) {
        __typename } }""")
    changed = api.http.get("/graphql", params=params, headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert "Test network" in {e["node"]["name"] for e in changed.json()["data"]["networks"]["edges"]}
    stale = api.http.get("/graphql", params=params, headers={**headers, "If-None-Match": '"nope"'})
    assert stale.status_code == 200 and stale.json()["data"]["networks"]


def test_a_request_with_several_authorization_headers_is_never_cached(api: Any, world: dict[str, str]) -> None:
    """The app reads the first header; caching such an answer under another caller's key leaked it (review)."""
    query = "{ workshops(first: 50) { totalCount edges { node { title meetingLink } } } }"
    outsider = mint_token(api.settings, "city_representative", str(uuid5(DEMO_NAMESPACE, "nowhere")))
    admin = mint_token(api.settings, "admin")
    both = api.http.post("/graphql", json={"query": query},
                         headers=[("Authorization", f"Bearer {admin}"), ("Authorization", f"Bearer {outsider}")])
    assert both.status_code in (200, 401)  # refused or answered, but never cached for another caller
    mine = api.http.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {outsider}"}).json()
    titles = {e["node"]["title"] for e in mine["data"]["workshops"]["edges"]}
    assert "Secret drill" not in titles and SECRET not in str(mine)


def test_every_id_in_the_audit_trail_is_a_node(api: Any, world: dict[str, str]) -> None:
    """Every aggregateId an auditor sees resolves with node: API objects as themselves, the records the
    service keeps for itself (CityName, Receipt, Calendar) as an AuditRecord, for history readers only."""
    api("""mutation { registerCity(input: {name: "Gdynia", countryCode: "PL", timeZone: "Europe/Warsaw",
        clientMutationId: "receipt-for-the-audit-test"}) { __typename } }""")  # leaves a Receipt
    auditor = api.as_actor("auditor")
    ids: dict[str, str] = {}
    after = None
    while True:
        page = auditor("""query($after: String) { events(first: 100, after: $after) {
            edges { node { aggregateId aggregateType } } pageInfo { hasNextPage endCursor } } }""",
                       {"after": after})["events"]
        ids.update({e["node"]["aggregateId"]: e["node"]["aggregateType"] for e in page["edges"]})
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert {"CityName", "Receipt", "Calendar", "City", "Network", "Workshop", "ActionPlan"} <= set(ids.values())
    for record, kind in ids.items():
        node = auditor("""query($id: ID!) { node(id: $id) { __typename id
            ... on AuditRecord { aggregateType version history { aggregateId } } } }""", {"id": record})["node"]
        assert node is not None and node["id"] == record, (kind, record)
        if kind in ("CityName", "Receipt", "Calendar", "Erasure"):
            assert node["__typename"] == "AuditRecord" and node["aggregateType"] == kind
            assert {e["aggregateId"] for e in node["history"]} == {record} and node["version"] >= 1
    internal = next(r for r, k in ids.items() if k == "Receipt")
    for role, city, networks in (("anonymous", None, ()), ("city_representative", str(VIENNA), ()),
                                 ("coordinator", None, (str(network_id_for("UBC")),))):
        assert api.as_actor(role, city, networks)("query($id: ID!) { node(id: $id) { id } }", {"id": internal})["node"] is None


def test_a_mutation_on_a_workshop_hidden_from_the_caller_is_not_found(api: Any, world: dict[str, str]) -> None:
    """A proposal the caller takes no part in is not found by a mutation either: no other error (not
    RegistrationClosed, not FORBIDDEN) tells that it exists or what state it is in."""
    from tests.api.results import possible

    errors = "__typename ... on NotFound { field id } ... on RegistrationClosed { status }"

    def mutate(client: Any, name: str, input_type: str, values: dict[str, Any]) -> dict[str, Any]:
        response = client.post(f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {possible(name, errors)} }} }}",
                               {"input": values}).json()
        return response["data"][name] if response.get("data") else response

    nowhere = str(uuid5(DEMO_NAMESPACE, "nowhere"))
    missing = to_global_id("Workshop", uuid5(DEMO_NAMESPACE, "no such workshop"))
    stranger = api.as_actor("city_representative", nowhere)
    for workshop in (world["secret"], missing):
        answer = mutate(stranger, "registerDelegate", "RegisterDelegateInput", {
            "workshopId": workshop, "cityId": to_global_id("City", nowhere), "name": "Ann Test",
            "email": "ann@nowhere.example", "function": "POLICE"})
        assert answer["__typename"] == "NotFound" and answer["field"] == "workshopId", answer
    foreign = api.as_actor("coordinator", None, (str(network_id_for("Efus")),))
    for workshop in (world["secret"], missing):
        answer = mutate(foreign, "scheduleWorkshop", "ScheduleWorkshopInput",
                        {"workshopId": workshop, "startDate": "2027-09-01", "endDate": "2027-09-02"})
        assert answer["__typename"] == "NotFound", answer
    partner = api.as_actor("city_representative", str(VIENNA))  # takes part: sees the proposal, so the real answer
    answer = mutate(partner, "registerDelegate", "RegisterDelegateInput", {
        "workshopId": world["secret"], "cityId": to_global_id("City", VIENNA), "name": "Ann Test",
        "email": "ann@vienna.example", "function": "POLICE"})
    assert answer == {"__typename": "RegistrationClosed", "status": "PROPOSED"}, answer
