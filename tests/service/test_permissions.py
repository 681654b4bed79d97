"""Every role against every command, in the service layer (whatever the caller).

Each operation runs on a fresh copy of the demo. Roles that may not act must
get NotAllowed naming the permission, with nothing stored; roles that may act
must get past the permission check (the command may still be refused for
domain reasons, e.g. the demo already holds what it asks for).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from citynet.domain.city import City
from citynet.domain.errors import DomainError, NotAllowed, NotFound
from citynet.domain.network import commission_id_for, network_id_for
from citynet.services.attribution import Actor, acting
from citynet.services.clock import FixedClock
from citynet.services.demo import load_demo
from citynet.domain.project import project_id_for
from citynet.services.demo_plans import PLAN_TITLE, PROTOCOL_TITLE, demo_id
from citynet.services.demo_projects import CONFERENCE_TITLE, gathering_id
from citynet.services.demo_workshops import workshop_id
from citynet.services.runtime import Citynet

UBC, ICNCM, EFUS = network_id_for("UBC"), network_id_for("ICNCM"), network_id_for("Efus")
ROSTOCK, VIENNA, RIGA = (City.create_id(n, c, "") for n, c in [("Rostock", "DE"), ("Vienna", "AT"), ("Riga", "LV")])
ENERGY = workshop_id("Crisis management in case of energy shortages")
COMMUNICATION = workshop_id("Crisis communication with stakeholders: volunteers, population and media")
SHELTERING = workshop_id("Preparation for sheltering large groups of people")
WARNING = workshop_id("Digital and analogue warning procedures in an urban environment")
PLAN, PROTOCOL = demo_id(PLAN_TITLE), demo_id(PROTOCOL_TITLE)
CONTACTS = demo_id("Collect contacts from the partner cities")  # led by Rostock
CRC = project_id_for("Connecting Resilient Cities")

ROLES = {
    "admin": Actor("t-admin", "admin"),
    "coordinator_ubc": Actor("t-coord-ubc", "coordinator", network_ids=(str(UBC),)),
    "coordinator_efus": Actor("t-coord-efus", "coordinator", network_ids=(str(EFUS),)),
    "rep_rostock": Actor("t-rep-rostock", "city_representative", str(ROSTOCK)),
    "rep_vienna": Actor("t-rep-vienna", "city_representative", str(VIENNA)),
    "auditor": Actor("t-auditor", "auditor"),
    "anonymous": Actor("anonymous", "anonymous"),
}
ADMIN = {"admin"}
MANAGERS = {"admin", "coordinator_ubc"}


def first_registration(c: Citynet, workshop: UUID, city: UUID) -> UUID:
    w = c.app.repository.get(workshop)
    return next(r.id for r in w.registrations.values() if r.city_id == city)


def first_person(c: Citynet) -> UUID:
    w = c.app.repository.get(SHELTERING)
    return next(iter(w.registrations.values())).person_id


def first_session(c: Citynet) -> UUID:
    return next(iter(c.app.repository.get(COMMUNICATION).sessions))


def aware(day: int, hour: int) -> datetime:
    return datetime(2027, 3, day, hour, tzinfo=timezone.utc)


# operation name -> (who may, command)
OPERATIONS: dict[str, tuple[set[str], Callable[[Citynet], Any]]] = {
    "registerCity": (ADMIN, lambda c: c.execute(lambda a: a.register_city("Kiel", "DE", "Europe/Berlin"))),
    # Translating: those who work on the record (the host's and partners' representatives too); its source
    # language: its networks' coordinators (decision 017).
    "translateText": (MANAGERS | {"rep_rostock", "rep_vienna"}, lambda c: c.execute(lambda a: a.translate_text(
        record_kind="workshop", record_id=SHELTERING, field="topic", lang="fr", text="hébergement"))),
    "declareSourceLanguage": (MANAGERS, lambda c: c.execute(lambda a: a.declare_source_language(
        record_kind="workshop", record_id=SHELTERING, lang="it"))),
    "registerOrganisation": (MANAGERS | {"coordinator_efus"}, lambda c: c.execute(lambda a: a.register_organisation(
        "Kiel fire brigade association", "association", "DE"))),
    "foundNetwork": (ADMIN, lambda c: c.execute(lambda a: a.found_network("Test", "TST", date(2020, 1, 1)))),
    "addCommission": (MANAGERS, lambda c: c.execute(lambda a: a.add_commission(UBC, "Youth Commission"))),
    "admitMember": (MANAGERS, lambda c: c.execute(lambda a: a.admit_member(UBC, VIENNA, "observer", date(2020, 1, 1)))),
    "changeMemberRole": (MANAGERS, lambda c: c.execute(lambda a: a.change_member_role(UBC, RIGA, "observer", date(2020, 1, 1)))),
    "recordMemberLeft": (MANAGERS, lambda c: c.execute(lambda a: a.record_member_left(UBC, RIGA, date(2020, 1, 1)))),
    "assignCommissionMember": (MANAGERS, lambda c: c.execute(lambda a: a.assign_commission_member(
        UBC, commission_id_for(UBC, "Youthful Cities Commission"), RIGA))),
    "nameCommissionHead": (MANAGERS, lambda c: c.execute(lambda a: a.name_commission_head(
        UBC, commission_id_for(UBC, "Youthful Cities Commission"), RIGA))),
    "proposeWorkshop": (MANAGERS, lambda c: c.execute(lambda a: a.propose_workshop(
        title="Drill", topic="drill", network_ids=[UBC], partner_city_ids=[ROSTOCK], host_city_id=ROSTOCK,
        venue="Hall", capacity=10))),
    "openDatePoll": (MANAGERS, lambda c: c.execute(lambda a: a.open_date_poll(
        WARNING, [(date(2027, 11, 2), date(2027, 11, 4))]))),
    "answerDatePoll": (MANAGERS | {"rep_vienna"}, lambda c: c.execute(lambda a: a.answer_date_poll(
        WARNING, VIENNA, {0: "yes"}))),
    "closeDatePoll": (MANAGERS, lambda c: c.execute(lambda a: a.close_date_poll(WARNING, 1))),
    "scheduleWorkshop": (MANAGERS, lambda c: c.execute(lambda a: a.schedule_workshop(
        SHELTERING, date(2027, 5, 18), date(2027, 5, 20)))),
    "rescheduleWorkshop": (MANAGERS, lambda c: c.execute(lambda a: a.reschedule_workshop(
        COMMUNICATION, date(2027, 4, 6), date(2027, 4, 8), "venue"))),
    "cancelWorkshop": (MANAGERS, lambda c: c.execute(lambda a: a.cancel_workshop(SHELTERING, "flood"))),
    "confirmWorkshop": (MANAGERS, lambda c: c.execute(lambda a: a.confirm_workshop(SHELTERING))),
    "markWorkshopHeld": (MANAGERS, lambda c: c.execute(lambda a: a.mark_workshop_held(
        COMMUNICATION, 10, "ok", []))),
    "addSession": (MANAGERS, lambda c: c.execute(lambda a: a.add_session(
        COMMUNICATION, title="Break", starts_at=aware(26, 13), ends_at=aware(26, 14), kind="break"))),
    "removeSession": (MANAGERS, lambda c: c.execute(lambda a: a.remove_session(COMMUNICATION, first_session(c)))),
    "registerDelegate": (MANAGERS | {"rep_rostock"}, lambda c: c.register_delegate(
        COMMUNICATION, ROSTOCK, "Ann Test", "ann.test@rostock.example", "police")),
    "withdrawRegistration": (MANAGERS | {"rep_rostock"}, lambda c: c.execute(lambda a: a.withdraw_registration(
        SHELTERING, first_registration(c, SHELTERING, ROSTOCK)))),
    "setWorkshopCapacity": (MANAGERS, lambda c: c.execute(lambda a: a.set_workshop_capacity(SHELTERING, 9))),
    "setCityQuota": (MANAGERS, lambda c: c.execute(lambda a: a.set_city_quota(SHELTERING, ROSTOCK, 1))),
    "draftActionPlan": (MANAGERS, lambda c: c.execute(lambda a: a.draft_plan(
        title="Plan", network_ids=[UBC], partner_city_ids=[ROSTOCK], starts_on=date(2026, 1, 1)))),
    "addAction": (MANAGERS, lambda c: c.execute(lambda a: a.add_action(
        PLAN, 1, title="x", lead_city_id=ROSTOCK, due_on=date(2026, 5, 1)))),
    "updateAction": (MANAGERS, lambda c: c.execute(lambda a: a.update_action(
        PLAN, 1, CONTACTS, title="y", description="", lead_city_id=ROSTOCK, supporting_city_ids=[],
        due_on=date(2026, 5, 1), weight=1))),
    "removeAction": (MANAGERS, lambda c: c.execute(lambda a: a.remove_action(PLAN, 1, CONTACTS))),
    "addMilestone": (MANAGERS, lambda c: c.execute(lambda a: a.add_milestone(PLAN, 1, CONTACTS, "m", date(2026, 3, 1)))),
    "reportProgress": (MANAGERS | {"rep_rostock"}, lambda c: c.execute(lambda a: a.report_progress(
        PLAN, CONTACTS, 50, "halfway"))),
    "handOverAction": (MANAGERS, lambda c: c.execute(lambda a: a.hand_over_action(PLAN, CONTACTS, VIENNA, "leave"))),
    "draftProtocol": (MANAGERS, lambda c: c.execute(lambda a: a.draft_protocol(
        title="Heat", crisis_type="other", network_ids=[UBC], partner_city_ids=[ROSTOCK]))),
    "addProtocolStep": (MANAGERS, lambda c: c.execute(lambda a: a.add_step(
        PROTOCOL, 1, instruction="x", responsible_role="y", time_frame="z"))),
    "proposeVersion": (MANAGERS, lambda c: c.execute(lambda a: a.propose_version(PROTOCOL, 1))),
    "startRevision": (MANAGERS, lambda c: c.execute(lambda a: a.start_revision(PROTOCOL))),
    "answerVersion": ({"admin", "rep_vienna"}, lambda c: c.execute(lambda a: a.answer_version(
        PROTOCOL, 1, VIENNA, "endorse", "Mayor", "Mayor"))),
    "draftDeclaration": ({"admin", "coordinator_efus"}, lambda c: c.execute(lambda a: a.draft_declaration(
        title="A declaration", network_ids=[EFUS], signatory_city_ids=[ROSTOCK]))),
    "erasePerson": (ADMIN, lambda c: c.erase_person(first_person(c))),
    # projects: managed by the coordinators of a network taking part (UBC takes part in CRC; Efus does not)
    "foundProject": (MANAGERS, lambda c: c.execute(lambda a: a.found_project(
        name="Baltic drills", acronym="BALTIC", objectives="", start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31), coordinating_network_id=UBC))),
    "admitProjectPartner": (MANAGERS, lambda c: c.execute(lambda a: a.admit_project_partner(
        CRC, party_kind="city", party_id=RIGA, role="associated_partner", since=date(2026, 6, 1)))),
    "endProjectPartnership": (MANAGERS, lambda c: c.execute(lambda a: a.end_project_partnership(
        CRC, VIENNA, date(2026, 6, 1)))),
    "nameLeadPartner": (MANAGERS, lambda c: c.execute(lambda a: a.name_lead_partner(CRC, VIENNA, date(2026, 6, 1)))),
    "startProject": (MANAGERS, lambda c: c.execute(lambda a: a.start_project(CRC))),
    "closeProject": (MANAGERS, lambda c: c.execute(lambda a: a.close_project(CRC))),
    "cancelProject": (MANAGERS, lambda c: c.execute(lambda a: a.cancel_project(CRC, "funding ended"))),
    # attaching also needs the output's networks: ICNCM's conference is not UBC's to attach
    "attachProjectOutput": (ADMIN, lambda c: c.execute(lambda a: a.attach_project_output(
        CRC, "gathering", gathering_id(CONFERENCE_TITLE)))),
}


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("demo") / "citynet.sqlite3"
    c = Citynet(f"sqlite:///{path}", clock=FixedClock())
    load_demo(c)
    c.close()
    c.sync_engine.dispose()
    yield path


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_each_role_on_each_operation(operation: str, demo_template: Path, tmp_path: Path) -> None:
    allowed, run = OPERATIONS[operation]
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{demo_template}{suffix}").exists():
            shutil.copy(f"{demo_template}{suffix}", tmp_path / f"citynet.sqlite3{suffix}")
    c = Citynet(f"sqlite:///{tmp_path / 'citynet.sqlite3'}", clock=FixedClock())
    try:
        # Refusals first, so that they meet the demo unchanged.
        for role in sorted(ROLES, key=lambda r: r in allowed):
            head = c.projector.head()
            with acting(ROLES[role], operation):
                try:
                    run(c)
                except NotAllowed as refused:
                    assert role not in allowed, f"{role} should be allowed to {operation}: {refused}"
                    assert refused.permission and c.projector.head() == head, "a refusal stores nothing"
                    continue
                except NotFound as missing:
                    if missing.kind == "Workshop" and role not in allowed:
                        # A proposal the caller takes no part in is not found, as a read would answer.
                        assert c.projector.head() == head, "a refusal stores nothing"
                        continue
                    # otherwise past the permission check, like any domain error below
                except DomainError:
                    pass  # past the permission check; refused for a domain reason
            assert role in allowed, f"{role} must not be allowed to {operation}"
    finally:
        c.close()


def test_every_mutation_is_covered() -> None:
    from citynet.graphql.schema import build_schema

    mutations = set(build_schema()._schema.mutation_type.fields)  # type: ignore[union-attr]
    content_twins = {"updateProtocolStep", "removeProtocolStep"}  # same guard as addProtocolStep
    assert mutations - content_twins == set(OPERATIONS), mutations ^ set(OPERATIONS)
