"""Plans and protocols: versions, endorsements, roll-up, without any database."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from citynet.domain.agreement import VersionStatus
from citynet.domain.errors import (
    AlreadyEndorsed,
    InvalidInput,
    NotAPartner,
    VersionFrozen,
    VersionSuperseded,
)
from citynet.domain.plan import ActionPlan, ActionStatus, Tracking, plan_progress, rolled_up
from citynet.domain.protocol import Protocol

A, B, C, OUTSIDER = uuid4(), uuid4(), uuid4(), uuid4()


def plan(quorum: int | None = None) -> ActionPlan:
    p = ActionPlan.draft(title="Common action plan", network_ids=[uuid4()], partner_city_ids=[A, B, C],
                         starts_on=date(2026, 1, 1), quorum=quorum)
    p.add_action(1, title="Contact list", lead_city_id=A, due_on=date(2026, 6, 30))
    return p


def test_endorsing_version_2_says_nothing_about_version_3() -> None:
    p = plan()
    p.propose_version(1)
    for city in (A, B, C):
        p.answer(1, city, "endorse", "Mayor", "mayor")
    assert p.versions[1].status is VersionStatus.ADOPTED
    assert p.start_revision() == 2
    p.add_action(2, title="Exercise", lead_city_id=B, due_on=date(2026, 9, 1))
    p.propose_version(2)
    p.answer(2, A, "endorse", "Mayor A", "mayor")
    p.answer(2, B, "endorse", "Mayor B", "mayor")
    assert p.versions[2].status is VersionStatus.PROPOSED  # C has not endorsed v2
    p.start_revision()  # v2 is superseded before adoption; v3 starts with no endorsements
    p.propose_version(3)
    assert p.versions[3].endorsements == {}
    assert p.versions[2].status is VersionStatus.SUPERSEDED and len(p.versions[2].endorsements) == 2
    with pytest.raises(VersionSuperseded):
        p.answer(2, C, "endorse", "Mayor C", "mayor")
    assert p.adopted is not None and p.adopted.number == 1  # the adopted version stays readable


def test_quorum_and_rejection() -> None:
    p = plan(quorum=2)
    p.propose_version(1)
    p.answer(1, A, "decline", "Mayor A", "mayor")
    p.answer(1, B, "endorse", "Mayor B", "mayor")
    assert p.versions[1].status is VersionStatus.PROPOSED
    p.answer(1, C, "endorse", "Mayor C", "mayor")
    assert p.versions[1].status is VersionStatus.ADOPTED
    q = plan()
    q.propose_version(1)
    q.answer(1, A, "decline", "Mayor A", "mayor")
    assert q.versions[1].status is VersionStatus.REJECTED  # "all partners" can no longer be met


def test_version_rules() -> None:
    p = plan()
    p.propose_version(1)
    with pytest.raises(VersionFrozen):
        p.add_action(1, title="Late idea", lead_city_id=A, due_on=date(2026, 7, 1))
    p.answer(1, A, "endorse", "Mayor A", "mayor")
    with pytest.raises(AlreadyEndorsed):
        p.answer(1, A, "endorse", "Mayor A", "mayor")
    with pytest.raises(NotAPartner):
        p.answer(1, OUTSIDER, "endorse", "Mayor X", "mayor")
    for city in (B, C):
        p.answer(1, city, "endorse", "Mayor", "mayor")
    with pytest.raises(VersionFrozen):  # editing an adopted version in place
        p.add_action(1, title="Late idea", lead_city_id=A, due_on=date(2026, 7, 1))


def test_content_rules() -> None:
    p = plan()
    with pytest.raises(InvalidInput) as raised:
        p.add_action(1, title="Too early", lead_city_id=A, due_on=date(2025, 12, 31))
    assert raised.value.field == "dueOn"
    with pytest.raises(NotAPartner) as partner:
        p.add_action(1, title="Outsider leads", lead_city_id=OUTSIDER, due_on=date(2026, 7, 1))
    assert partner.value.field == "leadCityId"
    action = next(iter(p.latest.content["actions"]))
    for bad in (-1, 101):
        with pytest.raises(InvalidInput) as raised:
            p.report_progress(UUID(action), bad, "note")
        assert raised.value.field == "progress"
    with pytest.raises(InvalidInput):
        ActionPlan.draft(title="x", network_ids=[uuid4()], partner_city_ids=[A], starts_on=date(2026, 1, 1), quorum=2)


def test_done_is_reported_at_100_with_or_without_the_status() -> None:
    p = plan()
    p.propose_version(1)
    for city in (A, B, C):
        p.answer(1, city, "endorse", "Mayor", "mayor")
    action = UUID(next(iter(p.latest.content["actions"])))
    p.report_progress(action, 100, "done, said explicitly", "done")  # was refused: "100 means done"
    assert (p.tracking[str(action)].status, p.tracking[str(action)].progress) == (ActionStatus.DONE, 100)
    with pytest.raises(InvalidInput) as raised:
        p.report_progress(action, 100, "100 but blocked?", "blocked")
    assert raised.value.field == "status"


W = "weight"


def actions(*rows: tuple[str, str | None, float]) -> dict[str, dict]:
    return {name: {"parent_id": parent, W: weight} for name, parent, weight in rows}


@pytest.mark.parametrize(
    ("tree", "tracking", "expected_plan", "expected"),
    [
        # a single action counts its own progress
        (actions(("a", None, 1)), {"a": (ActionStatus.IN_PROGRESS, 40)}, 40.0, {"a": 40.0}),
        # sub-actions roll up by weight: (1*100 + 3*20) / 4 = 40
        (actions(("p", None, 1), ("s1", "p", 1), ("s2", "p", 3)),
         {"s1": (ActionStatus.DONE, 100), "s2": (ActionStatus.IN_PROGRESS, 20)}, 40.0, {"p": 40.0}),
        # a dropped sub-action is left out: only s1 counts
        (actions(("p", None, 1), ("s1", "p", 1), ("s2", "p", 3)),
         {"s1": (ActionStatus.IN_PROGRESS, 50), "s2": (ActionStatus.DROPPED, 90)}, 50.0, {"p": 50.0}),
        # a blocked sub-action counts what it reached
        (actions(("p", None, 1), ("s1", "p", 1), ("s2", "p", 1)),
         {"s1": (ActionStatus.BLOCKED, 30), "s2": (ActionStatus.DONE, 100)}, 65.0, {"p": 65.0}),
        # nested two levels, with weights at each level: g = 50, p = (2*50 + 1*0)/3
        (actions(("p", None, 1), ("c", "p", 2), ("g1", "c", 1), ("g2", "c", 1), ("d", "p", 1)),
         {"g1": (ActionStatus.DONE, 100), "g2": (ActionStatus.PLANNED, 0)}, 33.33, {"c": 50.0}),
        # top-level weights, a dropped top-level action excluded: (1*100 + 1*0) / 2
        (actions(("a", None, 1), ("b", None, 1), ("x", None, 5)),
         {"a": (ActionStatus.DONE, 100), "x": (ActionStatus.DROPPED, 0)}, 50.0, {"a": 100.0, "b": 0.0}),
        # all sub-actions dropped: the parent counts its own progress
        (actions(("p", None, 1), ("s", "p", 1)),
         {"p": (ActionStatus.IN_PROGRESS, 70), "s": (ActionStatus.DROPPED, 0)}, 70.0, {"p": 70.0}),
        # a parent marked done is 100 whatever its children say
        (actions(("p", None, 1), ("s", "p", 1)), {"p": (ActionStatus.DONE, 100)}, 100.0, {"p": 100.0, "s": 0.0}),
        # nothing live at the top: 0
        (actions(("a", None, 1)), {"a": (ActionStatus.DROPPED, 60)}, 0.0, {}),
    ],
)
def test_progress_roll_up(tree: dict, tracking: dict, expected_plan: float, expected: dict) -> None:
    tracked = {k: Tracking(status, progress) for k, (status, progress) in tracking.items()}
    values = rolled_up(tree, tracked)
    for action_id, value in expected.items():
        assert values[action_id] == pytest.approx(value)
    assert plan_progress(tree, tracked) == pytest.approx(expected_plan, abs=0.01)


def test_protocol_steps_are_ordered_and_versioned() -> None:
    p = Protocol.draft(title="Sheltering large groups of people", crisis_type="sheltering_large_groups",
                       network_ids=[uuid4()], partner_city_ids=[A, B])
    first = p.add_step(1, instruction="Activate crisis staff", responsible_role="Head", time_frame="1 hour")
    p.add_step(1, instruction="Inform the public", responsible_role="Press office", time_frame="2 hours", position=0)
    assert [s["instruction"] for s in p.latest.content["steps"]] == ["Inform the public", "Activate crisis staff"]
    p.propose_version(1)
    with pytest.raises(VersionFrozen):
        p.update_step(1, first, instruction="x", responsible_role="y", time_frame="z")
    p.start_revision()
    p.update_step(2, first, instruction="Activate the crisis staff", responsible_role="Head", time_frame="30 minutes")
    assert p.versions[1].content["steps"][1]["time_frame"] == "1 hour"  # v1 as it was
    with pytest.raises(InvalidInput):
        Protocol.draft(title="x", crisis_type="volcano", network_ids=[uuid4()], partner_city_ids=[A])
