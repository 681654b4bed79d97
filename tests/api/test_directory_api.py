"""The directory over GraphQL, end to end, on both stores."""

from __future__ import annotations

from typing import Any

from citynet.services.demo import load_demo

REGISTER = """
mutation($input: RegisterCityInput!) {
  registerCity(input: $input) {
    __typename
    ... on RegisterCityPayload { position city { id name countryCode timeZone } }
    ... on UserError { message }
    ... on InvalidInput { field }
    ... on AlreadyExists { existingId }
  }
}"""

FOUND = """
mutation($input: FoundNetworkInput!) {
  foundNetwork(input: $input) {
    __typename
    ... on FoundNetworkPayload { network { id shortName foundedOn } }
    ... on UserError { message }
    ... on InvalidInput { field }
  }
}"""

ADMIT = """
mutation($input: AdmitMemberInput!) {
  admitMember(input: $input) {
    __typename
    ... on MembershipPayload { position membership { role memberSince city { name } network { shortName } } }
    ... on UserError { message }
    ... on InvalidInput { field }
    ... on NotFound { field }
  }
}"""


def register(api: Any, name: str, country: str, zone: str) -> dict[str, Any]:
    return api(REGISTER, {"input": {"name": name, "countryCode": country, "timeZone": zone}})["registerCity"]


def found(api: Any, name: str, short: str, on: str) -> dict[str, Any]:
    return api(FOUND, {"input": {"name": name, "shortName": short, "foundedOn": on}})["foundNetwork"]


def test_a_coordinator_builds_a_network_and_reads_it_back(api: Any) -> None:
    rostock = register(api, "Rostock", "DE", "Europe/Berlin")["city"]
    liepaja = register(api, "Liepāja", "LV", "Europe/Riga")["city"]
    ubc = found(api, "Union of the Baltic Cities", "UBC", "1991-09-20")["network"]
    admitted = api(ADMIT, {"input": {"networkId": ubc["id"], "cityId": rostock["id"], "role": "FOUNDING_MEMBER", "since": "1991-09-20"}})
    assert admitted["admitMember"]["membership"] == {
        "role": "FOUNDING_MEMBER", "memberSince": "1991-09-20", "city": {"name": "Rostock"}, "network": {"shortName": "UBC"},
    }
    api(ADMIT, {"input": {"networkId": ubc["id"], "cityId": liepaja["id"], "since": "1993-10-01"}})
    commission = api(
        """mutation($input: AddCommissionInput!) { addCommission(input: $input) {
             ... on CommissionPayload { commission { id name } } } }""",
        {"input": {"networkId": ubc["id"], "name": "Safe Cities Commission"}},
    )["addCommission"]["commission"]
    headed = api(
        """mutation($input: CommissionMemberInput!) { nameCommissionHead(input: $input) {
             __typename ... on CommissionPayload { commission { name head { name } members { name } } } } }""",
        {"input": {"commissionId": commission["id"], "cityId": liepaja["id"]}},
    )["nameCommissionHead"]
    assert headed["commission"] == {"name": "Safe Cities Commission", "head": {"name": "Liepāja"}, "members": [{"name": "Liepāja"}]}
    assigned = api(
        """mutation($input: CommissionMemberInput!) { assignCommissionMember(input: $input) {
             __typename ... on CommissionPayload { commission { members { name } } } } }""",
        {"input": {"commissionId": commission["id"], "cityId": rostock["id"]}},
    )["assignCommissionMember"]
    assert assigned["commission"]["members"] == [{"name": "Liepāja"}, {"name": "Rostock"}]
    changed = api(
        """mutation($input: ChangeMemberRoleInput!) { changeMemberRole(input: $input) {
             __typename ... on MembershipPayload { membership { role roleSince memberSince } } } }""",
        {"input": {"networkId": ubc["id"], "cityId": liepaja["id"], "role": "LEAD_PARTNER", "on": "2020-01-01"}},
    )["changeMemberRole"]
    assert changed["membership"] == {"role": "LEAD_PARTNER", "roleSince": "2020-01-01", "memberSince": "1993-10-01"}
    left = api(
        """mutation($input: RecordMemberLeftInput!) { recordMemberLeft(input: $input) {
             __typename ... on RecordMemberLeftPayload { network { members { totalCount } } city { networks { shortName } } } } }""",
        {"input": {"networkId": ubc["id"], "cityId": liepaja["id"], "on": "2022-01-01"}},
    )["recordMemberLeft"]
    assert left["network"]["members"]["totalCount"] == 1 and left["city"]["networks"] == []
    history = api(
        """query($id: ID!) { network(id: $id) {
             on2021: membersOn(on: "2021-06-01") { role city { name } }
             on2023: membersOn(on: "2023-06-01") { role city { name } }
             commissions { name head { name } members { name } } } }""",
        {"id": ubc["id"]},
    )["network"]
    assert {(m["city"]["name"], m["role"]) for m in history["on2021"]} == {("Liepāja", "LEAD_PARTNER"), ("Rostock", "FOUNDING_MEMBER")}
    assert history["on2023"] == [{"role": "FOUNDING_MEMBER", "city": {"name": "Rostock"}}]
    # Leaving ended Liepāja's headship and commission work.
    assert history["commissions"] == [{"name": "Safe Cities Commission", "head": None, "members": [{"name": "Rostock"}]}]


