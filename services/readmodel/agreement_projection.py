"""The agreements projection: plans and protocols, their versions, endorsements and tracking.

Version content is kept as the domain's own JSON and changed by the domain's
own pure content functions, so the read model cannot drift from the rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Connection

from citynet.domain import plan as plan_content
from citynet.domain import protocol as protocol_content
from citynet.domain.agreement import Agreement
from citynet.domain.plan import ActionPlan
from citynet.domain.protocol import Protocol
from citynet.services.readmodel.tables import (
    action_log,
    action_tracking,
    agreement_networks,
    agreement_partners,
    agreement_versions,
    agreements,
    endorsements,
    plan_workshops,
)
from citynet.services.readmodel.workshop_projection import iso_utc


def _drafted(kind: str) -> Callable[[Connection, Any, int], None]:
    def handle(conn: Connection, e: Any, position: int) -> None:
        aid = str(e.originator_id)
        content = ({"title": e.title, "purpose": e.purpose, "actions": {}} if kind == "plan"
                   else {"title": e.title, "steps": []})
        conn.execute(insert(agreements).values(
            id=aid, kind=kind, title=e.title, crisis_type=getattr(e, "crisis_type", None),
            starts_on=getattr(e, "starts_on", None), quorum=e.quorum, latest_version=1, latest_status="draft",
            adopted_version=None, drafted_position=position,
        ))
        for n in e.network_ids:
            conn.execute(insert(agreement_networks).values(agreement_id=aid, network_id=str(n)))
        for c in e.partner_city_ids:
            conn.execute(insert(agreement_partners).values(agreement_id=aid, city_id=str(c)))
        for w in getattr(e, "workshop_ids", []):
            conn.execute(insert(plan_workshops).values(plan_id=aid, workshop_id=str(w)))
        conn.execute(insert(agreement_versions).values(
            agreement_id=aid, version=1, status="draft", content=json.dumps(content), status_changed_at=iso_utc(e.timestamp)))

    return handle


def _version_key(e: Any, version: int) -> Any:
    return and_(agreement_versions.c.agreement_id == str(e.originator_id), agreement_versions.c.version == version)


def _edit(change: Callable[[dict[str, Any], Any], None]) -> Callable[[Connection, Any, int], None]:
    """Apply a content change to the stored JSON of the event's version."""

    def handle(conn: Connection, e: Any, position: int) -> None:
        stored = conn.execute(select(agreement_versions.c.content).where(_version_key(e, e.version))).scalar_one()
        content = json.loads(stored)
        change(content, e)
        conn.execute(update(agreement_versions).where(_version_key(e, e.version)).values(content=json.dumps(content)))
        conn.execute(update(agreements).where(agreements.c.id == str(e.originator_id)).values(title=content["title"]))

    return handle


def _set_status(conn: Connection, e: Any, version: int, status: str) -> None:
    conn.execute(update(agreement_versions).where(_version_key(e, version)).values(
        status=status, status_changed_at=iso_utc(e.timestamp)))
    latest = conn.execute(select(agreements.c.latest_version).where(agreements.c.id == str(e.originator_id))).scalar_one()
    values: dict[str, Any] = {}
    if version == latest:
        values["latest_status"] = status
    if status == "adopted":
        values["adopted_version"] = version
    if values:
        conn.execute(update(agreements).where(agreements.c.id == str(e.originator_id)).values(**values))


def _revision_started(conn: Connection, e: Any, position: int) -> None:
    previous = conn.execute(select(agreement_versions).where(_version_key(e, e.from_version))).one()
    if previous.status == "proposed":
        _set_status(conn, e, e.from_version, "superseded")
    conn.execute(insert(agreement_versions).values(
        agreement_id=str(e.originator_id), version=e.version, status="draft", content=previous.content,
        status_changed_at=iso_utc(e.timestamp)))
    conn.execute(update(agreements).where(agreements.c.id == str(e.originator_id)).values(
        latest_version=e.version, latest_status="draft"))


def _answered(conn: Connection, e: Any, position: int) -> None:
    conn.execute(insert(endorsements).values(
        agreement_id=str(e.originator_id), version=e.version, city_id=str(e.city_id), decision=e.decision,
        signed_by=e.signed_by, signatory_role=e.signatory_role, answered_at=iso_utc(e.timestamp)))


def _tracking(conn: Connection, plan_id: str, action_id: str) -> Any:
    key = and_(action_tracking.c.plan_id == plan_id, action_tracking.c.action_id == action_id)
    if conn.execute(select(action_tracking.c.action_id).where(key)).first() is None:
        conn.execute(insert(action_tracking).values(plan_id=plan_id, action_id=action_id, status="planned",
                                                    progress=0, lead_city_id=None))
    return key


def _progress(conn: Connection, e: Any, position: int) -> None:
    key = _tracking(conn, str(e.originator_id), e.action_id)
    conn.execute(update(action_tracking).where(key).values(progress=e.progress, status=e.status))
    conn.execute(insert(action_log).values(
        position=position, plan_id=str(e.originator_id), action_id=e.action_id, kind="progress",
        progress=e.progress, status=e.status, note=e.note, at=iso_utc(e.timestamp)))


def _handed_over(conn: Connection, e: Any, position: int) -> None:
    key = _tracking(conn, str(e.originator_id), e.action_id)
    conn.execute(update(action_tracking).where(key).values(lead_city_id=str(e.to_city_id)))
    conn.execute(insert(action_log).values(
        position=position, plan_id=str(e.originator_id), action_id=e.action_id, kind="handover",
        from_city_id=str(e.from_city_id), to_city_id=str(e.to_city_id), note=e.reason, at=iso_utc(e.timestamp)))


class AgreementProjection:
    name = "agreements"

    handlers: dict[type, Callable[[Connection, Any, int], None]] = {
        ActionPlan.Drafted: _drafted("plan"),
        Protocol.Drafted: _drafted("protocol"),
        ActionPlan.ActionAdded: _edit(lambda c, e: plan_content.content_add_action(c, e.action_id, dict(e.fields))),
        ActionPlan.ActionUpdated: _edit(lambda c, e: plan_content.content_update_action(c, e.action_id, dict(e.fields))),
        ActionPlan.ActionRemoved: _edit(lambda c, e: plan_content.content_remove_action(c, e.action_id)),
        ActionPlan.MilestoneAdded: _edit(lambda c, e: plan_content.content_add_milestone(
            c, e.action_id, e.milestone_id, e.title, e.due_on)),
        Protocol.StepAdded: _edit(lambda c, e: protocol_content.content_add_step(c, dict(e.step), e.position)),
        Protocol.StepUpdated: _edit(lambda c, e: protocol_content.content_update_step(c, e.step_id, dict(e.fields))),
        Protocol.StepRemoved: _edit(lambda c, e: protocol_content.content_remove_step(c, e.step_id)),
        Agreement.VersionProposed: lambda conn, e, p: _set_status(conn, e, e.version, "proposed"),
        Agreement.RevisionStarted: _revision_started,
        Agreement.VersionAnswered: _answered,
        Agreement.VersionAdopted: lambda conn, e, p: _set_status(conn, e, e.version, "adopted"),
        Agreement.VersionRejected: lambda conn, e, p: _set_status(conn, e, e.version, "rejected"),
        ActionPlan.ProgressReported: _progress,
        ActionPlan.ResponsibilityHandedOver: _handed_over,
    }

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(conn, event, position)
