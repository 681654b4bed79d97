"""Bad input: a clear error naming the field, the right HTTP status, nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from citynet.services.demo import load_demo
from tests.api.test_directory_api import ADMIT, REGISTER

UNKNOWN_CITY = "Q2l0eTowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA"  # City:0000...


@pytest.fixture
def demo(api: Any, services: Any) -> dict[str, str]:
    load_demo(services)
    edges = api("{ networks { edges { node { id shortName } } } cities(first: 50) { edges { node { id name } } } }")
    ids = {e["node"]["shortName"]: e["node"]["id"] for e in edges["networks"]["edges"]}
    ids.update({e["node"]["name"]: e["node"]["id"] for e in edges["cities"]["edges"]})
    return ids


def head(services: Any) -> int:
    return services.projector.head()


@pytest.mark.parametrize(
    ("city", "typename", "field"),
    [
        ({"name": "", "countryCode": "DE", "timeZone": "Europe/Berlin"}, "InvalidInput", "name"),
        ({"name": "Kiel", "countryCode": "XX", "timeZone": "Europe/Berlin"}, "InvalidInput", "countryCode"),
        ({"name": "Kiel", "countryCode": "DE", "timeZone": "Europe/Kiel"}, "InvalidInput", "timeZone"),
        ({"name": "Rostock", "countryCode": "DE", "timeZone": "Europe/Berlin"}, "AlreadyExists", None),
    ],
)
def test_register_city_refusals(api: Any, services: Any, demo: Any, city: dict, typename: str, field: str | None) -> None:
    before = head(services)
    result = api(REGISTER, {"input": city})["registerCity"]
    assert result["__typename"] == typename and result["message"]
    if field:
        assert result["field"] == field
    else:
        assert result["existingId"] == demo["Rostock"]
    assert head(services) == before


@pytest.mark.parametrize(
    ("change", "typename", "field"),
    [
        ({"cityId": UNKNOWN_CITY}, "NotFound", "cityId"),
        ({"cityId": "not-an-id"}, "InvalidInput", "cityId"),
        ({"networkId": "Q2l0eTox"}, "InvalidInput", "networkId"),
        ({"since": "1985-01-01"}, "InvalidInput", "since"),
        ({"cityId": "Rostock"}, "AlreadyMember", None),
    ],
)
def test_admit_member_refusals(api: Any, services: Any, demo: Any, change: dict, typename: str, field: str | None) -> None:
    values = {"networkId": demo["UBC"], "cityId": demo["Vienna"], "since": "2010-01-01", **change}
    if values["cityId"] in demo:
        values["cityId"] = demo[values["cityId"]]
    before = head(services)
    result = api(ADMIT, {"input": values})["admitMember"]
    assert result["__typename"] == typename, result
    if field:
        assert result["field"] == field
    assert head(services) == before


def test_leaving_a_network_one_is_not_in(api: Any, services: Any, demo: Any) -> None:
    before = head(services)
    result = api(
        """mutation($input: RecordMemberLeftInput!) { recordMemberLeft(input: $input) {
             __typename ... on NotAMember { message networkId cityId } } }""",
        {"input": {"networkId": demo["ICNCM"], "cityId": demo["Riga"], "on": "2020-01-01"}},
    )["recordMemberLeft"]
    assert result["__typename"] == "NotAMember" and result["cityId"] == demo["Riga"]
    assert head(services) == before


def test_head_of_commission_must_be_a_member(api: Any, services: Any, demo: Any) -> None:
    commission = api(
        "query($id: ID!) { network(id: $id) { commissions { id name } } }", {"id": demo["UBC"]}
    )["network"]["commissions"][0]
    before = head(services)
    result = api(
        """mutation($input: CommissionMemberInput!) { nameCommissionHead(input: $input) { __typename } }""",
        {"input": {"commissionId": commission["id"], "cityId": demo["Vienna"]}},
    )["nameCommissionHead"]
    assert result["__typename"] == "NotAMember"
    assert head(services) == before


# Request errors (parse, validation, variable coercion) carry no data: 400 under
# application/graphql-response+json, 200 under the legacy application/json these send.
def test_malformed_date_is_a_request_error_naming_the_field(api: Any, services: Any, demo: Any) -> None:
    before = head(services)
    response = api.post(ADMIT, {"input": {"networkId": demo["UBC"], "cityId": demo["Vienna"], "since": "2020-13-45"}})
    assert response.status_code == 200 and "data" not in response.json()
    message = response.json()["errors"][0]["message"]
    assert "since" in message and "Date" in message
    assert head(services) == before


def test_malformed_graphql_is_a_request_error(api: Any) -> None:
    response = api.post("{ networks { edges ")
    assert response.status_code == 200 and "data" not in response.json()
    assert response.json()["errors"][0]["message"].startswith("Syntax Error")
    assert "Traceback" not in response.text


def test_unknown_field_is_a_400_under_graphql_response_json(api: Any) -> None:
    response = api.post("{ networks { nope } }", headers={"Accept": "application/graphql-response+json"})
    assert response.status_code == 400 and "data" not in response.json()


def test_unknown_and_malformed_ids_in_queries_name_the_argument(api: Any) -> None:
    # not found is null, as `node` answers (Relay); a malformed id is the client's mistake
    assert api("query($id: ID!) { city(id: $id) { name } }", {"id": UNKNOWN_CITY}) == {"city": None}
    response = api.post("query($id: ID!) { network(id: $id) { name } }", {"id": "garbage"})
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}
    assert api("query($id: ID!) { node(id: $id) { id } }", {"id": UNKNOWN_CITY}) == {"node": None}


def test_malformed_cursor_and_page_size(api: Any) -> None:
    error = api.post('{ cities(after: "bm9wZQ") { totalCount } }').json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
    error = api.post("{ cities(first: 1000) { totalCount } }").json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


def test_depth_and_alias_limits(api: Any) -> None:
    deep = "{ networks { edges { node { members { edges { node { city { networks { members { edges { node { city { name } } } } } } } } } } } } }"
    response = api.post(deep)
    assert "data" not in response.json() and "exceeds maximum operation depth" in response.json()["errors"][0]["message"]
    aliases = "{ " + " ".join(f"a{i}: readPosition" for i in range(20)) + " }"
    response = api.post(aliases)
    assert "data" not in response.json() and response.json()["errors"]


def test_bad_min_position_header(api: Any) -> None:
    response = api.post("{ readPosition }", headers={"X-Citynet-Min-Position": "soon"})
    assert response.status_code == 400
