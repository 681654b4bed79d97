"""Random command sequences against each aggregate, refused ones included (hypothesis stateful tests).

After every step: a refused command changed nothing; the aggregate's own
invariants hold; and folding its events from scratch gives the same state
(the read models replay the same events).
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from citynet.domain.agreement import Decision, VersionStatus
from citynet.domain.declaration import Declaration
from citynet.domain.errors import DomainError
from citynet.domain.network import Network
from citynet.domain.organisation import Organisation, OrganisationKind, OrganisationName, organisation_key
from citynet.domain.plan import ActionPlan, ActionStatus
from citynet.domain.protocol import Protocol
from citynet.domain.values import MemberRole
from citynet.domain.workshop import Workshop
from citynet.domain.workshop_values import RegistrationStatus, WorkshopStatus

FAST = settings(max_examples=50, stateful_step_count=20, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
CITIES = [UUID(int=i) for i in range(1, 5)]
# Partners other than cities (an organisation, a network, a commission) and one that is no partner.
OTHER_PARTIES = [f"organisation:{UUID(int=11)}", f"network:{UUID(int=12)}", f"commission:{UUID(int=12)}:{UUID(int=13)}"]
PARTIES = [*(f"city:{c}" for c in CITIES), *OTHER_PARTIES, f"organisation:{UUID(int=99)}"]
START = date(2026, 6, 1)


def fingerprint(aggregate: Any) -> Any:
    """Everything but eventsourcing's bookkeeping."""
    state = {k: v for k, v in vars(aggregate).items() if k not in ("_pending_events", "_modified_on")}
    return copy.deepcopy(state)


class AggregateMachine(RuleBasedStateMachine):
    """Shared: run a command, and if refused check that nothing changed; keep every event to replay."""

    aggregate: Any

    def setup(self, aggregate: Any) -> None:
        self.aggregate = aggregate
        self.events: list[Any] = list(aggregate.collect_events())
        self.refusals = 0

    def attempt(self, command: Any) -> bool:
        before = fingerprint(self.aggregate)
        try:
            command()
        except DomainError:
            self.refusals += 1
            assert not self.aggregate._pending_events, "a refusal triggers no event"
            assert fingerprint(self.aggregate) == before, "a refusal changes nothing"
            return False
        self.events.extend(self.aggregate.collect_events())
        return True

    @invariant()
    def replaying_the_events_gives_the_same_state(self) -> None:
        folded = None
        for e in self.events:
            folded = e.mutate(folded)
        assert fingerprint(folded) == fingerprint(self.aggregate)


# -- workshop ---------------------------------------------------------------------------------------

ranges = st.integers(min_value=-2, max_value=60).map(lambda d: (START + timedelta(days=d), START + timedelta(days=d + 2)))


