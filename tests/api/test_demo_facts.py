"""The demo data against the seeds, through the public API as an anonymous reader (both stores).

Every fact checked here is stated by a seed document (shared/seeds); what the seeds do not give is
marked as demo data in its description. Effective dates (``on``) and record times (``knownAt``)
are asked separately.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from citynet.domain.city import City
from citynet.domain.network import network_id_for
from citynet.graphql.ids import to_global_id
from citynet.services.demo import load_demo

UBC, ICNCM, EFUS = (to_global_id("Network", network_id_for(n)) for n in ("UBC", "ICNCM", "Efus"))
ROSTOCK = to_global_id("City", City.create_id("Rostock", "DE", ""))


@pytest.fixture
def reader(api: Any, services: Any) -> Any:
    load_demo(services)
    return api.as_actor("anonymous")


def _names(parties: list[dict[str, Any]]) -> list[str]:
    return [p["name"] for p in parties]


def test_rostock_bridges_ubc_since_1991_and_icncm_since_2016_by_effective_date(reader: Any) -> None:
    q = """query($ubc: ID!, $icncm: ID!, $rostock: ID!) {
      ubc: network(id: $ubc) { foundedOn
        y1991: membersOn(on: "1991-12-31") { role city { name } }
        y1995: membersOn(on: "1995-06-01") { city { name } }
        rostock: membershipHistory(cityId: $rostock) { role memberSince until }
        commissions { name head { name } } }
      icncm: network(id: $icncm) { foundedOn
        y2015: membersOn(on: "2015-06-01") { city { name } }
        y2017: membersOn(on: "2017-06-01") { role memberSince city { name } } }
    }"""
    data = reader(q, {"ubc": UBC, "icncm": ICNCM, "rostock": ROSTOCK})
    ubc, icncm = data["ubc"], data["icncm"]
    assert ubc["foundedOn"].startswith("1991") and icncm["foundedOn"].startswith("2003")
    assert {"role": "FOUNDING_MEMBER", "city": {"name": "Rostock"}} in ubc["y1991"]
    assert "Rostock" in [m["city"]["name"] for m in ubc["y1995"]]
    assert ubc["rostock"] == [{"role": "FOUNDING_MEMBER", "memberSince": "1991-09-20", "until": None}]
    assert len(ubc["commissions"]) == 8  # "works through eight Commissions"
    safe = next(c for c in ubc["commissions"] if c["name"] == "Safe Cities Commission")
    assert safe["head"]["name"] == "Liepāja"  # "Liepaja is the Head of the Safe Cities Commission"
    assert "Rostock" not in [m["city"]["name"] for m in icncm["y2015"]]
    rostock = next(m for m in icncm["y2017"] if m["city"]["name"] == "Rostock")
    assert rostock["memberSince"].startswith("2016")
    vienna = next(m for m in icncm["y2017"] if m["city"]["name"] == "Vienna")
    assert vienna["role"] == "LEAD_PARTNER"  # "Vienna is a leading partner of the ICNCM"
    assert {"Vienna", "Ljubljana", "Paris"} <= {m["city"]["name"] for m in icncm["y2017"]}


def test_record_time_is_a_different_question_from_effective_date(reader: Any) -> None:
    q = """query($ubc: ID!, $at: DateTime!) { network(id: $ubc) {
      now: membersOn(on: "1995-06-01") { city { name } }
      before: membersOn(on: "1995-06-01", knownAt: $at) { city { name } }
      history: membershipHistory(knownAt: $at) { role }
      members(knownAt: $at) { totalCount } } }"""
    # The demo was recorded today: in 1995 UBC had Rostock as a member, but citynet learnt it only now.
    long_ago = reader(q, {"ubc": UBC, "at": "2020-01-01T00:00:00Z"})["network"]
    assert long_ago["now"] and long_ago["before"] == [] and long_ago["history"] == []
    assert long_ago["members"]["totalCount"] == 0
    later = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    now = reader(q, {"ubc": UBC, "at": later})["network"]
    assert now["before"] == now["now"]


def test_efus_has_no_invented_lead_partner(reader: Any) -> None:
    data = reader("""query($efus: ID!) { network(id: $efus) { description
      membershipHistory { role city { name } } } }""", {"efus": EFUS})["network"]
    assert "Demo data" in data["description"]
    nice = [m["role"] for m in data["membershipHistory"] if m["city"]["name"] == "Nice"]
    assert nice and "LEAD_PARTNER" not in nice


PLANS = """{ actionPlans(first: 10) { edges { node { title status purpose
  actions { id title description status progress rolledUpProgress parentId
            leadCity { name } supportingCities { name }
            responsibleParties { __typename ... on City { name } ... on Network { name shortName }
                                 ... on Organisation { name kind } }
            supportingParties { __typename ... on City { name } ... on Network { name shortName }
                                ... on Organisation { name kind } } } } } } }"""


def _party_names(parties: list[dict[str, Any]]) -> list[str]:
    return [p.get("shortName") or p["name"] for p in parties]


def test_urban_agenda_action_3_parties_as_the_seed_lists_them(reader: Any) -> None:
    plans = {e["node"]["title"]: e["node"] for e in reader(PLANS)["actionPlans"]["edges"]}
    plan = plans["Urban Agenda Partnership on Security in Public Spaces: Action 3 activities"]
    assert plan["status"] == "ADOPTED" and "Demo data" in plan["purpose"]
    parties = {a["title"]: (_party_names(a["responsibleParties"]), _party_names(a["supportingParties"]))
               for a in plan["actions"]}
    assert parties == {
        "Contribution to the public consultation on Artificial intelligence by the European Commission":
            (["Nice"], ["Efus"]),
        "Mapping exercise of safe and smart cities' experiments: compendium, data":
            (["Madrid", "Lille", "IA experts and industry"], []),
        "Survey on the problems/bottlenecks faced by local authorities when using and experimenting artificial "
        "intelligence technologies": ([], []),
        "Overview of legal challenges, relevant opinions issued by data protection authorities and recent national "
        "bills, including the identification of potential disparities between Member States":
            (["Nice"], ["Law experts"]),
        "Position papers to the EU institutions": ([], []),
    }
    for action in plan["actions"]:
        assert "Demo data" in action["description"]
    mapping = next(a for a in plan["actions"] if a["title"].startswith("Mapping"))
    assert mapping["leadCity"] == {"name": "Madrid"}
    assert [p["kind"] for p in mapping["responsibleParties"] if p["__typename"] == "Organisation"] == ["EXPERT_GROUP"]


def test_demo_progress_agrees_with_status(reader: Any) -> None:
    plans = {e["node"]["title"]: e["node"] for e in reader(PLANS)["actionPlans"]["edges"]}
    actions = plans["Connecting Resilient Cities: common action plan"]["actions"]
    by_title = {a["title"]: a for a in actions}
    parent = by_title["Shared crisis-communication contact list"]
    assert (parent["status"], parent["progress"], parent["rolledUpProgress"]) == ("IN_PROGRESS", 60, 60.0)
    for a in actions:
        if a["status"] == "DONE":
            assert a["progress"] == 100
        if a["status"] == "PLANNED":
            assert a["progress"] == 0
            children = [c for c in actions if c["parentId"] == a["id"]]
            assert not children, "a planned action has no sub-action under way"


def test_declaration_of_nice_with_its_signatories(reader: Any) -> None:
    data = reader("""{ declarations(first: 5) { edges { node { title status adoptedIn text furtherSignatories
      furtherSignatoriesNote organisers { shortName }
      signatories { __typename ... on City { name } ... on Network { shortName } ... on Organisation { name kind } }
      versions { endorsements { signedBy signatoryRole city { name } party { __typename } } } } } } }""")
    (edge,) = data["declarations"]["edges"]
    d = edge["node"]
    assert (d["title"], d["status"], d["adoptedIn"]) == ("Declaration of Nice", "ADOPTED", "2017-09")
    assert d["furtherSignatories"] == 60 and d["furtherSignatoriesNote"] == "mayors from 18 countries"
    assert sorted(p.get("name") or p.get("shortName") for p in d["signatories"]) == [
        "Efus", "Euromed network", "Nice"]
    assert "terrorism" in d["text"]
    endorsements = d["versions"][0]["endorsements"]
    assert len(endorsements) == 3
    assert [e["city"] for e in endorsements if e["party"]["__typename"] != "City"] == [None, None]


def test_organisations_from_the_seeds(reader: Any) -> None:
    data = reader("{ organisations { edges { node { name kind countryCode description } } } }")
    orgs = {e["node"]["name"]: e["node"] for e in data["organisations"]["edges"]}
    assert orgs["National Association of Piedmont Region Communes"]["kind"] == "ASSOCIATION"
    assert orgs["National Association of Piedmont Region Communes"]["countryCode"] == "IT"
    assert "about 15" in orgs["PACTESUR expert committee"]["description"]
    assert orgs["Euromed network"]["kind"] == "NETWORK"
    assert {"IA experts and industry", "Law experts"} <= set(orgs)
