"""Organisations over GraphQL, end to end, on both stores."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from citynet.graphql.ids import to_global_id
from citynet.services.demo import load_demo
from citynet.services.demo_organisations import ANCI_PIEMONTE, EUROMED, organisation_id

REGISTER = """
mutation($input: RegisterOrganisationInput!) {
  registerOrganisation(input: $input) {
    __typename
    ... on RegisterOrganisationPayload { id position organisation { id name kind countryCode description } }
    ... on UserError { message }
    ... on InvalidInput { field }
    ... on AlreadyExists { existingId }
    ... on NotAllowed { permission }
  }
}"""


def test_register_read_by_node_and_list_organisations(api: Any) -> None:
    done = api(REGISTER, {"input": {"name": "Law experts", "kind": "EXPERT_GROUP",
                                    "description": "Support Nice in Action 3."}})["registerOrganisation"]
    assert done["__typename"] == "RegisterOrganisationPayload"
    org = done["organisation"]
    assert org == {"id": done["id"], "name": "Law experts", "kind": "EXPERT_GROUP", "countryCode": None,
                   "description": "Support Nice in Action 3."}
    node = api("query($id: ID!) { node(id: $id) { __typename ... on Organisation { name kind } } }",
               {"id": org["id"]})["node"]
    assert node == {"__typename": "Organisation", "name": "Law experts", "kind": "EXPERT_GROUP"}
    again = api(REGISTER, {"input": {"name": "LAW  EXPERTS", "kind": "RESEARCH"}})["registerOrganisation"]
    assert again["__typename"] == "AlreadyExists" and again["existingId"] == org["id"]
    bad = api(REGISTER, {"input": {"name": "X", "kind": "AGENCY", "countryCode": "ZZ"}})["registerOrganisation"]
    assert bad == {"__typename": "InvalidInput", "message": bad["message"], "field": "countryCode"}
    listed = api("{ organisations(first: 5) { totalCount edges { node { name } } } }")["organisations"]
    assert listed["totalCount"] == 1 and listed["edges"][0]["node"]["name"] == "Law experts"


def test_who_may_register_an_organisation(api: Any) -> None:
    for role, kw in [("anonymous", {}), ("city_representative", {"city": str(uuid4())}), ("auditor", {})]:
        refused = api.as_actor(role, **kw)(REGISTER, {"input": {"name": "Law experts", "kind": "EXPERT_GROUP"}})
        assert refused["registerOrganisation"]["__typename"] == "NotAllowed"
        assert refused["registerOrganisation"]["permission"] == "organisation:register"
    coordinator = api.as_actor("coordinator", networks=(str(uuid4()),))
    done = coordinator(REGISTER, {"input": {"name": "Law experts", "kind": "EXPERT_GROUP"}})["registerOrganisation"]
    assert done["__typename"] == "RegisterOrganisationPayload"


def test_demo_organisations_are_public_and_filterable(api: Any, services: Any) -> None:
    load_demo(services)
    anonymous = api.as_actor("anonymous")
    data = anonymous("""{ organisations(kind: ASSOCIATION) { edges { node { name countryCode } } }
                          all: organisations(first: 50) { totalCount } }""")
    assert data["organisations"]["edges"] == [{"node": {"name": ANCI_PIEMONTE, "countryCode": "IT"}}]
    assert data["all"]["totalCount"] >= 5
    euromed = anonymous("query($id: ID!) { organisation(id: $id) { name kind } }",
                        {"id": to_global_id("Organisation", organisation_id(EUROMED))})["organisation"]
    assert euromed == {"name": EUROMED, "kind": "NETWORK"}