class WorkshopMachine(AggregateMachine):
    @initialize(capacity=st.integers(1, 4))
    def propose(self, capacity: int) -> None:
        self.today = START
        self.setup(Workshop.propose(title="Drill", topic="flood", network_ids=[uuid4()], partner_city_ids=CITIES[1:],
                                    host_city_id=CITIES[0], time_zone="Europe/Vienna", venue="Hall",
                                    capacity=capacity))
        self.frozen: Any = None

    @rule(days=st.integers(0, 10))
    def time_passes(self, days: int) -> None:
        self.today += timedelta(days=days)

    @rule(candidates=st.lists(ranges, min_size=1, max_size=3))
    def open_poll(self, candidates: list[tuple[date, date]]) -> None:
        self.attempt(lambda: self.aggregate.open_poll(candidates, today=self.today))

    @rule(city=st.sampled_from(CITIES + [uuid4()]), answer=st.sampled_from(["yes", "no", "if_need_be"]))
    def answer_poll(self, city: UUID, answer: str) -> None:
        self.attempt(lambda: self.aggregate.answer_poll(city, {0: answer}))

    @rule(chosen=st.integers(0, 3))
    def close_poll(self, chosen: int) -> None:
        self.attempt(lambda: self.aggregate.close_poll(chosen, today=self.today))

    @rule(span=ranges)
    def schedule(self, span: tuple[date, date]) -> None:
        self.attempt(lambda: self.aggregate.schedule(*span, today=self.today))

    @rule(span=ranges)
    def reschedule(self, span: tuple[date, date]) -> None:
        self.attempt(lambda: self.aggregate.reschedule(*span, "moved", today=self.today))

    @rule()
    def confirm(self) -> None:
        self.attempt(self.aggregate.confirm)

    @rule()
    def cancel(self) -> None:
        self.attempt(lambda: self.aggregate.cancel("called off"))

    @rule(attendance=st.integers(-1, 6))
    def mark_held(self, attendance: int) -> None:
        self.attempt(lambda: self.aggregate.mark_held(attendance, "done", ["a finding"], today=self.today))

    @rule(city=st.sampled_from(CITIES), person=st.integers(1, 6))
    def register(self, city: UUID, person: int) -> None:
        self.attempt(lambda: self.aggregate.register(person_id=UUID(int=100 + person), city_id=city,
                                                     function="police", today=self.today))

    @rule(pick=st.integers(0, 10))
    def withdraw(self, pick: int) -> None:
        ids = sorted(self.aggregate.registrations, key=str)
        target = ids[pick % len(ids)] if ids else uuid4()
        self.attempt(lambda: self.aggregate.withdraw(target))

    @rule(capacity=st.integers(0, 5), move=st.booleans())
    def set_capacity(self, capacity: int, move: bool) -> None:
        self.attempt(lambda: self.aggregate.set_capacity(capacity, "move_to_waitlist" if move else "refuse"))

    @rule(city=st.sampled_from(CITIES), quota=st.one_of(st.none(), st.integers(0, 3)))
    def set_quota(self, city: UUID, quota: int | None) -> None:
        self.attempt(lambda: self.aggregate.set_city_quota(city, quota))

    @invariant()
    def places_and_fifo_waitlist(self) -> None:
        w: Workshop = self.aggregate
        regs = list(w.registrations.values())
        registered = [r for r in regs if r.status is RegistrationStatus.REGISTERED]
        waiting = sorted((r for r in regs if r.status is RegistrationStatus.WAITLISTED), key=lambda r: r.arrival)
        assert w.registered_count == len(registered) <= w.capacity
        assert [r.id for r in w.waitlist] == [r.id for r in waiting]  # first in, first out
        for r in waiting:  # nobody waits while a place for their city is free
            assert not w._has_place_for(r.city_id)
        for city, quota in w.quotas.items():
            assert w._city_count(city) == sum(1 for r in registered if r.city_id == city)
        active = [r.person_id for r in regs if r.status is not RegistrationStatus.WITHDRAWN]
        assert len(active) == len(set(active))

    @invariant()
    def a_finished_workshop_never_changes(self) -> None:
        w: Workshop = self.aggregate
        state = (w.status, w.dates, {r.id: r.status for r in w.registrations.values()}, w.capacity)
        if self.frozen is None and w.status in (WorkshopStatus.CANCELLED, WorkshopStatus.HELD):
            self.frozen = copy.deepcopy(state)
        if self.frozen is not None:
            assert state == self.frozen, "a cancelled or held workshop never changes"
            assert w.poll is None or w.poll.closed


TestWorkshopMachine = WorkshopMachine.TestCase
TestWorkshopMachine.settings = FAST


# -- network -----------------------------------------------------------------------------------------

days = st.integers(0, 40).map(lambda d: date(2020, 1, 1) + timedelta(days=d * 30))


