"""Shared action plans: actions with responsible parties, tracked, agreed per version.

Content (versioned, endorsed): title, purpose, actions with their responsible
and supporting parties (cities, networks, commissions, organisations: see
domain/party.py; an action may name none), due dates, weights, parent action
and dated milestones. An action's fields keep ``lead_city_id`` (the first
responsible party when it is a city, else null) and ``supporting_city_ids``
(the supporting cities) beside ``responsible_parties`` and
``supporting_parties``: what reads cities only keeps working, and events
written before parties existed are upcast to name their cities as parties.
Tracking (not versioned, it is carrying the plan out): each action's status,
progress with a note on every update, reached milestones, and hand-overs of
responsibility to another partner city. Only the adopted version is carried
out: a draft or proposed revision is a proposal, not an obligation.

Status and progress agree: DONE is exactly 100 %; a report below 100 on a
done action reopens it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from citynet.domain.agreement import Agreement, check_quorum, clean_partner_parties
from citynet.domain.party import PartyKind, as_party, city_of, city_party, parse_party
from citynet.domain.errors import InvalidInput, NotFound, PlanNotAdopted
from citynet.domain.values import clean_enum, clean_name, clean_note


class ActionStatus(str, enum.Enum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"
    DROPPED = "dropped"


OPEN_STATUSES = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS, ActionStatus.BLOCKED)


# -- content: pure functions over JSON-ready dicts, shared with the projection ------------


def content_add_action(content: dict[str, Any], action_id: str, fields: dict[str, Any]) -> None:
    content["actions"][action_id] = {**fields, "milestones": {}}


def content_update_action(content: dict[str, Any], action_id: str, fields: dict[str, Any]) -> None:
    content["actions"][action_id].update(fields)


def content_remove_action(content: dict[str, Any], action_id: str) -> None:
    removed = {action_id}
    changed = True
    while changed:  # sub-actions go with their parent
        changed = False
        for aid, action in list(content["actions"].items()):
            if action.get("parent_id") in removed and aid not in removed:
                removed.add(aid)
                changed = True
    for aid in removed:
        del content["actions"][aid]


def content_add_milestone(content: dict[str, Any], action_id: str, milestone_id: str, title: str, due_on: str) -> None:
    content["actions"][action_id]["milestones"][milestone_id] = {"title": title, "due_on": due_on}


@dataclass
class Tracking:
    status: ActionStatus = ActionStatus.PLANNED
    progress: int = 0
    lead_city_id: UUID | None = None  # set by a hand-over; else the content's lead


def rolled_up(actions: dict[str, dict[str, Any]], tracking: dict[str, Tracking]) -> dict[str, float]:
    """Progress per action, rolled up by weight over sub-actions; dropped ones excluded.

    A done action counts 100. An action without (live) sub-actions counts its own
    reported progress; a blocked one counts what it has reached so far."""
    children: dict[str | None, list[str]] = {}
    for aid, action in actions.items():
        children.setdefault(action.get("parent_id"), []).append(aid)
    memo: dict[str, float] = {}

    def status(aid: str) -> ActionStatus:
        return tracking[aid].status if aid in tracking else ActionStatus.PLANNED

    def value(aid: str) -> float:
        if aid in memo:
            return memo[aid]
        live = [c for c in children.get(aid, []) if status(c) is not ActionStatus.DROPPED]
        if status(aid) is ActionStatus.DONE:
            result = 100.0
        elif live:
            total = sum(actions[c]["weight"] for c in live)
            result = sum(actions[c]["weight"] * value(c) for c in live) / total if total else 0.0
        else:
            result = float(tracking[aid].progress if aid in tracking else 0)
        memo[aid] = result
        return result

    for aid in actions:
        value(aid)
    return memo


def plan_progress(actions: dict[str, dict[str, Any]], tracking: dict[str, Tracking]) -> float:
    values = rolled_up(actions, tracking)
    top = [a for a, action in actions.items() if action.get("parent_id") is None
           and (tracking[a].status if a in tracking else ActionStatus.PLANNED) is not ActionStatus.DROPPED]
    total = sum(actions[a]["weight"] for a in top)
    return round(sum(actions[a]["weight"] * values[a] for a in top) / total, 2) if total else 0.0


def _parties_from_cities(fields: dict[str, Any]) -> None:
    """Upcast a version-1 action's fields (cities only) to name parties too."""
    if "lead_city_id" in fields:
        lead = fields["lead_city_id"]
        fields["responsible_parties"] = [city_party(lead)] if lead else []
    if "supporting_city_ids" in fields:
        fields["supporting_parties"] = [city_party(c) for c in fields["supporting_city_ids"]]


