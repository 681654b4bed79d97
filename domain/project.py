"""A project: the collaborations cities actually run (PACTESUR, Connecting Resilient Cities, ...).

A project has a name, an acronym (its identity, like a network's short name),
objectives, planned start and end dates and a lifecycle
(PLANNED -> RUNNING -> CLOSED, or CANCELLED before it closes). Its partners
are parties: cities, networks, a network's commission or organisations, each
taking part in one role over a period of days. Partnerships have history, as
network memberships do: a partnership runs from ``since`` to ``until``, both
days included (``until`` is null while it is open), and "who was a partner on
1 June 2020" is answered from those periods. Dates are effective dates chosen
by people; the events' timestamps say when citynet learned them.

Outputs (gatherings, action plans, protocols) are attached to one project
each: an ``OutputClaim`` aggregate, keyed by the output's id and saved
atomically with the project, makes a second project's attachment collide.

The domain never reads a clock: ``today`` is passed in by the services.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, event

from citynet.domain.errors import (
    AlreadyAttached,
    AlreadyPartner,
    InvalidInput,
    InvalidProjectTransition,
    NotAProjectPartner,
)
from citynet.domain.party import PartyKind  # noqa: F401 - one kind of party for projects and agreements
from citynet.domain.values import clean_enum, clean_name, clean_note, clean_text, require_date

PROJECT_NAMESPACE = UUID("3a5e7c9b-1d2f-4e6a-8b0c-2d4f6a8c0e13")
OUTPUT_NAMESPACE = UUID("7c1e3a5b-9d2f-4a6c-8e0b-4f6a8c0e2d35")
ACRONYM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .&'/-]{0,39}$")
MAX_PROJECT_YEARS = 30


class ProjectStatus(str, enum.Enum):
    PLANNED = "planned"
    RUNNING = "running"
    CLOSED = "closed"
    CANCELLED = "cancelled"


OPEN = (ProjectStatus.PLANNED, ProjectStatus.RUNNING)  # partners and outputs change only then


class PartnerRole(str, enum.Enum):
    LEAD_PARTNER = "lead_partner"
    COORDINATOR = "coordinator"
    PARTNER = "partner"
    ASSOCIATED_PARTNER = "associated_partner"
    EXPERT = "expert"




class OutputKind(str, enum.Enum):
    GATHERING = "gathering"  # a workshop, conference, training, study trip or week of events
    ACTION_PLAN = "action_plan"
    PROTOCOL = "protocol"


@dataclass(frozen=True)
class Party:
    kind: PartyKind
    id: UUID
    network_id: UUID | None = None  # a commission's network

    def describe(self) -> str:
        return f"{self.kind.value} {self.id}"


@dataclass
class Partnership:
    id: UUID
    party: Party
    role: PartnerRole
    since: date
    until: date | None  # last day, included; None while open

    def covers(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)

    def overlaps(self, since: date, until: date | None) -> bool:
        return (until is None or self.since <= until) and (self.until is None or since <= self.until)


def project_id_for(acronym: str) -> UUID:
    return uuid5(PROJECT_NAMESPACE, " ".join(acronym.split()).casefold())


def output_claim_id(output_id: UUID) -> UUID:
    return uuid5(OUTPUT_NAMESPACE, str(output_id))


def _party_fields(party: Party) -> dict[str, object]:
    return dict(party_kind=party.kind.value, party_id=party.id, party_network_id=party.network_id)


def _party(party_kind: str, party_id: UUID, party_network_id: UUID | None) -> Party:
    return Party(PartyKind(party_kind), party_id, party_network_id)


class Project(Aggregate):
    @staticmethod
    def create_id(name: str, acronym: str, objectives: str, start_date: date, end_date: date) -> UUID:
        return project_id_for(acronym)

    @event("Founded")
    def __init__(self, name: str, acronym: str, objectives: str, start_date: date, end_date: date) -> None:
        self.name = name
        self.acronym = acronym
        self.objectives = objectives
        self.start_date = start_date
        self.end_date = end_date
        self.status = ProjectStatus.PLANNED
        self.partnerships: list[Partnership] = []
        self.outputs: dict[UUID, OutputKind] = {}

    # -- founding and lifecycle --------------------------------------------------------

    @classmethod
    def found(cls, name: str, acronym: str, objectives: str, start_date: date, end_date: date) -> Project:
        short = clean_text("acronym", acronym, max_length=40, required=True)
        if not ACRONYM.match(short):
            raise InvalidInput("acronym", "must be 1-40 letters, digits, spaces or . & ' / - (for example 'PACTESUR')")
        start = require_date("startDate", start_date)
        end = require_date("endDate", end_date)
        if end < start:
            raise InvalidInput("endDate", f"{end.isoformat()} is before the start date {start.isoformat()}")
        if end.year - start.year > MAX_PROJECT_YEARS:
            raise InvalidInput("endDate", f"a project runs at most {MAX_PROJECT_YEARS} years")
        return cls(name=clean_name("name", name), acronym=short, objectives=clean_note("objectives", objectives),
                   start_date=start, end_date=end)

    def start(self, *, today: date) -> None:
        self._require((ProjectStatus.PLANNED,), "started")
        if today < self.start_date:
            raise InvalidInput("projectId", f"the project starts on {self.start_date.isoformat()} "
                                            f"(today is {today.isoformat()})")
        self._started()

    def close(self) -> None:
        self._require((ProjectStatus.RUNNING,), "closed")
        self._closed()

    def cancel(self, reason: str) -> None:
        self._require((ProjectStatus.PLANNED, ProjectStatus.RUNNING), "cancelled")
        self._cancelled(reason=clean_note("reason", reason, 2000, required=True))

    def _require(self, allowed: tuple[ProjectStatus, ...], action: str) -> None:
        if self.status not in allowed:
            raise InvalidProjectTransition(self.status.value, action)

    def require_open(self, action: str) -> None:
        """Partners, the lead partner and outputs change only while the project is PLANNED or RUNNING
        (decision 015's rule table): a CLOSED or CANCELLED project's record is final."""
        self._require(OPEN, action)

    # -- partners ------------------------------------------------------------------------

    def partnerships_of(self, party_id: UUID) -> list[Partnership]:
        return [p for p in self.partnerships if p.party.id == party_id]

    def runs_on(self, day: date) -> bool:
        """Whether ``day`` is one of the project's days (its planned first to last day, both included).
        No partnership runs outside them, whatever its own ``until`` says (null: to the project's end)."""
        return self.start_date <= day <= self.end_date

    def partner_on(self, party_id: UUID, day: date) -> Partnership | None:
        if not self.runs_on(day):
            return None
        return next((p for p in self.partnerships_of(party_id) if p.covers(day)), None)

    def lead_on(self, day: date) -> Partnership | None:
        if not self.runs_on(day):
            return None
        return next((p for p in self.partnerships if p.role is PartnerRole.LEAD_PARTNER and p.covers(day)), None)

    def _require_project_day(self, field: str, day: date) -> None:
        if day < self.start_date:
            raise InvalidInput(field, f"{day.isoformat()} is before the project starts ({self.start_date.isoformat()})")
        if day > self.end_date:
            raise InvalidInput(field, f"{day.isoformat()} is after the project ends ({self.end_date.isoformat()})")

    def admit_partner(self, party: Party, role: PartnerRole | str, since: date | None = None,
                      until: date | None = None, *, partnership_id: UUID | None = None) -> Partnership:
        self.require_open("given partners")
        role = clean_enum(PartnerRole, "role", role)
        since = self.start_date if since is None else require_date("since", since)
        if until is not None:
            until = require_date("until", until)
            if until < since:
                raise InvalidInput("until", f"{until.isoformat()} is before since ({since.isoformat()})")
            self._require_project_day("until", until)
        self._require_project_day("since", since)
        for p in self.partnerships_of(party.id):
            if p.overlaps(since, until):
                span = f"{p.since.isoformat()}..{p.until.isoformat() if p.until else 'open'}"
                raise AlreadyPartner(self.id, party.id, p.since, p.until,
                                     f"{party.describe()} is already a {p.role.value.replace('_', ' ')} of "
                                     f"{self.acronym} for {span}")
        if role is PartnerRole.LEAD_PARTNER:
            for p in self.partnerships:
                if p.role is PartnerRole.LEAD_PARTNER and p.overlaps(since, until):
                    raise InvalidInput("role", f"{self.acronym} already has a lead partner ({p.party.describe()}) "
                                               f"from {p.since.isoformat()}: name the new one with nameLeadPartner")
        new_id = partnership_id or uuid4()
        self._partner_admitted(partnership_id=new_id, role=role.value, since=since, until=until,
                               **_party_fields(party))
        return next(p for p in self.partnerships if p.id == new_id)

    def end_partnership(self, party_id: UUID, on: date) -> None:
        """The partnership running on ``on`` ends that day (``on`` is its last day)."""
        self.require_open("changed: its partnerships stay as they were")
        on = require_date("on", on)
        self._require_project_day("on", on)
        running = next((p for p in self.partnerships_of(party_id) if p.covers(on) and p.until != on), None)
        if running is None:
            raise NotAProjectPartner(self.id, party_id, "partnerId",
                                     f"{party_id} has no partnership of {self.acronym} running on {on.isoformat()}")
        self._partnership_ended(partnership_id=running.id, on=on)

    def name_lead_partner(self, party_id: UUID, on: date | None = None) -> None:
        """The party becomes lead partner from ``on`` (default: the project's start); it must be a partner
        then. The previous lead, if any, stays a partner (role PARTNER) from that day."""
        self.require_open("given a new lead partner")
        day = self.start_date if on is None else require_date("on", on)
        self._require_project_day("on", day)
        current = self.partner_on(party_id, day)
        if current is None:
            raise NotAProjectPartner(self.id, party_id, "partnerId",
                                     f"{party_id} is not a partner of {self.acronym} on {day.isoformat()}: "
                                     "admit it first")
        if current.role is PartnerRole.LEAD_PARTNER:
            raise InvalidInput("partnerId", f"it is already the lead partner of {self.acronym} on {day.isoformat()}")
        previous = self.lead_on(day)
        for p in self.partnerships:
            if p.role is PartnerRole.LEAD_PARTNER and p is not previous and p.overlaps(day, current.until):
                raise InvalidInput("on", f"{p.party.describe()} is lead partner of {self.acronym} from "
                                         f"{p.since.isoformat()}: two leads would overlap")
        self._lead_named(partnership_id=current.id, on=day, new_partnership_id=uuid4(),
                         previous_new_partnership_id=uuid4())

    # -- outputs --------------------------------------------------------------------------

    def attach_output(self, kind: OutputKind | str, output_id: UUID, claim: OutputClaim | None) -> OutputClaim:
        """Attach a gathering, plan or protocol; ``claim`` is the output's existing claim, if any."""
        kind = clean_enum(OutputKind, "outputKind", kind)
        self.require_open("given outputs")
        if claim is not None:
            raise AlreadyAttached(kind.value, output_id, claim.project_id,
                                  f"the {kind.value.replace('_', ' ')} {output_id} already belongs to "
                                  + ("this project" if claim.project_id == self.id else f"project {claim.project_id}"))
        self._output_attached(output_kind=kind.value, output_id=output_id)
        return OutputClaim(output_id=output_id, project_id=self.id, output_kind=kind.value)

    # -- events ---------------------------------------------------------------------------

    @event("Started")
    def _started(self) -> None:
        self.status = ProjectStatus.RUNNING

    @event("Closed")
    def _closed(self) -> None:
        self.status = ProjectStatus.CLOSED

    @event("Cancelled")
    def _cancelled(self, reason: str) -> None:
        self.status = ProjectStatus.CANCELLED

    @event("PartnerAdmitted")
    def _partner_admitted(self, partnership_id: UUID, role: str, since: date, until: date | None,
                          party_kind: str, party_id: UUID, party_network_id: UUID | None) -> None:
        self.partnerships.append(Partnership(partnership_id, _party(party_kind, party_id, party_network_id),
                                             PartnerRole(role), since, until))

    @event("PartnershipEnded")
    def _partnership_ended(self, partnership_id: UUID, on: date) -> None:
        for p in self.partnerships:
            if p.id == partnership_id:
                p.until = on

    @event("LeadPartnerNamed")
    def _lead_named(self, partnership_id: UUID, on: date, new_partnership_id: UUID,
                    previous_new_partnership_id: UUID) -> None:
        apply_lead_named(self.partnerships, partnership_id, on, new_partnership_id, previous_new_partnership_id)

    @event("OutputAttached")
    def _output_attached(self, output_kind: str, output_id: UUID) -> None:
        self.outputs[output_id] = OutputKind(output_kind)


def split_role(partnerships: list[Partnership], p: Partnership, on: date, role: PartnerRole, new_id: UUID) -> None:
    """From ``on`` the party holds ``role``: change it in place when the partnership starts that day,
    else end the partnership the day before and open a new one from ``on`` to its old end."""
    if p.since == on:
        p.role = role
        return
    until = p.until
    p.until = on - timedelta(days=1)
    partnerships.append(Partnership(new_id, p.party, role, on, until))


def apply_lead_named(partnerships: list[Partnership], partnership_id: UUID, on: date, new_id: UUID,
                     previous_new_id: UUID) -> None:
    """Pure: the same function changes the aggregate and the read model."""
    previous = next((p for p in partnerships if p.role is PartnerRole.LEAD_PARTNER and p.covers(on)), None)
    if previous is not None:
        split_role(partnerships, previous, on, PartnerRole.PARTNER, previous_new_id)
    named = next(p for p in partnerships if p.id == partnership_id)
    split_role(partnerships, named, on, PartnerRole.LEAD_PARTNER, new_id)


class OutputClaim(Aggregate):
    """Claims a gathering, plan or protocol for one project; saved atomically with the project."""

    @staticmethod
    def create_id(output_id: UUID, project_id: UUID, output_kind: str) -> UUID:
        return output_claim_id(output_id)

    @event("Claimed")
    def __init__(self, output_id: UUID, project_id: UUID, output_kind: str) -> None:
        self.output_id = output_id
        self.project_id = project_id
        self.output_kind = output_kind
