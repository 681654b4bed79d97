"""Action plans and protocols over GraphQL, on both stores."""

from __future__ import annotations

from typing import Any

import pytest

from citynet.services.demo import load_demo
from tests.api.results import possible

DOC = """
  __typename
  ... on UserError { message }
  ... on InvalidInput { field }
  ... on NotAPartner { field cityId }
  ... on VersionFrozen { version status }
  ... on VersionSuperseded { version currentVersion }
"""
PLAN_FIELDS = """id title status currentVersion adoptedVersion progress
  actions { id title status progress rolledUpProgress overdue parentId responsibleCity { name } leadCity { name } }"""


def mutate(api: Any, name: str, input_type: str, values: dict[str, Any], payload: str = "") -> dict[str, Any]:
    query = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {possible(name, DOC + payload)} }} }}"
    return api(query, {"input": values})[name]


def plan_payload() -> str:
    return "... on ActionPlanPayload { affectedId actionPlan { %s } }" % PLAN_FIELDS


def doc_payload() -> str:
    return ("... on AlreadyEndorsed { version decision } ... on DocumentPayload { document { id status currentVersion adoptedVersion "
            "versions { number status endorsedCount endorsements { decision signedBy city { name } } } } }")


@pytest.fixture
def ids(api: Any, services: Any) -> dict[str, str]:
    load_demo(services)
    data = api("""{ networks { edges { node { id shortName } } } cities(first: 50) { edges { node { id name } } }
        actionPlans { edges { node { id title } } } protocols { edges { node { id title } } } }""")
    out = {e["node"]["shortName"]: e["node"]["id"] for e in data["networks"]["edges"]}
    out.update({e["node"]["name"]: e["node"]["id"] for e in data["cities"]["edges"]})
    out["plan"] = data["actionPlans"]["edges"][0]["node"]["id"]
    out["protocol"] = data["protocols"]["edges"][0]["node"]["id"]
    return out


def new_plan(api: Any, ids: dict[str, str], **extra: Any) -> dict[str, Any]:
    result = mutate(api, "draftActionPlan", "DraftActionPlanInput", {
        "title": "Warning test plan", "networkIds": [ids["ICNCM"]], "startsOn": "2026-01-01",
        "partnerCityIds": [ids["Vienna"], ids["Ljubljana"], ids["Rostock"]], **extra}, plan_payload())
    assert result["__typename"] == "ActionPlanPayload", result
    return result["actionPlan"]


def add_action(api: Any, plan: str, version: int, lead: str, **extra: Any) -> dict[str, Any]:
    values = {"planId": plan, "version": version, "action": {
        "title": extra.pop("title", "Siren test"), "leadCityId": lead, "dueOn": extra.pop("dueOn", "2026-06-30"),
        **extra.pop("action", {})}, **extra}
    return mutate(api, "addAction", "AddActionInput", values, plan_payload())


def adopt(api: Any, ids: dict[str, str], plan: str) -> None:
    mutate(api, "proposeVersion", "ProposeVersionInput", {"documentId": plan, "version": 1}, doc_payload())
    for city in ("Vienna", "Ljubljana", "Rostock"):
        mutate(api, "answerVersion", "AnswerVersionInput", {"documentId": plan, "version": 1, "cityId": ids[city],
               "signedBy": f"Mayor of {city}", "signatoryRole": "Mayor"}, doc_payload())


def test_demo_plan_and_protocol(api: Any, ids: dict[str, str]) -> None:
    plan = api("query($id: ID!) { actionPlan(id: $id) { %s workshops { title } partners { name } } }" % PLAN_FIELDS,
               {"id": ids["plan"]})["actionPlan"]
    assert (plan["status"], plan["adoptedVersion"]) == ("ADOPTED", 1)
    assert {a["responsibleCity"]["name"] for a in plan["actions"]} == {"Rostock", "Vienna", "Liepāja", "Ljubljana"}
    contact = next(a for a in plan["actions"] if a["title"] == "Shared crisis-communication contact list")
    assert contact["rolledUpProgress"] == pytest.approx((1 * 100 + 2 * 40) / 3, abs=0.01)
    assert plan["workshops"] == [{"title": "Crisis management in case of energy shortages"}]
    protocol = api("""query($id: ID!) { protocol(id: $id) { title crisisType status
        steps { position instruction responsibleRole timeFrame }
        versions { number endorsements { city { name } signedBy } } } }""", {"id": ids["protocol"]})["protocol"]
    assert protocol["crisisType"] == "SHELTERING_LARGE_GROUPS" and protocol["status"] == "PROPOSED"
    assert len(protocol["steps"]) == 4 and protocol["steps"][0]["position"] == 0
    assert {e["city"]["name"] for e in protocol["versions"][0]["endorsements"]} == {"Rostock", "Liepāja"}


