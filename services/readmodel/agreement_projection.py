"""The agreements projection: plans and protocols, their versions, endorsements and tracking.

Version content is kept as the domain's own JSON and changed by the domain's
own pure content functions, so the read model cannot drift from the rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from citynet.domain import plan as plan_content
from citynet.domain import protocol as protocol_content
from citynet.domain.agreement import Agreement
from citynet.domain.declaration import Declaration
from citynet.domain.party import party_uuid
from citynet.domain.plan import ActionPlan
from citynet.domain.protocol import Protocol
from citynet.services.projections.batch import Batch
from citynet.services.projections.runner import Item
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
from citynet.services.readmodel.topics import topics_of
from citynet.services.readmodel.workshop_projection import iso_utc

Handler = Callable[[Batch, Any, int], None]


def _drafted(kind: str) -> Handler:
    def handle(b: Batch, e: Any, position: int) -> None:
        aid = str(e.originator_id)
        if kind == "plan":
            content: dict[str, Any] = {"title": e.title, "purpose": e.purpose, "actions": {}}
        elif kind == "protocol":
            content = {"title": e.title, "steps": []}
        else:  # a declaration (kind "decl": the column holds 10 characters)
            content = {"title": e.title, "text": e.text, "adopted_in": e.adopted_in,
                       "further_signatories": e.further_signatories,
                       "further_signatories_note": e.further_signatories_note}
        b[agreements].put(dict(
            id=aid, kind=kind, title=e.title, crisis_type=getattr(e, "crisis_type", None),
            starts_on=getattr(e, "starts_on", None), quorum=e.quorum, latest_version=1, latest_status="draft",
            adopted_version=None, drafted_position=position,
        ))
        for n in e.network_ids:
            b[agreement_networks].put(dict(agreement_id=aid, network_id=str(n)))
        # Partners of any kind, by their own id (unique across kinds; the directory tells the kind).
        for c in e.partner_city_ids:
            b[agreement_partners].put(dict(agreement_id=aid, city_id=str(c)))
        for p in getattr(e, "partner_parties", []):
            b[agreement_partners].put(dict(agreement_id=aid, city_id=str(party_uuid(p))))
        for w in getattr(e, "workshop_ids", []):
            b[plan_workshops].put(dict(plan_id=aid, workshop_id=str(w)))
        b[agreement_versions].put(dict(agreement_id=aid, version=1, status="draft", content=json.dumps(content),
                                       status_changed_at=iso_utc(e.timestamp)))

    return handle


def _edit(change: Callable[[dict[str, Any], Any], None]) -> Handler:
    """Apply a content change to the stored JSON of the event's version."""

    def handle(b: Batch, e: Any, position: int) -> None:
        aid = str(e.originator_id)
        version = b[agreement_versions].get(aid, e.version)
        if version is None:
            return
        content = json.loads(version["content"])
        change(content, e)
        b[agreement_versions].update((aid, e.version), content=json.dumps(content))
        b[agreements].update((aid,), title=content["title"])

    return handle


def _set_status(b: Batch, e: Any, version: int, status: str) -> None:
    aid = str(e.originator_id)
    b[agreement_versions].update((aid, version), status=status, status_changed_at=iso_utc(e.timestamp))
    agreement = b[agreements].get(aid)
    if agreement is None:
        return
    values: dict[str, Any] = {}
    if version == agreement["latest_version"]:
        values["latest_status"] = status
    if status == "adopted":
        values["adopted_version"] = version
    if values:
        b[agreements].update((aid,), **values)


def _revision_started(b: Batch, e: Any, position: int) -> None:
    aid = str(e.originator_id)
    previous = b[agreement_versions].get(aid, e.from_version)
    if previous is None:
        return
    if previous["status"] == "proposed":
        _set_status(b, e, e.from_version, "superseded")
    b[agreement_versions].put(dict(agreement_id=aid, version=e.version, status="draft", content=previous["content"],
                                   status_changed_at=iso_utc(e.timestamp)))
    b[agreements].update((aid,), latest_version=e.version, latest_status="draft")


