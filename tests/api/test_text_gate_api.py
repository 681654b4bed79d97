"""Issue 9, domain side, through the API on both stores: a control character in any command text is a typed
InvalidInput naming the field, and nothing is stored."""

from __future__ import annotations

from typing import Any

from citynet.services.demo import load_demo


def test_nul_in_command_text_is_refused_and_stores_nothing(api: Any, services: Any) -> None:
    load_demo(services)
    head = services.projector.head()
    city = api("""mutation { registerCity(input: {name: "Bad\\u0000Name", countryCode: "DE", timeZone: "Europe/Berlin"}) {
        __typename ... on InvalidInput { field } } }""")["registerCity"]
    assert city == {"__typename": "InvalidInput", "field": "name"}
    plan = api("{ actionPlans { edges { node { id actions { id title } } } } }")["actionPlans"]["edges"][0]["node"]
    action = next(a for a in plan["actions"] if a["title"] == "Publish the list to partner crisis staffs")
    report = """mutation($input: ReportProgressInput!) { reportProgress(input: $input) {
        __typename ... on InvalidInput { field } } }"""
    for note in ("ok\u0000", "ok\u001b[31m", "ok\u0085"):
        refused = api(report, {"input": {"planId": plan["id"], "actionId": action["id"], "progress": 50, "note": note}})
        assert refused["reportProgress"] == {"__typename": "InvalidInput", "field": "note"}, note
    assert services.projector.head() == head
    accepted = api(report, {"input": {"planId": plan["id"], "actionId": action["id"], "progress": 50,
                                      "note": "first line\nsecond line"}})
    assert accepted["reportProgress"]["__typename"] == "ActionPlanPayload"
    assert services.projector.head() > head