class NetworkMachine(AggregateMachine):
    @initialize()
    def found(self) -> None:
        self.today = date(2023, 6, 1)
        self.setup(Network.found("Union of the Baltic Cities", "UBC", date(2020, 1, 1)))
        self.periods: dict[UUID, list[list[date | None]]] = {}

    @rule(name=st.sampled_from(["Safe", "Cultural", "Planning"]))
    def add_commission(self, name: str) -> None:
        self.attempt(lambda: self.aggregate.add_commission(name))

    @rule(city=st.sampled_from(CITIES), role=st.sampled_from(list(MemberRole)), since=days)
    def admit(self, city: UUID, role: MemberRole, since: date) -> None:
        if self.attempt(lambda: self.aggregate.admit(city, role, since, today=self.today)):
            self.periods.setdefault(city, []).append([since, None])

    @rule(city=st.sampled_from(CITIES), role=st.sampled_from(list(MemberRole)), on=days)
    def change_role(self, city: UUID, role: MemberRole, on: date) -> None:
        self.attempt(lambda: self.aggregate.change_role(city, role, on, today=self.today))

    @rule(city=st.sampled_from(CITIES), on=days)
    def leave(self, city: UUID, on: date) -> None:
        if self.attempt(lambda: self.aggregate.record_departure(city, on, today=self.today)):
            self.periods[city][-1][1] = on

    @rule(city=st.sampled_from(CITIES), pick=st.integers(0, 5), head=st.booleans())
    def commission_work(self, city: UUID, pick: int, head: bool) -> None:
        ids = sorted(self.aggregate.commissions, key=str)
        commission = ids[pick % len(ids)] if ids else uuid4()
        if head:
            self.attempt(lambda: self.aggregate.name_commission_head(commission, city))
        else:
            self.attempt(lambda: self.aggregate.assign_to_commission(commission, city))

    @invariant()
    def memberships_and_commissions(self) -> None:
        n: Network = self.aggregate
        for city, periods in self.periods.items():
            for (s1, e1), (s2, _) in zip(periods, periods[1:]):
                assert e1 is not None and e1 <= s2, "membership periods never overlap"
            assert (periods[-1][1] is None) == (city in n.members)
        for m in n.members.values():
            assert m.member_since <= m.role_since <= self.today
        for c in n.commissions.values():
            assert set(c.member_city_ids) <= set(n.members)
            if c.head_city_id is not None:
                assert n.members[c.head_city_id].role is not MemberRole.OBSERVER
                assert c.head_city_id in c.member_city_ids


TestNetworkMachine = NetworkMachine.TestCase
TestNetworkMachine.settings = FAST


# -- organisation ------------------------------------------------------------------------------------


class OrganisationRegistryMachine(RuleBasedStateMachine):
    """Registrations as the application makes them: a name claim per folded (country, name) key.

    Invariants: an accepted registration gets the id its key derives, its claim names it, no two
    organisations share a key, and each organisation's events replay to the same state."""

    def __init__(self) -> None:
        super().__init__()
        self.claims: dict[str, UUID] = {}
        self.organisations: dict[UUID, tuple[Organisation, list[Any]]] = {}

    @rule(name=st.sampled_from(["Law experts", "LAW  EXPERTS", "Lâw experts", "Euromed network", "", "Law\x00x"]),
          kind=st.sampled_from([*OrganisationKind, "lawyers"]),
          country=st.sampled_from([None, "IT", "it", "ZZ"]))
    def register(self, name: str, kind: Any, country: str | None) -> None:
        try:
            organisation = Organisation.register(name, kind, country)
        except DomainError:
            return
        claim = OrganisationName.for_organisation(organisation)
        if claim.key in self.claims or organisation.id in self.organisations:
            return  # the application refuses it (AlreadyExists), nothing saved
        self.claims[claim.key] = organisation.id
        assert claim.organisation_id == organisation.id
        self.organisations[organisation.id] = (organisation, list(organisation.collect_events()))

    @invariant()
    def keys_are_unique_and_ids_derived(self) -> None:
        keys = [organisation_key(o.name, o.country_code) for o, _ in self.organisations.values()]
        assert len(keys) == len(set(keys))
        for organisation, events in self.organisations.values():
            assert self.claims[organisation_key(organisation.name, organisation.country_code)] == organisation.id
            assert organisation.country_code is None or organisation.country_code == organisation.country_code.upper()
            folded = None
            for e in events:
                folded = e.mutate(folded)
            assert fingerprint(folded) == fingerprint(organisation)