def test_draft_endorse_adopt_revise(api: Any, ids: dict[str, str], services: Any) -> None:
    plan = new_plan(api, ids)
    added = add_action(api, plan["id"], 1, ids["Vienna"], title="Test sirens")
    action_id = added["affectedId"]
    sub = add_action(api, plan["id"], 1, ids["Rostock"], title="Buy sirens", parentActionId=action_id,
                     action={"weight": 2})
    assert sub["__typename"] == "ActionPlanPayload"
    proposed = mutate(api, "proposeVersion", "ProposeVersionInput", {"documentId": plan["id"], "version": 1}, doc_payload())
    assert proposed["document"]["status"] == "PROPOSED"
    frozen = add_action(api, plan["id"], 1, ids["Vienna"], title="Late")
    assert frozen["__typename"] == "VersionFrozen" and frozen["status"] == "PROPOSED"
    for city in ("Vienna", "Ljubljana", "Rostock"):
        answered = mutate(api, "answerVersion", "AnswerVersionInput", {"documentId": plan["id"], "version": 1,
                          "cityId": ids[city], "signedBy": f"Mayor of {city}", "signatoryRole": "Mayor"}, doc_payload())
    assert answered["document"]["status"] == "ADOPTED" and answered["document"]["adoptedVersion"] == 1
    twice = mutate(api, "answerVersion", "AnswerVersionInput", {"documentId": plan["id"], "version": 1,
                   "cityId": ids["Vienna"], "signedBy": "Mayor", "signatoryRole": "Mayor"}, doc_payload())
    assert twice["__typename"] in ("AlreadyEndorsed", "VersionSuperseded")
    revised = mutate(api, "startRevision", "StartRevisionInput", {"documentId": plan["id"]}, doc_payload())
    assert revised["document"]["currentVersion"] == 2 and revised["document"]["status"] == "DRAFT"
    in_place = add_action(api, plan["id"], 1, ids["Vienna"], title="Edit adopted in place")
    assert in_place["__typename"] == "VersionFrozen" and in_place["status"] == "ADOPTED"
    add_action(api, plan["id"], 2, ids["Ljubljana"], title="Warning app")
    mutate(api, "updateAction", "UpdateActionInput", {"planId": plan["id"], "version": 2, "actionId": action_id,
           "action": {"title": "Test all sirens", "leadCityId": ids["Vienna"], "dueOn": "2026-07-31"}})
    diff = api("""query($id: ID!) { actionPlan(id: $id) { diff(fromVersion: 1, toVersion: 2) {
        ... on VersionDiff { added { title } removed { title } changed { title fields } } }
        v1: version(number: 1) { status actions { title } endorsements { city { name } } } } }""",
               {"id": plan["id"]})["actionPlan"]
    assert diff["diff"]["added"] == [{"title": "Warning app"}] and diff["diff"]["removed"] == []
    assert diff["diff"]["changed"] == [{"title": "Test all sirens", "fields": ["dueOn", "title"]}]
    assert diff["v1"]["status"] == "ADOPTED" and {a["title"] for a in diff["v1"]["actions"]} == {"Test sirens", "Buy sirens"}
    # Version 2 was not endorsed by anyone: endorsing v1 said nothing about it.
    v2 = mutate(api, "proposeVersion", "ProposeVersionInput", {"documentId": plan["id"], "version": 2}, doc_payload())
    assert [v["endorsedCount"] for v in v2["document"]["versions"]] == [3, 0]


def test_tracking_roll_up_owed_and_handover(api: Any, ids: dict[str, str]) -> None:
    plan = new_plan(api, ids)
    parent = add_action(api, plan["id"], 1, ids["Vienna"], title="Sirens", dueOn="2026-02-01")["affectedId"]
    a = add_action(api, plan["id"], 1, ids["Vienna"], title="Buy", parentActionId=parent)["affectedId"]
    b = add_action(api, plan["id"], 1, ids["Rostock"], title="Install", parentActionId=parent,
                   action={"weight": 3, "supportingCityIds": [ids["Ljubljana"]]})["affectedId"]
    early = mutate(api, "reportProgress", "ReportProgressInput", {"planId": plan["id"], "actionId": a, "progress": 10,
                   "note": "not agreed yet"})
    assert early["__typename"] == "PlanNotAdopted", early  # only an adopted version is carried out
    adopt(api, ids, plan["id"])
    mutate(api, "reportProgress", "ReportProgressInput", {"planId": plan["id"], "actionId": a, "progress": 100, "note": "bought"})
    updated = mutate(api, "reportProgress", "ReportProgressInput",
                     {"planId": plan["id"], "actionId": b, "progress": 20, "note": "started"}, plan_payload())
    actions = {x["title"]: x for x in updated["actionPlan"]["actions"]}
    assert actions["Buy"]["status"] == "DONE" and actions["Install"]["status"] == "IN_PROGRESS"
    assert actions["Sirens"]["rolledUpProgress"] == pytest.approx(40.0)
    assert updated["actionPlan"]["progress"] == pytest.approx(40.0)
    owed = api("""query($c: ID!) { owedActions(cityId: $c, today: "2026-03-01") { role overdue action { title } } }""",
               {"c": ids["Ljubljana"]})["owedActions"]
    assert {(o["action"]["title"], o["role"]) for o in owed} >= {("Install", "SUPPORTING")}
    vienna = api("""query($c: ID!) { owedActions(cityId: $c, today: "2026-03-01") { overdue action { title } } }""",
                 {"c": ids["Vienna"]})["owedActions"]
    assert vienna[0] == {"overdue": True, "action": {"title": "Sirens"}}  # overdue first
    handed = mutate(api, "handOverAction", "HandOverActionInput", {"planId": plan["id"], "actionId": b,
                    "toCityId": ids["Ljubljana"], "reason": "Rostock's team is deployed"}, plan_payload())
    install = next(x for x in handed["actionPlan"]["actions"] if x["title"] == "Install")
    assert install["responsibleCity"]["name"] == "Ljubljana" and install["leadCity"]["name"] == "Rostock"


