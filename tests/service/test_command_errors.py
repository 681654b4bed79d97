"""Each command's declared errors are really reachable, and nothing else escapes.

Every (command, error) pair that a command declares beyond the errors any
command can end with (NotAllowed, InvalidInput, IdempotencyKeyReused: see
test_permissions.py and test_commands.py) has a scenario here, run through
the command bus on a copy of the demo. ``Conflict`` comes from the bus alone
(bounded retries on version clashes) and is shown once, in test_commands.py,
for any command. The bus itself refuses to pass on an error its command does
not declare, so every other test that runs a command checks the other
direction.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from citynet.domain import errors as domain
from citynet.domain.city import City
from citynet.domain.network import commission_id_for, network_id_for
from citynet.domain.organisation import OrganisationKind
from citynet.domain.project import project_id_for
from citynet.domain.values import MemberRole
from citynet.services.commands import agreements as a
from citynet.services.commands import directory as d
from citynet.services.commands import projects as pr
from citynet.services.commands import translations as t
from citynet.services.commands import workshops as w
from citynet.services.attribution import ANONYMOUS
from citynet.services.commands.base import ALWAYS, HANDLERS, Command
from citynet.services.demo import load_demo
from citynet.services.demo_plans import PLAN_TITLE, PROTOCOL_TITLE, demo_id
from citynet.services.demo_workshops import workshop_id
from citynet.services.errors import Conflict, InvalidVersionTransition
from citynet.services.runtime import Citynet

UBC, ICNCM, EFUS = network_id_for("UBC"), network_id_for("ICNCM"), network_id_for("Efus")
ROSTOCK, VIENNA, RIGA, LIEPAJA, LJUBLJANA = (City.create_id(n, c, "") for n, c in [
    ("Rostock", "DE"), ("Vienna", "AT"), ("Riga", "LV"), ("Liepāja", "LV"), ("Ljubljana", "SI")])
ENERGY = workshop_id("Crisis management in case of energy shortages")  # held
COMMUNICATION = workshop_id("Crisis communication with stakeholders: volunteers, population and media")  # Liepāja
SHELTERING = workshop_id("Preparation for sheltering large groups of people")  # scheduled, 5 places, 7 registered
WARNING = workshop_id("Digital and analogue warning procedures in an urban environment")  # proposed, poll open
PLAN, PROTOCOL = demo_id(PLAN_TITLE), demo_id(PROTOCOL_TITLE)  # plan v1 adopted; protocol v1 proposed
CONTACTS = demo_id("Collect contacts from the partner cities")  # led by Rostock
SAFE_CITIES = commission_id_for(UBC, "Safe Cities Commission")  # Liepāja heads it, Rostock a member
RIGA_TZ = datetime(2027, 3, 26, 10, 0, tzinfo=timezone.utc)

Setup = Callable[[Citynet], Command]

PACTESUR, CRC = project_id_for("PACTESUR"), project_id_for("Connecting Resilient Cities")  # closed; running
UA = project_id_for("Security in Public Spaces")  # closed, no lead partner
NICE = City.create_id("Nice", "FR", "")


def _new_workshop(c: Citynet, host: UUID = LIEPAJA, partners: tuple[UUID, ...] = (ROSTOCK, LIEPAJA)) -> UUID:
    return c.bus.run(w.ProposeWorkshop(title="Heatwave drill", topic="heat", network_ids=(UBC,),
                                       partner_city_ids=partners, host_city_id=host, capacity=10,
                                       venue="Town hall")).id


def _dated_workshop(c: Citynet, start: date, end: date, **kw: Any) -> UUID:
    wid = _new_workshop(c, **kw)
    c.bus.run(w.ScheduleWorkshop(wid, start, end))
    return wid


def _lena_registration(c: Citynet) -> UUID:
    workshop = c.app.repository.get(SHELTERING)
    return next(r.id for r in workshop.registrations.values() if r.city_id == ROSTOCK)


def _energy_registration(c: Citynet) -> UUID:
    return next(iter(c.app.repository.get(ENERGY).registrations))


def _first_step(c: Citynet) -> UUID:
    return UUID(c.app.repository.get(PROTOCOL).versions[1].content["steps"][0]["id"])


def _revised_plan(c: Citynet) -> int:
    """Start version 2 of the plan (a draft) and return its number."""
    c.bus.run(a.StartRevision(PLAN))
    return 2


def _superseded_plan_version(c: Citynet) -> int:
    """Adopt version 2 of the plan: version 1 is then superseded."""
    _revised_plan(c)
    c.bus.run(a.ProposeVersion(PLAN, 2))
    for city in (ROSTOCK, VIENNA, LIEPAJA, LJUBLJANA):
        c.bus.run(a.AnswerVersion(PLAN, 2, city, "endorse", "M", "Mayor"))
    return 1


def _revised_protocol(c: Citynet) -> int:
    c.bus.run(a.StartRevision(PROTOCOL))
    return 2


def _unadopted_plan(c: Citynet) -> UUID:
    """A plan drafted and never adopted: nothing of it is tracked."""
    plan_id = uuid4()
    c.bus.run(a.DraftActionPlan("Unadopted plan", (UBC, ICNCM), (ROSTOCK, VIENNA), date(2026, 1, 1), plan_id=plan_id))
    return plan_id


def _fields(lead: UUID = ROSTOCK) -> a.ActionFields:
    return a.ActionFields(title="Sirens", lead_city_id=lead, due_on=date(2026, 6, 30))


def _step() -> a.StepFields:
    return a.StepFields(instruction="Call", responsible_role="Mayor", time_frame="now")


SCENARIOS: list[tuple[type[Command], type[Exception], Setup]] = [
    # directory
    (d.RegisterCity, domain.AlreadyExists, lambda c: d.RegisterCity("Vienna", "AT", "Europe/Vienna")),
    (d.RegisterOrganisation, domain.AlreadyExists, lambda c: d.RegisterOrganisation(
        "Law Experts", OrganisationKind.RESEARCH)),
    (d.FoundNetwork, domain.AlreadyExists, lambda c: d.FoundNetwork("Union of the Baltic Cities", "UBC",
                                                                    date(1991, 9, 20))),
    (d.AddCommission, domain.NotFound, lambda c: d.AddCommission(uuid4(), "Youth")),
    (d.AddCommission, domain.AlreadyExists, lambda c: d.AddCommission(UBC, "Safe Cities Commission")),
    (d.AdmitMember, domain.NotFound, lambda c: d.AdmitMember(UBC, uuid4(), MemberRole.MEMBER, date(2020, 1, 1))),
    (d.AdmitMember, domain.AlreadyMember, lambda c: d.AdmitMember(UBC, ROSTOCK, MemberRole.MEMBER, date(2020, 1, 1))),
    (d.ChangeMemberRole, domain.NotFound, lambda c: d.ChangeMemberRole(uuid4(), ROSTOCK, MemberRole.OBSERVER,
                                                                       date(2020, 1, 1))),
    (d.ChangeMemberRole, domain.NotAMember, lambda c: d.ChangeMemberRole(UBC, VIENNA, MemberRole.OBSERVER,
                                                                         date(2020, 1, 1))),
    (d.RecordMemberLeft, domain.NotFound, lambda c: d.RecordMemberLeft(UBC, uuid4(), date(2020, 1, 1))),
    (d.RecordMemberLeft, domain.NotAMember, lambda c: d.RecordMemberLeft(UBC, VIENNA, date(2020, 1, 1))),
    (d.AssignCommissionMember, domain.NotFound, lambda c: d.AssignCommissionMember(UBC, uuid4(), RIGA)),
    (d.AssignCommissionMember, domain.NotAMember, lambda c: d.AssignCommissionMember(UBC, SAFE_CITIES, VIENNA)),
    (d.AssignCommissionMember, domain.AlreadyExists, lambda c: d.AssignCommissionMember(UBC, SAFE_CITIES, ROSTOCK)),
    (d.NameCommissionHead, domain.NotFound, lambda c: d.NameCommissionHead(UBC, uuid4(), RIGA)),
    (d.NameCommissionHead, domain.NotAMember, lambda c: d.NameCommissionHead(UBC, SAFE_CITIES, VIENNA)),
    (d.NameCommissionHead, domain.AlreadyExists, lambda c: d.NameCommissionHead(UBC, SAFE_CITIES, LIEPAJA)),
    (d.ErasePerson, domain.NotFound, lambda c: d.ErasePerson(uuid4())),
    # workshops
    (w.ProposeWorkshop, domain.NotFound, lambda c: w.ProposeWorkshop(
        title="x", topic="y", network_ids=(uuid4(),), partner_city_ids=(ROSTOCK,), host_city_id=ROSTOCK, capacity=5,
        venue="Hall")),
    (w.ProposeWorkshop, domain.InvalidProjectTransition, lambda c: w.ProposeWorkshop(  # PACTESUR is closed
        title="Spam", topic="y", network_ids=(EFUS,), partner_city_ids=(), host_city_id=NICE, capacity=5,
        venue="Hall", project_id=PACTESUR)),
    (w.OpenDatePoll, domain.NotFound, lambda c: w.OpenDatePoll(uuid4(), ((date(2027, 1, 1), date(2027, 1, 2)),))),
    (w.OpenDatePoll, domain.InvalidTransition, lambda c: w.OpenDatePoll(ENERGY, ((date(2027, 1, 1), date(2027, 1, 2)),))),
    (w.AnswerDatePoll, domain.NotFound, lambda c: w.AnswerDatePoll(uuid4(), ROSTOCK, ((0, "yes"),))),
    (w.AnswerDatePoll, domain.InvalidTransition, lambda c: w.AnswerDatePoll(ENERGY, ROSTOCK, ((0, "yes"),))),
    (w.AnswerDatePoll, domain.NotAPartner, lambda c: w.AnswerDatePoll(WARNING, RIGA, ((0, "yes"),))),
    (w.CloseDatePoll, domain.NotFound, lambda c: w.CloseDatePoll(uuid4(), 0)),
    (w.CloseDatePoll, domain.InvalidTransition, lambda c: w.CloseDatePoll(ENERGY, 0)),
    (w.CloseDatePoll, domain.DateConflict, lambda c: (lambda wid: (
        c.bus.run(w.OpenDatePoll(wid, ((date(2027, 3, 27), date(2027, 3, 29)),))), w.CloseDatePoll(wid, 0))[1])(
        _new_workshop(c))),
    (w.ScheduleWorkshop, domain.NotFound, lambda c: w.ScheduleWorkshop(uuid4(), date(2027, 1, 1), date(2027, 1, 2))),
    (w.ScheduleWorkshop, domain.InvalidTransition, lambda c: w.ScheduleWorkshop(ENERGY, date(2027, 1, 1),
                                                                                date(2027, 1, 2))),
    (w.ScheduleWorkshop, domain.DateConflict, lambda c: w.ScheduleWorkshop(_new_workshop(c), date(2027, 3, 27),
                                                                           date(2027, 3, 29))),
    (w.RescheduleWorkshop, domain.NotFound, lambda c: w.RescheduleWorkshop(uuid4(), date(2027, 1, 1),
                                                                           date(2027, 1, 2), "x")),
    (w.RescheduleWorkshop, domain.InvalidTransition, lambda c: w.RescheduleWorkshop(WARNING, date(2027, 1, 1),
                                                                                    date(2027, 1, 2), "x")),
    (w.RescheduleWorkshop, domain.DateConflict, lambda c: w.RescheduleWorkshop(
        _dated_workshop(c, date(2027, 4, 10), date(2027, 4, 12)), date(2027, 3, 27), date(2027, 3, 29), "venue")),
    (w.CancelWorkshop, domain.NotFound, lambda c: w.CancelWorkshop(uuid4(), "x")),
    (w.CancelWorkshop, domain.InvalidTransition, lambda c: w.CancelWorkshop(ENERGY, "x")),
    (w.ConfirmWorkshop, domain.NotFound, lambda c: w.ConfirmWorkshop(uuid4())),
    (w.ConfirmWorkshop, domain.InvalidTransition, lambda c: w.ConfirmWorkshop(WARNING)),
    (w.MarkWorkshopHeld, domain.NotFound, lambda c: w.MarkWorkshopHeld(uuid4(), 1, "ok")),
    (w.MarkWorkshopHeld, domain.InvalidTransition, lambda c: w.MarkWorkshopHeld(WARNING, 1, "ok")),
    (w.AddSession, domain.NotFound, lambda c: w.AddSession(uuid4(), "x", RIGA_TZ, RIGA_TZ)),
    (w.AddSession, domain.InvalidTransition, lambda c: w.AddSession(WARNING, "x", RIGA_TZ, RIGA_TZ)),
    (w.AddSession, domain.SessionOverlap, lambda c: w.AddSession(
        COMMUNICATION, "Clash", datetime(2027, 3, 26, 8, 0, tzinfo=timezone.utc),
        datetime(2027, 3, 26, 9, 0, tzinfo=timezone.utc), room="Main hall")),
    (w.RemoveSession, domain.NotFound, lambda c: w.RemoveSession(COMMUNICATION, uuid4())),
    (w.RemoveSession, domain.InvalidTransition, lambda c: w.RemoveSession(ENERGY, uuid4())),  # held
    (w.RegisterDelegate, domain.NotFound, lambda c: w.RegisterDelegate(uuid4(), ROSTOCK, "A B", "a@b.example",
                                                                       "police")),
    (w.RegisterDelegate, domain.RegistrationClosed, lambda c: w.RegisterDelegate(
        ENERGY, ROSTOCK, "Ann Test", "ann.test@rostock.example", "police")),
    (w.RegisterDelegate, domain.NotAPartner, lambda c: w.RegisterDelegate(
        COMMUNICATION, RIGA, "Ann Test", "ann.test@riga.example", "police")),
    (w.RegisterDelegate, domain.AlreadyRegistered, lambda c: w.RegisterDelegate(
        SHELTERING, ROSTOCK, "Lena Muster", "lena.muster@rostock.example", "police")),
    (w.RegisterDelegate, domain.DateConflict, lambda c: w.RegisterDelegate(
        _dated_workshop(c, date(2027, 5, 19), date(2027, 5, 21)), ROSTOCK, "Lena Muster",
        "lena.muster@rostock.example", "police")),
    (w.WithdrawRegistration, domain.NotFound, lambda c: w.WithdrawRegistration(SHELTERING, uuid4())),
    (w.WithdrawRegistration, domain.RegistrationClosed, lambda c: w.WithdrawRegistration(
        ENERGY, _energy_registration(c))),
    (w.SetWorkshopCapacity, domain.NotFound, lambda c: w.SetWorkshopCapacity(uuid4(), 3)),
    (w.SetWorkshopCapacity, domain.InvalidTransition, lambda c: w.SetWorkshopCapacity(ENERGY, 3)),
    (w.SetWorkshopCapacity, domain.CapacityBelowRegistered, lambda c: w.SetWorkshopCapacity(SHELTERING, 2)),
    (w.SetCityQuota, domain.NotFound, lambda c: w.SetCityQuota(uuid4(), ROSTOCK, 1)),
    (w.SetCityQuota, domain.InvalidTransition, lambda c: w.SetCityQuota(ENERGY, ROSTOCK, 1)),
    (w.SetCityQuota, domain.NotAPartner, lambda c: w.SetCityQuota(SHELTERING, RIGA, 1)),
    # plans and protocols
    (a.DraftActionPlan, domain.NotFound, lambda c: a.DraftActionPlan(
        title="x", network_ids=(UBC,), partner_city_ids=(uuid4(),), starts_on=date(2026, 1, 1))),
    (a.AddAction, domain.NotFound, lambda c: a.AddAction(uuid4(), 1, _fields())),
    (a.AddAction, domain.VersionFrozen, lambda c: a.AddAction(PLAN, 1, _fields())),
    (a.AddAction, domain.NotAPartner, lambda c: a.AddAction(PLAN, _revised_plan(c), _fields(RIGA))),
    (a.UpdateAction, domain.NotFound, lambda c: a.UpdateAction(PLAN, _revised_plan(c), uuid4(), _fields())),
    (a.UpdateAction, domain.VersionFrozen, lambda c: a.UpdateAction(PLAN, 1, CONTACTS, _fields())),
    (a.UpdateAction, domain.NotAPartner, lambda c: a.UpdateAction(PLAN, _revised_plan(c), CONTACTS, _fields(RIGA))),
    (a.RemoveAction, domain.NotFound, lambda c: a.RemoveAction(PLAN, _revised_plan(c), uuid4())),
    (a.RemoveAction, domain.VersionFrozen, lambda c: a.RemoveAction(PLAN, 1, CONTACTS)),
    (a.AddMilestone, domain.NotFound, lambda c: a.AddMilestone(PLAN, _revised_plan(c), uuid4(), "m",
                                                               date(2026, 3, 1))),
    (a.AddMilestone, domain.VersionFrozen, lambda c: a.AddMilestone(PLAN, 1, CONTACTS, "m", date(2026, 3, 1))),
    (a.ReportProgress, domain.NotFound, lambda c: a.ReportProgress(PLAN, uuid4(), 10, "x")),
    (a.HandOverAction, domain.NotFound, lambda c: a.HandOverAction(uuid4(), CONTACTS, VIENNA, "x")),
    (a.HandOverAction, domain.NotAPartner, lambda c: a.HandOverAction(PLAN, CONTACTS, RIGA, "x")),
    (a.ReportProgress, domain.PlanNotAdopted, lambda c: a.ReportProgress(_unadopted_plan(c), uuid4(), 10, "x")),
    (a.HandOverAction, domain.PlanNotAdopted, lambda c: a.HandOverAction(_unadopted_plan(c), uuid4(), VIENNA, "x")),
    (a.DraftProtocol, domain.NotFound, lambda c: a.DraftProtocol("x", "other", (uuid4(),), (ROSTOCK,))),
    (a.AddProtocolStep, domain.NotFound, lambda c: a.AddProtocolStep(uuid4(), 1, _step())),
    (a.AddProtocolStep, domain.VersionFrozen, lambda c: a.AddProtocolStep(PROTOCOL, 1, _step())),
    (a.UpdateProtocolStep, domain.NotFound, lambda c: a.UpdateProtocolStep(PROTOCOL, _revised_protocol(c), uuid4(), _step())),
    (a.UpdateProtocolStep, domain.VersionFrozen, lambda c: a.UpdateProtocolStep(PROTOCOL, 1, _first_step(c), _step())),
    (a.RemoveProtocolStep, domain.NotFound, lambda c: a.RemoveProtocolStep(PROTOCOL, _revised_protocol(c), uuid4())),
    (a.RemoveProtocolStep, domain.VersionFrozen, lambda c: a.RemoveProtocolStep(PROTOCOL, 1, _first_step(c))),
    (a.ProposeVersion, domain.NotFound, lambda c: a.ProposeVersion(uuid4(), 1)),
    (a.ProposeVersion, domain.VersionFrozen, lambda c: a.ProposeVersion(PLAN, 1)),
    (a.StartRevision, domain.NotFound, lambda c: a.StartRevision(uuid4())),
    (a.StartRevision, InvalidVersionTransition, lambda c: (_revised_plan(c), a.StartRevision(PLAN))[1]),
    (a.DraftDeclaration, domain.NotFound, lambda c: a.DraftDeclaration(
        title="A declaration", network_ids=(EFUS,), signatory_city_ids=(ROSTOCK,),
        signatory_parties=(f"organisation:{uuid4()}",))),
    (a.AnswerVersion, domain.NotFound, lambda c: a.AnswerVersion(uuid4(), 1, ROSTOCK, "endorse", "M", "Mayor")),
    (a.AnswerVersion, domain.NotAPartner, lambda c: a.AnswerVersion(PROTOCOL, 1, RIGA, "endorse", "M", "Mayor")),
    (a.AnswerVersion, domain.VersionSuperseded, lambda c: a.AnswerVersion(PLAN, 1, ROSTOCK, "endorse", "M", "Mayor")),
    (a.AnswerVersion, domain.AlreadyEndorsed, lambda c: a.AnswerVersion(PROTOCOL, 1, ROSTOCK, "endorse", "M",
                                                                        "Mayor")),
    # projects
    (pr.FoundProject, domain.AlreadyExists, lambda c: pr.FoundProject("Another", "pactesur", date(2020, 1, 1),
                                                                      date(2021, 1, 1))),
    (pr.FoundProject, domain.NotFound, lambda c: pr.FoundProject("New", "NEW", date(2027, 1, 1), date(2028, 1, 1),
                                                                 coordinating_network_id=uuid4())),
    (pr.AdmitProjectPartner, domain.NotFound, lambda c: pr.AdmitProjectPartner(CRC, "city", uuid4(), "partner")),
    (pr.AdmitProjectPartner, domain.AlreadyPartner, lambda c: pr.AdmitProjectPartner(
        CRC, "city", VIENNA, "expert", since=date(2026, 6, 1))),
    (pr.AdmitProjectPartner, domain.InvalidProjectTransition, lambda c: (
        c.bus.run(pr.CancelProject(CRC, "funding withdrawn (test)")),
        pr.AdmitProjectPartner(CRC, "city", RIGA, "partner"))[1]),
    (pr.EndProjectPartnership, domain.NotFound, lambda c: pr.EndProjectPartnership(uuid4(), VIENNA,
                                                                                   date(2026, 6, 1))),
    (pr.EndProjectPartnership, domain.NotAProjectPartner, lambda c: pr.EndProjectPartnership(
        CRC, RIGA, date(2026, 6, 1))),
    (pr.EndProjectPartnership, domain.InvalidProjectTransition, lambda c: pr.EndProjectPartnership(
        PACTESUR, NICE, date(2021, 6, 30))),
    (pr.NameLeadPartner, domain.NotFound, lambda c: pr.NameLeadPartner(uuid4(), VIENNA)),
    (pr.NameLeadPartner, domain.NotAProjectPartner, lambda c: pr.NameLeadPartner(CRC, RIGA, date(2026, 6, 1))),
    (pr.NameLeadPartner, domain.InvalidProjectTransition, lambda c: pr.NameLeadPartner(UA, NICE)),
    (pr.StartProject, domain.NotFound, lambda c: pr.StartProject(uuid4())),
    (pr.StartProject, domain.InvalidProjectTransition, lambda c: pr.StartProject(CRC)),
    (pr.CloseProject, domain.NotFound, lambda c: pr.CloseProject(uuid4())),
    (pr.CloseProject, domain.InvalidProjectTransition, lambda c: pr.CloseProject(PACTESUR)),
    (pr.CancelProject, domain.NotFound, lambda c: pr.CancelProject(uuid4(), "x")),
    (pr.CancelProject, domain.InvalidProjectTransition, lambda c: pr.CancelProject(PACTESUR, "x")),
    (pr.AttachProjectOutput, domain.NotFound, lambda c: pr.AttachProjectOutput(CRC, "gathering", uuid4())),
    (pr.AttachProjectOutput, domain.AlreadyAttached, lambda c: pr.AttachProjectOutput(CRC, "gathering", ENERGY)),
    (pr.AttachProjectOutput, domain.InvalidProjectTransition, lambda c: pr.AttachProjectOutput(
        PACTESUR, "gathering", _new_workshop(c))),
    # translations
    (t.TranslateText, domain.NotFound, lambda c: t.TranslateText("workshop", uuid4(), "title", "de", "Titel")),
    (t.TranslateText, domain.VersionSuperseded, lambda c: t.TranslateText(
        "plan", PLAN, "title", "de", "Titel", version=_superseded_plan_version(c))),
    (t.DeclareSourceLanguage, domain.NotFound, lambda c: t.DeclareSourceLanguage("plan", uuid4(), "de")),
]


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("demo") / "citynet.sqlite3"
    c = Citynet(f"sqlite:///{path}")
    load_demo(c)
    c.close()
    yield path


@pytest.fixture(scope="module")
def demo(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], Citynet]]:
    """A fresh copy of the demo per call (scenarios that prepare something change it)."""
    made: list[Citynet] = []

    def copy() -> Citynet:
        target = tmp_path_factory.mktemp("copy")
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{demo_template}{suffix}").exists():
                shutil.copy(f"{demo_template}{suffix}", target / f"citynet.sqlite3{suffix}")
        made.append(Citynet(f"sqlite:///{target / 'citynet.sqlite3'}"))
        return made[-1]

    yield copy
    for c in made:
        c.close()


def _label(scenario: tuple[type, type, Any]) -> str:
    return f"{scenario[0].__name__}-{scenario[1].__name__}"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[_label(s) for s in SCENARIOS])
def test_each_declared_error_is_reachable(scenario: tuple[type[Command], type[Exception], Setup],
                                          demo: Callable[[], Citynet]) -> None:
    command_class, error, make = scenario
    c = demo()
    command = make(c)
    assert type(command) is command_class
    head = c.projector.head()
    with pytest.raises(error) as raised:
        c.bus.run(command)
    assert type(raised.value) is error
    assert c.projector.head() == head, "a refusal stores nothing"


def test_every_declared_error_has_a_scenario() -> None:
    declared = {(cls, e) for cls in HANDLERS for e in cls.raises if e not in ALWAYS and e is not Conflict}
    covered = {(cls, e) for cls, e, _ in SCENARIOS}
    assert covered == declared, {
        "declared without a scenario": sorted(_label((c, e, None)) for c, e in declared - covered),
        "scenario for an undeclared error": sorted(_label((c, e, None)) for c, e in covered - declared),
    }


@pytest.mark.parametrize("scenario", SCENARIOS[:1] + [s for s in SCENARIOS if s[1] is domain.NotFound],
                         ids=lambda s: s[0].__name__)
def test_fingerprints_ignore_generated_ids_only(scenario: tuple[type[Command], type[Exception], Setup],
                                                demo: Callable[[], Citynet]) -> None:
    command = scenario[2](demo())
    generated = [f.name for f in dataclasses.fields(command) if f.metadata.get("generated")]
    renewed = dataclasses.replace(command, **{name: uuid4() for name in generated})
    assert renewed.fingerprint() == command.fingerprint()
    changed = [f for f in dataclasses.fields(command) if not f.metadata.get("generated")][0]
    other = dataclasses.replace(command, **{changed.name: _different(getattr(command, changed.name))})
    assert other.fingerprint() != command.fingerprint()


def _different(value: Any) -> Any:
    if isinstance(value, UUID):
        return uuid4()
    if isinstance(value, str):
        return value + "!"
    if isinstance(value, tuple):
        return (*value, uuid4())
    if isinstance(value, date):
        return value.replace(year=value.year + 1)
    return value + 1


LAST_SCENARIO = {cls: make for cls, _, make in SCENARIOS}  # per command, one that names existing records


@pytest.mark.parametrize("command_class", sorted(LAST_SCENARIO, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_the_bus_authorises_every_command_for_its_caller(command_class: type[Command],
                                                         demo: Callable[[], Citynet]) -> None:
    c = demo()
    command = LAST_SCENARIO[command_class](c)
    head = c.projector.head()
    with pytest.raises(domain.NotAllowed):
        c.bus.run(command, actor=ANONYMOUS)
    with pytest.raises(domain.NotAllowed):
        c.bus.run(command, actor=ANONYMOUS, idempotency_key="anonymous-try")
    assert c.projector.head() == head