TestOrganisationRegistryMachine = OrganisationRegistryMachine.TestCase
TestOrganisationRegistryMachine.settings = FAST


# -- action plan and protocol --------------------------------------------------------------------------


class AgreementMachine(AggregateMachine):
    @rule()
    def propose_version(self) -> None:
        self.attempt(lambda: self.aggregate.propose_version(self.aggregate.latest.number))

    @rule()
    def start_revision(self) -> None:
        self.attempt(self.aggregate.start_revision)

    @rule(party=st.one_of(st.sampled_from(CITIES), st.sampled_from(PARTIES)), endorse=st.booleans(),
          stale=st.booleans())
    def answer(self, party: UUID | str, endorse: bool, stale: bool) -> None:
        version = max(1, self.aggregate.latest.number - int(stale))
        self.attempt(lambda: self.aggregate.answer(version, party, "endorse" if endorse else "decline", "Mayor", "Mayor"))

    @invariant()
    def versions_follow_their_rules(self) -> None:
        a = self.aggregate
        numbers = sorted(a.versions)
        assert numbers == list(range(1, len(numbers) + 1))
        for v in a.versions.values():
            if v.status is VersionStatus.DRAFT:
                assert v.number == numbers[-1] and not v.endorsements
            endorsed = sum(1 for e in v.endorsements.values() if e.decision is Decision.ENDORSE)
            if v.status is VersionStatus.ADOPTED:
                assert endorsed >= a.required
            if v.status is VersionStatus.PROPOSED:
                assert endorsed < a.required
            assert set(v.endorsements) <= set(a.partner_keys), "only partners (of any kind) answer"
            assert len(v.endorsements) <= len(a.partner_keys)


class PlanMachine(AgreementMachine):
    @initialize(quorum=st.one_of(st.none(), st.integers(1, 3)))
    def draft(self, quorum: int | None) -> None:
        self.setup(ActionPlan.draft(title="Plan", network_ids=[uuid4()], partner_city_ids=CITIES[:3],
                                    partner_parties=OTHER_PARTIES[:2], starts_on=date(2026, 1, 1), quorum=quorum))

    @rule(lead=st.sampled_from(CITIES), due=st.integers(0, 400))
    def add_action(self, lead: UUID, due: int) -> None:
        self.attempt(lambda: self.aggregate.add_action(self.aggregate.latest.number, title="Act", lead_city_id=lead,
                                                       due_on=date(2025, 12, 1) + timedelta(days=due)))

    @rule(responsible=st.lists(st.sampled_from(PARTIES), max_size=3),
          supporting=st.lists(st.sampled_from(PARTIES), max_size=3), due=st.integers(0, 400))
    def add_action_of_parties(self, responsible: list[str], supporting: list[str], due: int) -> None:
        self.attempt(lambda: self.aggregate.add_action(
            self.aggregate.latest.number, title="Act", responsible_parties=responsible,
            supporting_parties=supporting, due_on=date(2025, 12, 1) + timedelta(days=due)))

    @invariant()
    def actions_name_partners_only(self) -> None:
        partners = set(self.aggregate.partner_keys)
        for v in self.aggregate.versions.values():
            for action in v.content["actions"].values():
                responsible, supporting = action["responsible_parties"], action["supporting_parties"]
                assert set(responsible) | set(supporting) <= partners
                assert not set(responsible) & set(supporting), "a responsible party does not also support"
                lead = responsible[0] if responsible else None
                assert action["lead_city_id"] == (lead.split(":")[1] if lead and lead.startswith("city:") else None)

    @rule(pick=st.integers(0, 10))
    def remove_action(self, pick: int) -> None:
        actions = sorted(self.aggregate.latest.content["actions"])
        target = UUID(actions[pick % len(actions)]) if actions else uuid4()
        self.attempt(lambda: self.aggregate.remove_action(self.aggregate.latest.number, target))

    @rule(pick=st.integers(0, 10), progress=st.integers(-5, 105),
          status=st.one_of(st.none(), st.sampled_from(list(ActionStatus))))
    def report_progress(self, pick: int, progress: int, status: ActionStatus | None) -> None:
        known = sorted({a for v in self.aggregate.versions.values() for a in v.content["actions"]})
        target = UUID(known[pick % len(known)]) if known else uuid4()
        if self.attempt(lambda: self.aggregate.report_progress(target, progress, "note", status)):
            adopted = self.aggregate.adopted
            assert adopted is not None and str(target) in adopted.content["actions"], "only the adopted version is tracked"

    @invariant()
    def status_and_progress_agree(self) -> None:
        for tracked in self.aggregate.tracking.values():
            if tracked.status is ActionStatus.DONE:
                assert tracked.progress == 100
            if tracked.progress == 100:
                assert tracked.status in (ActionStatus.DONE, ActionStatus.DROPPED)
            if tracked.status is ActionStatus.PLANNED:
                assert tracked.progress == 0


