"""Parties beyond cities, declarations and old events, in the service layer (both stores)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from citynet.domain.city import City
from citynet.domain.errors import InvalidInput, NotAllowed, NotAPartner, NotFound
from citynet.domain.network import commission_id_for, network_id_for
from citynet.domain.organisation import OrganisationKind
from citynet.domain.party import city_party, party_key
from citynet.domain.plan import ActionPlan
from citynet.services.attribution import Actor
from citynet.services.commands import agreements as a
from citynet.services.commands.directory import RegisterOrganisation
from citynet.services.runtime import Citynet


@pytest.fixture
def world(citynet: Citynet) -> dict[str, Any]:
    ex = citynet.execute
    nice = ex(lambda app: app.register_city("Nice", "FR", "Europe/Paris")).id
    madrid = ex(lambda app: app.register_city("Madrid", "ES", "Europe/Madrid")).id
    efus = ex(lambda app: app.found_network("European Forum for Urban Security", "Efus", date(1987, 1, 1))).id
    ex(lambda app: app.add_commission(efus, "Working group"))
    for city in (nice, madrid):
        ex(lambda app, c=city: app.admit_member(efus, c, "member", date(2010, 1, 1)))
    law = citynet.bus.run(RegisterOrganisation("Law experts", OrganisationKind.EXPERT_GROUP)).id
    return dict(nice=nice, madrid=madrid, efus=efus, law=law,
                group=party_key("commission", commission_id_for(efus, "Working group"), efus))


def test_a_plan_names_parties_of_every_kind_and_the_read_model_keeps_them(citynet: Citynet, world: dict[str, Any],
                                                                          run: Any) -> None:
    w = world
    efus_party, law_party = party_key("network", w["efus"]), party_key("organisation", w["law"])
    plan = citynet.bus.run(a.DraftActionPlan(title="Action 3", network_ids=(w["efus"],),
                                             partner_city_ids=(w["nice"], w["madrid"]), starts_on=date(2020, 1, 1),
                                             partner_parties=(efus_party, law_party, w["group"]))).id
    led = citynet.bus.run(a.AddAction(plan, 1, a.ActionFields(
        "Legal overview", None, date(2022, 12, 31), responsible_parties=(city_party(w["nice"]),),
        supporting_parties=(law_party, w["group"])))).id
    nobody = citynet.bus.run(a.AddAction(plan, 1, a.ActionFields("Position papers", None, date(2022, 12, 31)))).id
    content = citynet.app.get(ActionPlan, plan).latest.content["actions"]
    assert content[str(led)]["responsible_parties"] == [city_party(w["nice"])]
    assert content[str(led)]["lead_city_id"] == str(w["nice"])
    assert content[str(nobody)]["responsible_parties"] == [] and content[str(nobody)]["lead_city_id"] is None
    # Every partner answers, networks and organisations included; the last endorsement adopts it.
    citynet.bus.run(a.ProposeVersion(plan, 1))
    for party in (w["nice"], w["madrid"], efus_party, law_party, w["group"]):
        citynet.bus.run(a.AnswerVersion(plan, 1, party, "endorse", "Signer", "Role"))
    row = run(citynet.reads.agreements_by_id([str(plan)]))[str(plan)]
    assert row.adopted_version == 1
    endorsed = run(citynet.reads.endorsements_of([str(plan)]))[str(plan)]
    kinds = run(citynet.reads.parties_by_id([e.city_id for e in endorsed]))
    assert sorted(k for k, _ in kinds.values()) == ["city", "city", "commission", "network", "organisation"]


def test_unknown_wrong_and_foreign_parties_are_typed_errors_that_store_nothing(citynet: Citynet,
                                                                               world: dict[str, Any]) -> None:
    w = world
    plan = citynet.bus.run(a.DraftActionPlan(title="P", network_ids=(w["efus"],), partner_city_ids=(w["nice"],),
                                             starts_on=date(2020, 1, 1))).id
    head = citynet.projector.head()
    refusals = [
        (a.DraftActionPlan(title="P", network_ids=(w["efus"],), partner_city_ids=(w["nice"],),
                           starts_on=date(2020, 1, 1), partner_parties=(f"organisation:{uuid4()}",)), NotFound),
        (a.DraftActionPlan(title="P", network_ids=(w["efus"],), partner_city_ids=(w["nice"],),
                           starts_on=date(2020, 1, 1), partner_parties=(f"commission:{w['efus']}:{uuid4()}",)),
         NotFound),
        (a.DraftActionPlan(title="P", network_ids=(w["efus"],), partner_city_ids=(w["nice"],),
                           starts_on=date(2020, 1, 1), partner_parties=("workshop:" + str(uuid4()),)), InvalidInput),
        (a.DraftActionPlan(title="P", network_ids=(w["efus"],), partner_city_ids=(w["nice"],),
                           starts_on=date(2020, 1, 1), partner_parties=(city_party(w["madrid"]),)), InvalidInput),
        (a.AddAction(plan, 1, a.ActionFields("x", None, date(2021, 1, 1),
                                             responsible_parties=(party_key("organisation", w["law"]),))),
         NotAPartner),
        (a.AddAction(plan, 1, a.ActionFields("x", w["nice"], date(2021, 1, 1),
                                             responsible_parties=(city_party(w["nice"]),))), InvalidInput),
        (a.DraftDeclaration(title="D", network_ids=(w["efus"],), signatory_city_ids=(),
                            signatory_parties=(), adopted_in="2017"), InvalidInput),
        (a.DraftDeclaration(title="D", network_ids=(w["efus"],), signatory_city_ids=(uuid4(),)), NotFound),
    ]
    for command, error in refusals:
        with pytest.raises(error):
            citynet.bus.run(command)
    assert citynet.projector.head() == head


def test_who_may_sign_for_a_party(citynet: Citynet, world: dict[str, Any]) -> None:
    w = world
    efus_party, law_party = party_key("network", w["efus"]), party_key("organisation", w["law"])
    other = citynet.execute(lambda app: app.found_network("Union of the Baltic Cities", "UBC", date(1991, 9, 20))).id
    declaration = citynet.bus.run(a.DraftDeclaration(
        title="Declaration of Nice", network_ids=(w["efus"],), signatory_city_ids=(w["nice"],),
        signatory_parties=(efus_party, law_party), adopted_in="2017-09", further_signatories=60,
        further_signatories_note="mayors from 18 countries")).id
    citynet.bus.run(a.ProposeVersion(declaration, 1))
    efus_coordinator = Actor("c-efus", "coordinator", network_ids=(str(w["efus"]),))
    ubc_coordinator = Actor("c-ubc", "coordinator", network_ids=(str(other),))
    nice_rep = Actor("r-nice", "city_representative", city_id=str(w["nice"]))
    madrid_rep = Actor("r-madrid", "city_representative", city_id=str(w["madrid"]))
    sign = lambda party: a.AnswerVersion(declaration, 1, party, "endorse", "Signer", "Role")  # noqa: E731
    for party, refused in [(w["nice"], madrid_rep), (efus_party, ubc_coordinator), (efus_party, nice_rep),
                           (law_party, ubc_coordinator), (law_party, nice_rep)]:
        with pytest.raises(NotAllowed):
            citynet.bus.run(sign(party), actor=refused)
    citynet.bus.run(sign(w["nice"]), actor=nice_rep)
    citynet.bus.run(sign(efus_party), actor=efus_coordinator)
    citynet.bus.run(sign(law_party), actor=efus_coordinator)  # the document's coordinators record it
    declared = citynet.app.repository.get(declaration)
    assert declared.latest.status.value == "adopted"
    assert declared.latest.content["further_signatories"] == 60


def test_events_written_before_parties_existed_stay_readable(citynet: Citynet, world: dict[str, Any],
                                                             run: Any) -> None:
    """A plan stored in the old format (city ids only, no class versions) loads and projects as city parties."""
    w = world
    plan = citynet.bus.run(a.DraftActionPlan(title="Old plan", network_ids=(w["efus"],),
                                             partner_city_ids=(w["nice"], w["madrid"]),
                                             starts_on=date(2020, 1, 1))).id
    action = citynet.bus.run(a.AddAction(plan, 1, a.ActionFields("Old action", w["nice"], date(2021, 1, 1),
                                                                 supporting_city_ids=(w["madrid"],)))).id
    citynet.bus.run(a.ProposeVersion(plan, 1))
    citynet.bus.run(a.AnswerVersion(plan, 1, w["nice"], "endorse", "Signer", "Mayor"))
    # The same history, written as version-1 events under another id.
    old_id, app = uuid4(), citynet.app
    transcoder, downgraded = app.mapper.transcoder, []
    for stored in app.recorder.select_events(plan):
        state = transcoder.decode(stored.state)
        state.pop("class_version", None)
        state.pop("partner_parties", None)
        if "fields" in state:
            state["fields"] = {k: v for k, v in state["fields"].items()
                               if k not in ("responsible_parties", "supporting_parties")}
        if "party" in state:
            state["city_id"] = w["nice"]
            del state["party"]
        downgraded.append(StoredEvent(originator_id=old_id, originator_version=stored.originator_version,
                                      topic=stored.topic, state=transcoder.encode(state)))
    app.recorder.insert_events(downgraded)
    citynet.projections.wait_for(citynet.projections.head(), 30)
    old = app.get(ActionPlan, old_id)
    fields = old.latest.content["actions"][str(action)]
    assert fields["responsible_parties"] == [city_party(w["nice"])]
    assert fields["supporting_parties"] == [city_party(w["madrid"])]
    assert old.partner_parties == [] and list(old.latest.endorsements) == [city_party(w["nice"])]
    versions = run(citynet.reads.versions_of([str(old_id)]))[str(old_id)]
    assert versions[0].content["actions"][str(action)]["responsible_parties"] == [city_party(w["nice"])]
    endorsed = run(citynet.reads.endorsements_of([str(old_id)]))[str(old_id)]
    assert [e.city_id for e in endorsed] == [str(w["nice"])]


def test_networks_and_organisations_keep_their_kinds_apart(citynet: Citynet, world: dict[str, Any], run: Any) -> None:
    found = run(citynet.reads.parties_by_id([str(world["efus"]), str(world["law"]), str(world["nice"]),
                                             str(network_id_for("none"))]))
    assert {k: v[0] for k, v in found.items()} == {str(world["efus"]): "network", str(world["law"]): "organisation",
                                                   str(world["nice"]): "city"}
    assert City.create_id("Nice", "FR", "") == world["nice"]
