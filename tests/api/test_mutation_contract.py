"""The mutation contract partner frontends build on: one union per mutation, idempotency keys, one error style."""

from __future__ import annotations

import re
from typing import Any

import pytest

from citynet.graphql.errors import GRAPHQL_ERROR
from citynet.graphql.ids import from_global_id
from citynet.graphql.schema import build_schema
from citynet.services.commands.base import HANDLERS
from citynet.services.demo import load_demo

UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
COMMANDS = {cls.command_name(): cls for cls in HANDLERS}


def _named(t: Any) -> Any:
    while hasattr(t, "of_type"):
        t = t.of_type
    return t


def _mutations() -> dict[str, Any]:
    return dict(build_schema()._schema.mutation_type.fields)


def test_every_mutation_is_one_command_and_every_command_a_mutation() -> None:
    assert set(_mutations()) == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_union_lists_exactly_its_commands_errors(name: str) -> None:
    field = _mutations()[name]
    union = _named(field.type)
    assert union.name == name[0].upper() + name[1:] + "Result", "one union per mutation, named for it"
    payloads = [t for t in union.types if "MutationPayload" in {i.name for i in t.interfaces}]
    errors = {t.name for t in union.types} - {p.name for p in payloads}
    assert len(payloads) == 1
    assert errors == {GRAPHQL_ERROR[e].__name__ for e in COMMANDS[name].errors()}
    assert "clientMutationId" in _named(field.args["input"].type).fields


def _register(api: Any, name: str, key: str | None = None, client: Any = None) -> dict[str, Any]:
    values: dict[str, Any] = {"name": name, "countryCode": "DE", "timeZone": "Europe/Berlin"}
    if key is not None:
        values["clientMutationId"] = key
    return (client or api)("""mutation($input: RegisterCityInput!) { registerCity(input: $input) {
        __typename
        ... on MutationPayload { id position clientMutationId replayed readModelCurrent }
        ... on RegisterCityPayload { city { id name } }
        ... on UserError { message }
        ... on InvalidInput { field }
        ... on IdempotencyKeyReused { clientMutationId firstMutation }
    } }""", {"input": values})["registerCity"]


def test_a_repeated_client_mutation_id_answers_the_first_result(api: Any, services: Any) -> None:
    first = _register(api, "Kiel", "7a9d3c1e-kiel")
    head = services.projector.head()
    again = _register(api, "Kiel", "7a9d3c1e-kiel")
    assert first["__typename"] == again["__typename"] == "RegisterCityPayload"
    assert (again["id"], again["position"], again["city"]) == (first["id"], first["position"], first["city"])
    assert again["clientMutationId"] == "7a9d3c1e-kiel" and (first["replayed"], again["replayed"]) == (False, True)
    assert services.projector.head() == head

    other = _register(api, "Lübeck", "7a9d3c1e-kiel")
    assert other["__typename"] == "IdempotencyKeyReused" and other["firstMutation"] == "registerCity"
    bad = _register(api, "Lübeck", "with space")
    assert bad["__typename"] == "InvalidInput" and bad["field"] == "clientMutationId"
    assert services.projector.head() == head, "refusals store nothing"


def test_a_committed_mutation_answers_success_while_the_projections_fail(api: Any, services: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    async def projections_fail(position: int, timeout: float = 5.0) -> bool:
        raise RuntimeError("projection failed")

    async def read_model_down(self: Any, ids: list[str]) -> dict[str, Any]:
        raise RuntimeError("read model unavailable")

    monkeypatch.setattr(services, "wait_for_position", projections_fail)
    monkeypatch.setattr(type(services.reads), "cities_by_id", read_model_down)
    result = _register(api, "Kiel")
    assert result["__typename"] == "RegisterCityPayload" and result["readModelCurrent"] is False
    assert result["city"] is None and result["id"] and result["position"] <= services.projector.head()
    assert services.app.exists(from_global_id(result["id"], "City", "id")[0])

    async def lagging(position: int, timeout: float = 5.0) -> bool:
        return False

    monkeypatch.setattr(services, "wait_for_position", lagging)
    late = _register(api, "Lübeck")
    assert late["__typename"] == "RegisterCityPayload" and late["readModelCurrent"] is False

    monkeypatch.undo()  # fixed: the writes are readable at their positions
    response = api.post("query($id: ID!) { node(id: $id) { ... on City { name } } }", {"id": result["id"]},
                        headers={"X-Citynet-Min-Position": str(late["position"])})
    assert response.json()["data"]["node"] == {"name": "Kiel"}


ERRORS = """__typename ... on UserError { message } ... on NotFound { field id }
  ... on NotAMember { cityId networkId } ... on NotAPartner { field cityId documentId }
  ... on AlreadyEndorsed { cityId decision } ... on RegistrationClosed { status }"""


def test_errors_name_records_by_global_id_and_enums_as_enums(api: Any, services: Any) -> None:
    load_demo(services)
    data = api("""{ networks { edges { node { id shortName } } } cities(first: 50) { edges { node { id name } } }
                    workshops(first: 10) { edges { node { id topic } } } protocols { edges { node { id } } } }""")
    ids = {e["node"]["shortName"]: e["node"]["id"] for e in data["networks"]["edges"]}
    ids.update({e["node"]["name"]: e["node"]["id"] for e in data["cities"]["edges"]})
    ids.update({e["node"]["topic"]: e["node"]["id"] for e in data["workshops"]["edges"]})
    protocol = data["protocols"]["edges"][0]["node"]["id"]
    missing_city = "Q2l0eTowMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDA"  # City:00000000-0000-4000-8000-...

    def mutate(name: str, input_type: str, values: dict[str, Any]) -> dict[str, Any]:
        from tests.api.results import possible

        return api(f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {possible(name, ERRORS)} }} }}",
                   {"input": values})[name]

    not_found = mutate("admitMember", "AdmitMemberInput",
                       {"networkId": ids["UBC"], "cityId": missing_city, "since": "2020-01-01"})
    assert not_found == {"__typename": "NotFound", "field": "cityId", "id": missing_city,
                         "message": f"cityId: there is no City with the id {missing_city}"}
    not_member = mutate("changeMemberRole", "ChangeMemberRoleInput",
                        {"networkId": ids["UBC"], "cityId": ids["Vienna"], "role": "OBSERVER", "on": "2020-01-01"})
    assert not_member["__typename"] == "NotAMember" and ids["Vienna"] in not_member["message"]
    not_partner = mutate("registerDelegate", "RegisterDelegateInput", {
        "workshopId": ids["crisis communication"], "cityId": ids["Riga"], "name": "Ann Test",
        "email": "ann.test@riga.example", "function": "POLICE"})
    assert not_partner["__typename"] == "NotAPartner" and not_partner["documentId"] == ids["crisis communication"]
    closed = mutate("registerDelegate", "RegisterDelegateInput", {
        "workshopId": ids["energy shortage"], "cityId": ids["Rostock"], "name": "Ann Test",
        "email": "ann.test@rostock.example", "function": "POLICE"})
    assert closed["__typename"] == "RegistrationClosed" and closed["status"] == "HELD"
    endorsed = mutate("answerVersion", "AnswerVersionInput", {
        "documentId": protocol, "version": 1, "cityId": ids["Rostock"], "signedBy": "M", "signatoryRole": "Mayor"})
    assert endorsed["__typename"] == "AlreadyEndorsed" and endorsed["decision"] == "ENDORSE"
    for error in (not_found, not_member, not_partner, closed, endorsed):
        assert not UUID_TEXT.search(error["message"]), error["message"]