TestPlanMachine = PlanMachine.TestCase
TestPlanMachine.settings = FAST


class ProtocolMachine(AgreementMachine):
    @initialize(quorum=st.one_of(st.none(), st.integers(1, 3)))
    def draft(self, quorum: int | None) -> None:
        self.setup(Protocol.draft(title="Flood", crisis_type="flood", network_ids=[uuid4()],
                                  partner_city_ids=CITIES[:3], partner_parties=OTHER_PARTIES[2:], quorum=quorum))

    @rule(position=st.one_of(st.none(), st.integers(0, 3)))
    def add_step(self, position: int | None) -> None:
        self.attempt(lambda: self.aggregate.add_step(self.aggregate.latest.number, instruction="Evacuate",
                                                     responsible_role="Fire brigade", time_frame="1 hour",
                                                     position=position))

    @rule(pick=st.integers(0, 10))
    def remove_step(self, pick: int) -> None:
        steps = self.aggregate.latest.content["steps"]
        target = UUID(steps[pick % len(steps)]["id"]) if steps else uuid4()
        self.attempt(lambda: self.aggregate.remove_step(self.aggregate.latest.number, target))


TestProtocolMachine = ProtocolMachine.TestCase
TestProtocolMachine.settings = FAST


class DeclarationMachine(AgreementMachine):
    """Signatories of every kind sign; the counted, unnamed signatories never become partners."""

    @initialize(quorum=st.one_of(st.none(), st.integers(1, 3)))
    def draft(self, quorum: int | None) -> None:
        self.setup(Declaration.draft(title="Declaration of Nice", network_ids=[uuid4()], partner_city_ids=CITIES[:1],
                                     partner_parties=OTHER_PARTIES[:2], adopted_in="2017-09", further_signatories=60,
                                     further_signatories_note="mayors from 18 countries", quorum=quorum))

    @invariant()
    def unnamed_signatories_stay_a_count(self) -> None:
        assert len(self.aggregate.partner_keys) == 3
        for v in self.aggregate.versions.values():
            assert v.content["further_signatories"] == 60


TestDeclarationMachine = DeclarationMachine.TestCase
TestDeclarationMachine.settings = FAST


# -- project ------------------------------------------------------------------------------------------

from citynet.domain.project import OutputClaim, OutputKind, PartnerRole, Party, PartyKind, Project, ProjectStatus  # noqa: E402

P_START, P_END = date(2024, 1, 1), date(2026, 12, 31)
PARTIES = [Party(PartyKind.CITY, c) for c in CITIES] + [Party(PartyKind.NETWORK, UUID(int=99))]
p_days = st.integers(min_value=-30, max_value=1200).map(lambda d: P_START + timedelta(days=d))
OUTPUTS = [UUID(int=i) for i in range(200, 204)]


