"""The projects projection: projects, their partnerships over time, and the outputs attached to them.

A lead partner change is applied with the domain's own pure function
(``apply_lead_named``), so the periods in the read model are the aggregate's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.engine import Connection

from citynet.domain.project import (
    Partnership,
    PartnerRole,
    Party,
    PartyKind,
    Project,
    apply_lead_named,
)
from citynet.services.projections.batch import Batch
from citynet.services.projections.runner import Item
from citynet.services.readmodel.tables import project_outputs, project_partners, projects
from citynet.services.readmodel.topics import topics_of

Handler = Callable[[Batch, Any, int], None]


def _founded(b: Batch, e: Any, position: int) -> None:
    b[projects].put(dict(id=str(e.originator_id), name=e.name, acronym=e.acronym, objectives=e.objectives,
                         start_date=e.start_date, end_date=e.end_date, status="planned", status_reason="",
                         founded_position=position))


def _status(status: str) -> Handler:
    def handle(b: Batch, e: Any, position: int) -> None:
        b[projects].update((str(e.originator_id),), status=status, status_reason=getattr(e, "reason", ""))

    return handle


def _partner_admitted(b: Batch, e: Any, position: int) -> None:
    b[project_partners].put(dict(
        partnership_id=str(e.partnership_id), project_id=str(e.originator_id), party_kind=e.party_kind,
        party_id=str(e.party_id), party_network_id=str(e.party_network_id) if e.party_network_id else None,
        role=e.role, since=e.since, until=e.until))


def _partnership_ended(b: Batch, e: Any, position: int) -> None:
    b[project_partners].update((str(e.partnership_id),), until=e.on)


def _as_partnership(row: dict[str, Any]) -> Partnership:
    network = row["party_network_id"]
    party = Party(PartyKind(row["party_kind"]), UUID(row["party_id"]), UUID(network) if network else None)
    return Partnership(UUID(row["partnership_id"]), party, PartnerRole(row["role"]), row["since"], row["until"])


def _lead_named(b: Batch, e: Any, position: int) -> None:
    pid = str(e.originator_id)
    rows = b[project_partners]
    current = [_as_partnership(r) for r in rows.where(project_id=pid)]
    apply_lead_named(current, e.partnership_id, e.on, e.new_partnership_id, e.previous_new_partnership_id)
    for p in current:
        row = dict(partnership_id=str(p.id), project_id=pid, party_kind=p.party.kind.value, party_id=str(p.party.id),
                   party_network_id=str(p.party.network_id) if p.party.network_id else None, role=p.role.value,
                   since=p.since, until=p.until)
        existing = next(rows.where(partnership_id=str(p.id)), None)
        if existing != row:
            rows.put(row)


def _output_attached(b: Batch, e: Any, position: int) -> None:
    b[project_outputs].put(dict(output_id=str(e.output_id), project_id=str(e.originator_id),
                                output_kind=e.output_kind, attached_position=position))


class ProjectProjection:
    name = "projects"
    raw = False
    tables = (projects, project_partners, project_outputs)

    handlers: dict[type, Handler] = {
        Project.Founded: _founded,
        Project.Started: _status("running"),
        Project.Closed: _status("closed"),
        Project.Cancelled: _status("cancelled"),
        Project.PartnerAdmitted: _partner_admitted,
        Project.PartnershipEnded: _partnership_ended,
        Project.LeadPartnerNamed: _lead_named,
        Project.OutputAttached: _output_attached,
    }
    topics = topics_of(handlers)

    def prepare(self, conn: Connection, b: Batch, items: Sequence[Item]) -> None:
        events = [i.event for i in items]
        b[projects].load(conn, {(str(e.originator_id),) for e in events})
        b[project_partners].load_groups(conn, ("project_id",), {
            (str(e.originator_id),) for e in events
            if isinstance(e, (Project.PartnershipEnded, Project.LeadPartnerNamed))})

    def apply(self, b: Batch, item: Item) -> None:
        handler = self.handlers.get(type(item.event))
        if handler is not None:
            handler(b, item.event, item.position)
