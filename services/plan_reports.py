"""Reports over plans and protocols: what a city owes, and what changed between versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from collections.abc import Callable

from citynet.domain.plan import OPEN_STATUSES, ActionStatus
from citynet.services.clock import Clock, shared_today, today_in
from citynet.services.readmodel.agreement_queries import AgreementRow, TrackingRow, VersionRow, rollup
from citynet.services.readmodel.queries import ReadModel


def is_overdue(status: str, due_on: date, today: date) -> bool:
    """Open and past its due day (by the responsible city's calendar)."""
    return ActionStatus(status) in OPEN_STATUSES and due_on < today


@dataclass(frozen=True)
class ActionView:
    """An action of a plan's current version with how it is being carried out."""

    id: str
    content: dict[str, Any]  # as the version states it
    status: str
    progress: int
    rolled_up_progress: float
    overdue: bool
    current_lead_id: str | None  # a city, or None when the lead is not a city or no one is named


def current_actions(content: dict[str, Any], tracking_rows: list[TrackingRow],
                    today_of: Callable[[str], date]) -> list[ActionView]:
    """The version's actions, earliest due first; ``today_of(city_id)`` is that city's today."""
    values, _ = rollup(content, tracking_rows)
    tracked = {t.action_id: t for t in tracking_rows}
    out = []
    for action_id, a in sorted(content["actions"].items(), key=lambda kv: (kv[1]["due_on"], kv[1]["title"])):
        t = tracked.get(action_id)
        status = t.status if t else ActionStatus.PLANNED.value
        lead = t.lead_city_id if t and t.lead_city_id else a["lead_city_id"]
        out.append(ActionView(action_id, a, status, t.progress if t else 0, round(values[action_id], 2),
                              is_overdue(status, date.fromisoformat(a["due_on"]), today_of(lead)), lead))
    return out


@dataclass(frozen=True)
class OwedAction:
    plan: AgreementRow
    action_id: str
    action: dict[str, Any]
    status: str
    progress: int
    lead_city_id: str
    role: str  # lead or supporting
    overdue: bool


async def city_today(reads: ReadModel, clock: Clock, city_id: str) -> date:
    """The city's own date: what it owes is overdue by its calendar."""
    city = (await reads.cities_by_id([city_id])).get(city_id)
    return today_in(clock, city.time_zone) if city is not None else shared_today(clock)


async def owed_by(reads: ReadModel, city_id: str, today: date) -> list[OwedAction]:
    """Open actions a city leads or supports, in every plan it is a partner of; overdue first."""
    plan_ids = await reads.plan_ids_of_city(city_id)
    plans = await reads.agreements_by_id(plan_ids)
    versions = await reads.versions_of(plan_ids)
    tracking = await reads.tracking_of(plan_ids)
    owed: list[OwedAction] = []
    for plan_id in plan_ids:
        adopted = [v for v in versions[plan_id] if v.status == "adopted"]
        if not adopted:
            continue  # a plan nobody has agreed to yet owes nothing
        content = adopted[-1].content
        tracked: dict[str, TrackingRow] = {t.action_id: t for t in tracking.get(plan_id, [])}
        for action_id, action in content["actions"].items():
            t = tracked.get(action_id)
            status = t.status if t else ActionStatus.PLANNED.value
            if ActionStatus(status) not in OPEN_STATUSES:
                continue
            lead = (t.lead_city_id if t and t.lead_city_id else None) or action["lead_city_id"]
            if lead == city_id:
                role = "lead"
            elif city_id in action["supporting_city_ids"]:
                role = "supporting"
            else:
                continue
            due = date.fromisoformat(action["due_on"])
            owed.append(OwedAction(plans[plan_id], action_id, action, status, t.progress if t else 0, lead, role,
                                   is_overdue(status, due, today)))
    owed.sort(key=lambda o: (not o.overdue, o.action["due_on"], o.action["title"]))
    return owed


@dataclass(frozen=True)
class Change:
    id: str
    title: str
    fields: list[str]


@dataclass(frozen=True)
class VersionDiff:
    added: list[Change]
    removed: list[Change]
    changed: list[Change]
    title_changed: bool


def _items(kind: str, content: dict[str, Any]) -> dict[str, dict[str, Any]]:
    if kind == "plan":
        return content["actions"]
    if kind != "protocol":  # a declaration: its text, no items
        return {}
    return {s["id"]: {**s, "position": i} for i, s in enumerate(content["steps"])}


def _label(kind: str, item: dict[str, Any]) -> str:
    return item["title"] if kind == "plan" else item["instruction"]


def _camel(name: str) -> str:
    """Field names as the API spells them (due_on -> dueOn)."""
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def diff_versions(kind: str, old: VersionRow, new: VersionRow) -> VersionDiff:
    """Actions (or steps) added, removed and changed from ``old`` to ``new``, with the changed fields."""
    a, b = _items(kind, old.content), _items(kind, new.content)
    added = [Change(i, _label(kind, b[i]), []) for i in b if i not in a]
    removed = [Change(i, _label(kind, a[i]), []) for i in a if i not in b]
    changed = []
    for i in b:
        if i in a:
            fields = sorted(_camel(k) for k in set(a[i]) | set(b[i]) if k != "id" and a[i].get(k) != b[i].get(k))
            if fields:
                changed.append(Change(i, _label(kind, b[i]), fields))
    title_changed = (old.content["title"] != new.content["title"] or old.content.get("purpose") != new.content.get("purpose")
                     or old.content.get("text") != new.content.get("text"))
    return VersionDiff(added, removed, changed, title_changed)