class ProjectMachine(AggregateMachine):
    @initialize()
    def found(self) -> None:
        self.setup(Project.found("Protecting Allied Cities", "PACTESUR", "Objectives", P_START, P_END))
        self.claims: dict[UUID, OutputClaim] = {}
        self.today = P_START
        self.final: tuple[Any, ...] | None = None  # partners and outputs when the project closed or was cancelled

    @rule(party=st.sampled_from(PARTIES), role=st.sampled_from(list(PartnerRole)), since=p_days,
          length=st.one_of(st.none(), st.integers(-5, 400)))
    def admit(self, party: Party, role: PartnerRole, since: date, length: int | None) -> None:
        until = None if length is None else since + timedelta(days=length)
        self.attempt(lambda: self.aggregate.admit_partner(party, role, since, until))

    @rule(party=st.sampled_from(PARTIES), on=p_days)
    def end(self, party: Party, on: date) -> None:
        self.attempt(lambda: self.aggregate.end_partnership(party.id, on))

    @rule(party=st.sampled_from(PARTIES), on=st.one_of(st.none(), p_days))
    def name_lead(self, party: Party, on: date | None) -> None:
        self.attempt(lambda: self.aggregate.name_lead_partner(party.id, on))

    @rule(days=st.integers(0, 200))
    def time_passes(self, days: int) -> None:
        self.today += timedelta(days=days)

    @rule(step=st.sampled_from(["start", "close", "cancel"]))
    def lifecycle(self, step: str) -> None:
        p: Project = self.aggregate
        self.attempt({"start": lambda: p.start(today=self.today), "close": p.close,
                      "cancel": lambda: p.cancel("funding ended")}[step])

    @rule(output=st.sampled_from(OUTPUTS), kind=st.sampled_from(list(OutputKind)))
    def attach(self, output: UUID, kind: OutputKind) -> None:
        made: list[OutputClaim] = []
        if self.attempt(lambda: made.append(self.aggregate.attach_output(kind, output, self.claims.get(output)))):
            self.claims[output] = made[0]

    @invariant()
    def partnerships_hold(self) -> None:
        p: Project = self.aggregate
        assert p.start_date <= p.end_date
        for a in p.partnerships:
            assert p.start_date <= a.since and (a.until is None or a.since <= a.until <= p.end_date)
        for i, a in enumerate(p.partnerships):
            for b in p.partnerships[i + 1:]:
                if a.party.id == b.party.id:
                    assert not a.overlaps(b.since, b.until), "one party's partnerships never overlap"
                if a.role is PartnerRole.LEAD_PARTNER and b.role is PartnerRole.LEAD_PARTNER:
                    assert not a.overlaps(b.since, b.until), "at most one lead partner on any day"
        assert set(p.outputs) == set(self.claims), "every output claimed exactly once"
        if p.status is ProjectStatus.RUNNING:
            assert self.today >= p.start_date
        outside = (p.start_date - timedelta(days=1), p.end_date + timedelta(days=1))
        for day in outside:  # no partnership, open or not, runs outside the project (decision 015)
            assert p.lead_on(day) is None and all(p.partner_on(party.id, day) is None for party in PARTIES)

    @invariant()
    def a_closed_or_cancelled_record_is_final(self) -> None:
        p: Project = self.aggregate
        state = ([(a.id, a.role, a.since, a.until) for a in p.partnerships], dict(p.outputs))
        assert self.final is None or p.status in (ProjectStatus.CLOSED, ProjectStatus.CANCELLED), "final is final"
        if p.status in (ProjectStatus.CLOSED, ProjectStatus.CANCELLED):
            if self.final is None:
                self.final = state
            assert state == self.final, "partners and outputs do not change once closed or cancelled"


TestProjectMachine = ProjectMachine.TestCase
TestProjectMachine.settings = FAST