def test_demo_queries_from_the_readme(api: Any, services: Any) -> None:
    load_demo(services)
    data = api("""{
      networks { totalCount edges { node { shortName foundedOn
        commissions { name head { name } }
        members(first: 50) { edges { node { role memberSince city { name } } } } } } }
      bridgeCities { edges { node { name memberships { role memberSince network { shortName } } } } }
    }""")
    networks = {e["node"]["shortName"]: e["node"] for e in data["networks"]["edges"]}
    assert {k: v["foundedOn"][:4] for k, v in networks.items()} == {"ICNCM": "2003", "UBC": "1991", "Efus": "1987"}
    safe = next(c for c in networks["UBC"]["commissions"] if c["name"] == "Safe Cities Commission")
    assert safe["head"] == {"name": "Liepāja"}
    bridges = {e["node"]["name"]: e["node"]["memberships"] for e in data["bridgeCities"]["edges"]}
    assert {(m["network"]["shortName"], m["role"], m["memberSince"]) for m in bridges["Rostock"]} == {
        ("UBC", "FOUNDING_MEMBER", "1991-09-20"), ("ICNCM", "MEMBER", "2016-01-01"),
    }


def test_pagination_walks_every_city_once(api: Any, services: Any) -> None:
    load_demo(services)
    query = "query($after: String) { cities(first: 5, after: $after) { totalCount edges { node { name } } pageInfo { hasNextPage endCursor } } }"
    names, after = [], None
    while True:
        page = api(query, {"after": after})["cities"]
        names += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    from citynet.services.demo import CITIES
    from citynet.services.demo_projects import GROUP_CITIES

    # The directory's cities, and the PACTESUR group cities the demo projects add (decision 015).
    assert len(names) == page["totalCount"] == len(set(names)) == len({c[:2] for c in CITIES + GROUP_CITIES})
    assert names == sorted(names)


def test_node_ids_are_global_and_stable(api: Any, services: Any) -> None:
    load_demo(services)
    first = api("{ networks { edges { node { id shortName } } } }")["networks"]["edges"]
    for edge in first:
        node = api("query($id: ID!) { node(id: $id) { id ... on Network { shortName } } }", {"id": edge["node"]["id"]})["node"]
        assert node == edge["node"]


def test_a_client_reads_its_write_from_another_server_by_position(api: Any) -> None:
    created = register(api, "Vienna", "AT", "Europe/Vienna")
    response = api.post("{ cities { totalCount } }", headers={"X-Citynet-Min-Position": str(created["position"])})
    assert response.status_code == 200 and response.json()["data"]["cities"]["totalCount"] == 1


def test_health_and_readiness(api: Any) -> None:
    assert api.http.get("/health").json() == {"status": "ok"}
    register(api, "Vienna", "AT", "Europe/Vienna")
    ready = api.http.get("/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
