"""The README's GraphQL examples work exactly as shown, in order, on the demo data."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from citynet.services.demo import load_demo

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_examples_run_against_the_demo(api: Any, services: Any) -> None:
    load_demo(services)
    blocks = re.findall(r"```graphql\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 5
    results = [api(block) for block in blocks]
    assert results[1]["bridgeCities"]["edges"]
    assert {m["city"]["name"] for m in results[2]["network"]["membersOn"]} >= {"Essen", "Edinburgh"}
    assert results[3]["registerCity"]["__typename"] == "RegisterCityPayload"
    repeated = api(blocks[3])["registerCity"]  # same clientMutationId: the first answer, nothing stored
    assert repeated["replayed"] and repeated["id"] == results[3]["registerCity"]["id"]
    admitted = results[4]["admitMember"]
    assert admitted["__typename"] == "MembershipPayload", admitted
    assert admitted["membership"]["city"]["name"] == "Kiel"
    upcoming = results[5]["workshops"]["edges"]
    assert {e["node"]["host"]["name"] for e in upcoming} >= {"Rostock", "Liepāja", "Ljubljana"}
    registered = results[6]["registerDelegate"]
    assert registered["registration"] == {"status": "WAITLISTED", "position": 3}, registered
    plans = results[7]["actionPlans"]["edges"]
    assert plans[0]["node"]["status"] == "ADOPTED" and results[7]["protocols"]["edges"]
    owed = results[8]["owedActions"]
    assert owed and owed[0]["overdue"] and {o["role"] for o in owed} <= {"LEAD", "SUPPORTING"}
    spoken = next(r for r in results if "workshops" in r and "protocols" in r)
    titles = {t["lang"] for e in spoken["workshops"]["edges"] for t in e["node"]["texts"] if t["field"] == "TITLE"}
    assert titles == {"de", "en"}  # de-AT falls back to German where a workshop has it, else to English
    easy = spoken["protocols"]["edges"][0]["node"]["steps"][0]["texts"][0]
    assert easy["isEasyRead"] and easy["lang"] == "de"
    audit = next(r for r in results if "auditHead" in r)  # 16 demo admissions and Kiel, admitted above
    assert audit["events"]["totalCount"] == 17 and audit["asOf"]["version"] == 1 and audit["auditHead"]["hash"]
    parties = next(r for r in results if "declarations" in r)
    action_3 = parties["actionPlan"]
    mapping = next(a for a in action_3["actions"] if a["title"].startswith("Mapping exercise"))
    assert [p.get("name") for p in mapping["responsibleParties"]] == ["Madrid", "Lille", "IA experts and industry"]
    (declaration,) = parties["declarations"]["edges"]
    assert declaration["node"]["furtherSignatories"] == 60 and len(declaration["node"]["signatories"]) == 3
    times = next(r for r in results if "recordedBy2020" in (r.get("network") or {}))["network"]
    assert "Rostock" in {m["city"]["name"] for m in times["membersOn"]} and times["recordedBy2020"] == []
    again = api(blocks[4])["admitMember"]
    assert again["__typename"] == "AlreadyMember"
