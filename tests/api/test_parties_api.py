"""Parties, declarations and signatures over GraphQL (both stores)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from citynet.graphql.ids import to_global_id

SETUP = """mutation($nice: RegisterCityInput!, $efus: FoundNetworkInput!, $law: RegisterOrganisationInput!) {
  nice: registerCity(input: $nice) { ... on RegisterCityPayload { id } }
  efus: foundNetwork(input: $efus) { ... on FoundNetworkPayload { id } }
  law: registerOrganisation(input: $law) { ... on RegisterOrganisationPayload { id } }
}"""

DRAFT = """mutation($input: DraftActionPlanInput!) { draftActionPlan(input: $input) {
  __typename ... on ActionPlanPayload { id } ... on UserError { message } ... on InvalidInput { field }
  ... on NotFound { field id } } }"""

ADD = """mutation($input: AddActionInput!) { addAction(input: $input) {
  __typename ... on UserError { message } ... on InvalidInput { field } ... on NotAPartner { field }
  ... on ActionPlanPayload { actionPlan { actions { title leadCity { name }
      responsibleParties { __typename ... on City { name } ... on Organisation { name } }
      supportingParties { __typename ... on Network { shortName } ... on Organisation { name } } } } } } }"""


def _setup(api: Any) -> dict[str, str]:
    data = api(SETUP, {"nice": {"name": "Nice", "countryCode": "FR", "timeZone": "Europe/Paris"},
                       "efus": {"name": "European Forum for Urban Security", "shortName": "Efus",
                                "foundedOn": "1987-01-01"},
                       "law": {"name": "Law experts", "kind": "EXPERT_GROUP"}})
    ids = {k: v["id"] for k, v in data.items()}
    admitted = api("""mutation($n: ID!, $c: ID!) { admitMember(input: {networkId: $n, cityId: $c, since: "2010-01-01"})
                      { __typename } }""", {"n": ids["efus"], "c": ids["nice"]})
    assert admitted["admitMember"]["__typename"] == "MembershipPayload"
    return ids


def test_actions_and_signatures_name_parties_of_every_kind(api: Any) -> None:
    ids = _setup(api)
    plan = api(DRAFT, {"input": {"title": "Action 3", "networkIds": [ids["efus"]], "partnerCityIds": [ids["nice"]],
                                 "partnerPartyIds": [ids["efus"], ids["law"]], "startsOn": "2020-01-01"}})
    plan_id = plan["draftActionPlan"]["id"]
    added = api(ADD, {"input": {"planId": plan_id, "version": 1, "action": {
        "title": "Legal overview", "dueOn": "2022-12-31", "responsiblePartyIds": [ids["nice"]],
        "supportingPartyIds": [ids["law"], ids["efus"]]}}})["addAction"]
    (action,) = added["actionPlan"]["actions"]
    assert action["leadCity"] == {"name": "Nice"}
    assert action["responsibleParties"] == [{"__typename": "City", "name": "Nice"}]
    assert action["supportingParties"] == [{"__typename": "Organisation", "name": "Law experts"},
                                           {"__typename": "Network", "shortName": "Efus"}]
    by_org = api(ADD, {"input": {"planId": plan_id, "version": 1, "action": {
        "title": "Organisation-led", "dueOn": "2022-12-31", "responsiblePartyIds": [ids["law"]]}}})["addAction"]
    assert next(a for a in by_org["actionPlan"]["actions"] if a["title"] == "Organisation-led")[
        "leadCity"] is None

    declared = api("""mutation($input: DraftDeclarationInput!) { draftDeclaration(input: $input) {
        __typename ... on DeclarationPayload { id declaration { status furtherSignatories adoptedIn } } } }""",
                   {"input": {"title": "Declaration of Nice", "networkIds": [ids["efus"]],
                              "signatoryIds": [ids["nice"], ids["efus"]], "adoptedIn": "2017-09",
                              "furtherSignatories": 60, "furtherSignatoriesNote": "mayors from 18 countries"}})
    declaration = declared["draftDeclaration"]
    assert declaration["declaration"] == {"status": "DRAFT", "furtherSignatories": 60, "adoptedIn": "2017-09"}
    api("""mutation($d: ID!) { proposeVersion(input: {documentId: $d, version: 1}) { __typename } }""",
        {"d": declaration["id"]})
    sign = """mutation($input: AnswerVersionInput!) { answerVersion(input: $input) { __typename
      ... on UserError { message } ... on InvalidInput { field } ... on NotAPartner { field }
      ... on DocumentPayload { document { status ... on Declaration { signatories { __typename } } } } } }"""
    both = api(sign, {"input": {"documentId": declaration["id"], "version": 1, "cityId": ids["nice"],
                                "partyId": ids["nice"], "signedBy": "x", "signatoryRole": "y"}})["answerVersion"]
    assert both["__typename"] == "InvalidInput" and both["field"] == "partyId"
    stranger = api(sign, {"input": {"documentId": declaration["id"], "version": 1, "partyId": ids["law"],
                                    "signedBy": "x", "signatoryRole": "y"}})["answerVersion"]
    assert stranger["__typename"] == "NotAPartner" and stranger["field"] == "partyId"
    assert stranger["message"].startswith(f"partyId: the organisation {ids['law']} is not a partner")
    api(sign, {"input": {"documentId": declaration["id"], "version": 1, "partyId": ids["nice"],
                         "signedBy": "City of Nice", "signatoryRole": "Co-signatory"}})
    done = api(sign, {"input": {"documentId": declaration["id"], "version": 1, "partyId": ids["efus"],
                                "signedBy": "Efus", "signatoryRole": "Co-signatory"}})["answerVersion"]
    assert done["document"]["status"] == "ADOPTED"
    assert sorted(s["__typename"] for s in done["document"]["signatories"]) == ["City", "Network"]
    node = api("query($id: ID!) { node(id: $id) { __typename ... on Declaration { title } } }",
               {"id": declaration["id"]})["node"]
    assert node == {"__typename": "Declaration", "title": "Declaration of Nice"}


def test_party_ids_of_the_wrong_kind_or_unknown_are_typed_errors(api: Any) -> None:
    ids = _setup(api)
    base = {"title": "P", "networkIds": [ids["efus"]], "partnerCityIds": [ids["nice"]], "startsOn": "2020-01-01"}
    workshop = to_global_id("Workshop", uuid4())
    wrong = api(DRAFT, {"input": {**base, "partnerPartyIds": [workshop]}})["draftActionPlan"]
    assert wrong["__typename"] == "InvalidInput" and wrong["field"] == "partnerPartyIds"
    unknown = to_global_id("Organisation", uuid4())
    missing = api(DRAFT, {"input": {**base, "partnerPartyIds": [unknown]}})["draftActionPlan"]
    assert missing["__typename"] == "NotFound" and missing["field"] == "partnerPartyIds" and missing["id"] == unknown
    count = api("{ actionPlans { totalCount } }")["actionPlans"]["totalCount"]
    assert count == 0, "refusals store nothing"