@pytest.mark.parametrize(
    ("change", "typename", "field"),
    [
        ({"dueOn": "2025-12-31"}, "InvalidInput", "dueOn"),
        ({"lead": "Nice"}, "NotAPartner", "leadCityId"),
        ({"version": 7}, "InvalidInput", "version"),
        ({"action": {"weight": 0}}, "InvalidInput", "weight"),
    ],
)
def test_bad_actions_store_nothing(api: Any, ids: dict[str, str], services: Any, change: dict, typename: str,
                                  field: str) -> None:
    plan = new_plan(api, ids)
    before = services.projector.head()
    change = {k: (dict(v) if isinstance(v, dict) else v) for k, v in change.items()}  # params are shared across stores
    lead = ids[change.pop("lead", "Vienna")]
    result = add_action(api, plan["id"], change.pop("version", 1), lead, **change)
    assert result["__typename"] == typename, result
    assert result["field"] == field
    assert services.projector.head() == before


@pytest.mark.parametrize("progress", [-1, 101])
def test_progress_outside_range(api: Any, ids: dict[str, str], services: Any, progress: int) -> None:
    plan = new_plan(api, ids)
    action = add_action(api, plan["id"], 1, ids["Vienna"])["affectedId"]
    before = services.projector.head()
    result = mutate(api, "reportProgress", "ReportProgressInput",
                    {"planId": plan["id"], "actionId": action, "progress": progress, "note": "x"})
    assert result["__typename"] == "InvalidInput" and result["field"] == "progress"
    assert services.projector.head() == before


def test_protocol_versions_and_endorsing_a_superseded_version(api: Any, ids: dict[str, str], services: Any) -> None:
    protocol = ids["protocol"]
    revised = mutate(api, "startRevision", "StartRevisionInput", {"documentId": protocol}, doc_payload())
    assert [v["status"] for v in revised["document"]["versions"]] == ["SUPERSEDED", "DRAFT"]
    before = services.projector.head()
    late = mutate(api, "answerVersion", "AnswerVersionInput", {"documentId": protocol, "version": 1,
                  "cityId": ids["Vienna"], "signedBy": "Mayor", "signatoryRole": "Mayor"}, doc_payload())
    assert late["__typename"] == "VersionSuperseded" and late["currentVersion"] == 2
    assert services.projector.head() == before
    step = mutate(api, "addProtocolStep", "AddProtocolStepInput", {"protocolId": protocol, "version": 2, "position": 0,
                  "step": {"instruction": "Check shelter capacity", "responsibleRole": "Civil protection",
                           "timeFrame": "within 30 minutes"}},
                  "... on ProtocolPayload { protocol { steps { instruction position } } }")
    assert step["protocol"]["steps"][0] == {"instruction": "Check shelter capacity", "position": 0}
    diff = api("""query($id: ID!) { protocol(id: $id) { diff(fromVersion: 1, toVersion: 2) {
        ... on VersionDiff { added { title } changed { title fields } } } } }""", {"id": protocol})["protocol"]["diff"]
    assert diff["added"] == [{"title": "Check shelter capacity"}]
    assert {tuple(c["fields"]) for c in diff["changed"]} == {("position",)}


def test_plan_filters(api: Any, ids: dict[str, str]) -> None:
    def titles(args: str) -> set[str]:
        data = api("{ actionPlans(%s) { edges { node { title } } } }" % args)
        return {e["node"]["title"] for e in data["actionPlans"]["edges"]}

    demo = {"Connecting Resilient Cities: common action plan"}
    action_3 = {"Urban Agenda Partnership on Security in Public Spaces: Action 3 activities"}
    assert titles('networkId: "%s"' % ids["UBC"]) == demo
    assert titles('cityId: "%s"' % ids["Liepāja"]) == demo
    assert titles('cityId: "%s"' % ids["Nice"]) == action_3  # a partner of Action 3 only
    assert titles('cityId: "%s"' % ids["Vienna"]) == demo
    assert titles("statuses: [ADOPTED]") == demo | action_3 and titles("statuses: [DRAFT]") == set()