def action_parties(action: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(responsible, supporting) party keys of an action's fields; content stored before parties
    existed (a read model not rebuilt since) names cities only."""
    if "responsible_parties" in action:
        return list(action["responsible_parties"]), list(action.get("supporting_parties", []))
    lead = action.get("lead_city_id")
    return ([city_party(lead)] if lead else []), [city_party(c) for c in action.get("supporting_city_ids", [])]


class ActionPlan(Agreement):
    class Drafted(Aggregate.Created):
        """Version 2 added ``partner_parties`` (partners other than cities); version 1 had none."""

        title: str
        purpose: str
        network_ids: list[UUID]
        partner_city_ids: list[UUID]
        partner_parties: list[str]
        workshop_ids: list[UUID]
        starts_on: date
        quorum: int | None
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:  # type: ignore[type-arg]
            state["partner_parties"] = []

    class ActionAdded(Aggregate.Event):
        """Version 2 fields name responsible and supporting parties; version 1 named cities only."""

        version: int
        action_id: str
        fields: dict[str, Any]
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:  # type: ignore[type-arg]
            _parties_from_cities(state["fields"])

    class ActionUpdated(Aggregate.Event):
        """As ActionAdded: version-1 changes of lead or supporting cities are upcast to parties."""

        version: int
        action_id: str
        fields: dict[str, Any]
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:  # type: ignore[type-arg]
            _parties_from_cities(state["fields"])

    @event(Drafted)
    def __init__(
        self, id: UUID, title: str, purpose: str, network_ids: list[UUID], partner_city_ids: list[UUID],
        partner_parties: list[str], workshop_ids: list[UUID], starts_on: date, quorum: int | None,
    ) -> None:
        self.network_ids = list(network_ids)
        self.partner_city_ids = list(partner_city_ids)
        self.partner_parties = list(partner_parties)
        self.workshop_ids = list(workshop_ids)
        self.starts_on = starts_on
        self.quorum = quorum
        self._init_versions({"title": title, "purpose": purpose, "actions": {}})
        self.tracking: dict[str, Tracking] = {}

    @classmethod
    def draft(
        cls, *, title: str, purpose: str = "", network_ids: list[UUID], partner_city_ids: list[UUID],
        partner_parties: list[str] | None = None, workshop_ids: list[UUID] | None = None, starts_on: date,
        quorum: int | None = None, plan_id: UUID | None = None,
    ) -> ActionPlan:
        if not network_ids:
            raise InvalidInput("networkIds", "name at least one owning network")
        partners = list(dict.fromkeys(partner_city_ids))
        others = clean_partner_parties(partner_parties)
        if not partners and not others:
            raise InvalidInput("partnerCityIds", "name at least one partner")
        return cls(
            id=plan_id or uuid4(), title=clean_name("title", title), purpose=clean_note("purpose", purpose),
            network_ids=list(dict.fromkeys(network_ids)), partner_city_ids=partners, partner_parties=others,
            workshop_ids=list(dict.fromkeys(workshop_ids or [])), starts_on=starts_on,
            quorum=check_quorum(quorum, len(partners) + len(others)),
        )

    def _check_ready(self, content: dict[str, Any]) -> None:
        if not content["actions"]:
            raise InvalidInput("version", "a plan needs at least one action before it is proposed")

    # -- content commands (on the draft version) -------------------------------------------

    def _action_fields(self, *, title: str, description: str, lead_city_id: UUID | None,
                       supporting_city_ids: list[UUID], due_on: date, weight: float,
                       responsible_parties: list[str] | None = None,
                       supporting_parties: list[str] | None = None) -> dict[str, Any]:
        """Responsible parties are either ``lead_city_id`` (a city) or ``responsible_parties`` (any kinds,
        the first is the lead; none at all is allowed: an activity nobody has taken on yet).
        Supporting parties are ``supporting_city_ids`` and ``supporting_parties`` together."""
        if lead_city_id is not None and responsible_parties:
            raise InvalidInput("responsiblePartyIds", "give either leadCityId or responsiblePartyIds")
        if lead_city_id is not None:
            responsible = [self._require_partner(lead_city_id, "leadCityId")]
        else:
            responsible = [self._require_partner(p, "responsiblePartyIds")
                           for p in dict.fromkeys(as_party(p, "responsiblePartyIds") for p in responsible_parties or [])]
        supporting = [self._require_partner(c, "supportingCityIds") for c in dict.fromkeys(supporting_city_ids)]
        supporting += [self._require_partner(p, "supportingPartyIds") for p in supporting_parties or []]
        supporting = [p for p in dict.fromkeys(supporting) if p not in responsible]
        if due_on < self.starts_on:
            raise InvalidInput("dueOn", f"{due_on.isoformat()} is before the plan starts ({self.starts_on.isoformat()})")
        if not 0 < weight <= 1000:
            raise InvalidInput("weight", "must be greater than 0 and at most 1000")
        return {
            "title": clean_name("title", title), "description": clean_note("description", description),
            "lead_city_id": str(city_of(responsible[0])) if responsible and city_of(responsible[0]) else None,
            "supporting_city_ids": [str(city_of(p)) for p in supporting if city_of(p)],
            "responsible_parties": responsible, "supporting_parties": supporting,
            "due_on": due_on.isoformat(), "weight": float(weight),
        }

    def _action(self, version: int, action_id: UUID) -> dict[str, Any]:
        actions = self.versions[version].content["actions"]
        if str(action_id) not in actions:
            raise NotFound("Action", action_id, "actionId")
        return actions[str(action_id)]

    def add_action(self, version: int, *, title: str, description: str = "", lead_city_id: UUID | None = None,
                   supporting_city_ids: list[UUID] | None = None, due_on: date, weight: float = 1.0,
                   parent_id: UUID | None = None, action_id: UUID | None = None,
                   responsible_parties: list[str] | None = None, supporting_parties: list[str] | None = None) -> UUID:
        draft = self._editable(version)
        fields = self._action_fields(title=title, description=description, lead_city_id=lead_city_id,
                                     supporting_city_ids=supporting_city_ids or [], due_on=due_on, weight=weight,
                                     responsible_parties=responsible_parties, supporting_parties=supporting_parties)
        if parent_id is not None:
            self._action(version, parent_id)
        fields["parent_id"] = str(parent_id) if parent_id else None
        new_id = action_id or uuid4()
        if str(new_id) in draft.content["actions"]:
            raise InvalidInput("actionId", "an action with this id exists")
        self._action_added(version=version, action_id=str(new_id), fields=fields)
        return new_id

    def update_action(self, version: int, action_id: UUID, *, title: str, description: str,
                      lead_city_id: UUID | None = None, supporting_city_ids: list[UUID] | None = None, due_on: date,
                      weight: float, responsible_parties: list[str] | None = None,
                      supporting_parties: list[str] | None = None) -> None:
        self._editable(version)
        current = self._action(version, action_id)
        fields = self._action_fields(title=title, description=description, lead_city_id=lead_city_id,
                                     supporting_city_ids=supporting_city_ids or [], due_on=due_on, weight=weight,
                                     responsible_parties=responsible_parties, supporting_parties=supporting_parties)
        latest_milestone = max((m["due_on"] for m in current["milestones"].values()), default=None)
        if latest_milestone is not None and fields["due_on"] < latest_milestone:
            raise InvalidInput("dueOn", f"{fields['due_on']} is before the action's milestone due {latest_milestone}")
        changed = {k: v for k, v in fields.items() if current.get(k) != v}
        if not changed:
            raise InvalidInput("actionId", "nothing to change")
        self._action_updated(version=version, action_id=str(action_id), fields=changed)

    def remove_action(self, version: int, action_id: UUID) -> None:
        self._editable(version)
        self._action(version, action_id)
        self._action_removed(version=version, action_id=str(action_id))

    def add_milestone(self, version: int, action_id: UUID, title: str, due_on: date) -> UUID:
        self._editable(version)
        action = self._action(version, action_id)
        if due_on < self.starts_on:
            raise InvalidInput("dueOn", f"{due_on.isoformat()} is before the plan starts ({self.starts_on.isoformat()})")
        if due_on.isoformat() > action["due_on"]:
            raise InvalidInput("dueOn", f"{due_on.isoformat()} is after the action is due ({action['due_on']})")
        milestone_id = uuid4()
        self._milestone_added(version=version, action_id=str(action_id), milestone_id=str(milestone_id),
                              title=clean_name("title", title), due_on=due_on.isoformat())
        return milestone_id

    # -- tracking commands (carrying the plan out; not versioned) ---------------------------

    def _current_action(self, action_id: UUID) -> dict[str, Any]:
        """The action as the adopted version has it: only that version is carried out."""
        adopted = self.adopted
        if adopted is None:
            raise PlanNotAdopted(self.id)
        actions = adopted.content["actions"]
        if str(action_id) not in actions:
            raise NotFound("Action", action_id, "actionId")
        return actions[str(action_id)]

    def has_adopted_action(self, action_id: UUID) -> bool:
        adopted = self.adopted
        return adopted is not None and str(action_id) in adopted.content["actions"]

    def lead_of(self, action_id: UUID) -> UUID | None:
        """The city leading the action now (after any hand-over); None when the lead is not a city or
        the action names no responsible party."""
        tracked = self.tracking.get(str(action_id))
        if tracked and tracked.lead_city_id:
            return tracked.lead_city_id
        lead = self._current_action(action_id)["lead_city_id"]
        return UUID(lead) if lead else None

    def report_progress(self, action_id: UUID, progress: int, note: str, status: ActionStatus | str | None = None) -> None:
        if not 0 <= progress <= 100:
            raise InvalidInput("progress", "must be between 0 and 100")
        self._current_action(action_id)
        new_status = clean_enum(ActionStatus, "status", status) if status is not None else None
        current = self.tracking.get(str(action_id), Tracking()).status
        if new_status is None:
            if progress == 100:
                new_status = ActionStatus.DONE
            elif current is ActionStatus.DONE:  # reported below 100: it is open again
                new_status = ActionStatus.IN_PROGRESS if progress > 0 else ActionStatus.PLANNED
            elif current is ActionStatus.PLANNED and progress > 0:
                new_status = ActionStatus.IN_PROGRESS
            else:
                new_status = current
        elif new_status is ActionStatus.DONE and progress != 100:
            raise InvalidInput("progress", "a done action is at 100; report 100 or another status")
        elif new_status is ActionStatus.PLANNED and progress != 0:
            raise InvalidInput("progress", "a planned action has not started: report 0 or another status")
        elif progress == 100 and new_status not in (ActionStatus.DONE, ActionStatus.DROPPED):
            raise InvalidInput("status", "100 means done: report status DONE (or DROPPED)")
        self._progress_reported(action_id=str(action_id), progress=progress, status=new_status.value,
                                note=clean_note("note", note, 2000, required=True))

    def hand_over(self, action_id: UUID, to_city_id: UUID, reason: str) -> None:
        self._current_action(action_id)
        self._require_partner(to_city_id, "toCityId")
        if self.lead_of(action_id) == to_city_id:
            raise InvalidInput("toCityId", "that city already leads this action")
        self._handed_over(action_id=str(action_id), from_city_id=self.lead_of(action_id), to_city_id=to_city_id,
                          reason=clean_note("reason", reason, 2000, required=True))

    # -- events ---------------------------------------------------------------------------------

    @event(ActionAdded)
    def _action_added(self, version: int, action_id: str, fields: dict[str, Any]) -> None:
        content_add_action(self.versions[version].content, action_id, fields)

    @event(ActionUpdated)
    def _action_updated(self, version: int, action_id: str, fields: dict[str, Any]) -> None:
        content_update_action(self.versions[version].content, action_id, fields)

    @event("ActionRemoved")
    def _action_removed(self, version: int, action_id: str) -> None:
        content_remove_action(self.versions[version].content, action_id)

    @event("MilestoneAdded")
    def _milestone_added(self, version: int, action_id: str, milestone_id: str, title: str, due_on: str) -> None:
        content_add_milestone(self.versions[version].content, action_id, milestone_id, title, due_on)

    @event("ProgressReported")
    def _progress_reported(self, action_id: str, progress: int, status: str, note: str) -> None:
        tracked = self.tracking.setdefault(action_id, Tracking())
        tracked.progress, tracked.status = progress, ActionStatus(status)

    @event("ResponsibilityHandedOver")
    def _handed_over(self, action_id: str, from_city_id: UUID, to_city_id: UUID, reason: str) -> None:
        self.tracking.setdefault(action_id, Tracking()).lead_city_id = to_city_id