def _answered(b: Batch, e: Any, position: int) -> None:
    b[endorsements].put(dict(
        agreement_id=str(e.originator_id), version=e.version, city_id=str(party_uuid(e.party)), decision=e.decision,
        signed_by=e.signed_by, signatory_role=e.signatory_role, answered_at=iso_utc(e.timestamp)))


def _tracking(b: Batch, plan_id: str, action_id: str) -> tuple[str, str]:
    key = (plan_id, action_id)
    if b[action_tracking].get(*key) is None:
        b[action_tracking].put(dict(plan_id=plan_id, action_id=action_id, status="planned", progress=0,
                                    lead_city_id=None))
    return key


def _progress(b: Batch, e: Any, position: int) -> None:
    key = _tracking(b, str(e.originator_id), e.action_id)
    b[action_tracking].update(key, progress=e.progress, status=e.status)
    b[action_log].put(dict(position=position, plan_id=str(e.originator_id), action_id=e.action_id, kind="progress",
                           progress=e.progress, status=e.status, note=e.note, at=iso_utc(e.timestamp)))


def _handed_over(b: Batch, e: Any, position: int) -> None:
    key = _tracking(b, str(e.originator_id), e.action_id)
    b[action_tracking].update(key, lead_city_id=str(e.to_city_id))
    b[action_log].put(dict(position=position, plan_id=str(e.originator_id), action_id=e.action_id, kind="handover",
                           from_city_id=str(e.from_city_id) if e.from_city_id else None,
                           to_city_id=str(e.to_city_id), note=e.reason,
                           at=iso_utc(e.timestamp)))


class AgreementProjection:
    name = "agreements"
    version = 2  # 2: parties beyond cities and declarations (issue 12): rows of version 1 lack them
    raw = False
    tables = (agreements, agreement_networks, agreement_partners, plan_workshops, agreement_versions, endorsements,
              action_tracking, action_log)

    handlers: dict[type, Handler] = {
        ActionPlan.Drafted: _drafted("plan"),
        Protocol.Drafted: _drafted("protocol"),
        Declaration.Drafted: _drafted("decl"),
        ActionPlan.ActionAdded: _edit(lambda c, e: plan_content.content_add_action(c, e.action_id, dict(e.fields))),
        ActionPlan.ActionUpdated: _edit(lambda c, e: plan_content.content_update_action(c, e.action_id, dict(e.fields))),
        ActionPlan.ActionRemoved: _edit(lambda c, e: plan_content.content_remove_action(c, e.action_id)),
        ActionPlan.MilestoneAdded: _edit(lambda c, e: plan_content.content_add_milestone(
            c, e.action_id, e.milestone_id, e.title, e.due_on)),
        Protocol.StepAdded: _edit(lambda c, e: protocol_content.content_add_step(c, dict(e.step), e.position)),
        Protocol.StepUpdated: _edit(lambda c, e: protocol_content.content_update_step(c, e.step_id, dict(e.fields))),
        Protocol.StepRemoved: _edit(lambda c, e: protocol_content.content_remove_step(c, e.step_id)),
        Agreement.VersionProposed: lambda b, e, p: _set_status(b, e, e.version, "proposed"),
        Agreement.RevisionStarted: _revision_started,
        Agreement.VersionAnswered: _answered,
        Agreement.VersionAdopted: lambda b, e, p: _set_status(b, e, e.version, "adopted"),
        Agreement.VersionRejected: lambda b, e, p: _set_status(b, e, e.version, "rejected"),
        ActionPlan.ProgressReported: _progress,
        ActionPlan.ResponsibilityHandedOver: _handed_over,
    }
    topics = topics_of(handlers)

    def prepare(self, conn: Connection, b: Batch, items: Sequence[Item]) -> None:
        ids = {(str(i.event.originator_id),) for i in items}
        b[agreements].load(conn, ids)
        b[agreement_versions].load_groups(conn, ("agreement_id",), ids)
        b[action_tracking].load(conn, {(str(i.event.originator_id), i.event.action_id) for i in items
                                       if isinstance(i.event, (ActionPlan.ProgressReported,
                                                               ActionPlan.ResponsibilityHandedOver))})

    def apply(self, b: Batch, item: Item) -> None:
        handler = self.handlers.get(type(item.event))
        if handler is not None:
            handler(b, item.event, item.position)
