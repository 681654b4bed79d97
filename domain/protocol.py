"""Joint crisis protocols: versioned, ordered steps for a type of crisis, agreed by partners."""

from __future__ import annotations

import enum
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from citynet.domain.agreement import Agreement, check_quorum, clean_partner_parties
from citynet.domain.errors import InvalidInput, NotFound
from citynet.domain.values import clean_enum, clean_name, clean_note


class CrisisType(str, enum.Enum):
    ENERGY_SHORTAGE = "energy_shortage"
    SHELTERING_LARGE_GROUPS = "sheltering_large_groups"
    WARNING_PROCEDURES = "warning_procedures"
    ATTACK_IN_PUBLIC_SPACE = "attack_in_public_space"
    CRISIS_COMMUNICATION = "crisis_communication"
    FLOOD = "flood"
    PANDEMIC = "pandemic"
    OTHER = "other"


def content_add_step(content: dict[str, Any], step: dict[str, Any], position: int | None) -> None:
    steps = content["steps"]
    steps.insert(len(steps) if position is None else position, step)


def content_update_step(content: dict[str, Any], step_id: str, fields: dict[str, Any]) -> None:
    next(s for s in content["steps"] if s["id"] == step_id).update(fields)


def content_remove_step(content: dict[str, Any], step_id: str) -> None:
    content["steps"] = [s for s in content["steps"] if s["id"] != step_id]


class Protocol(Agreement):
    class Drafted(Aggregate.Created):
        """Version 2 added ``partner_parties`` (signatories other than cities); version 1 had none."""

        title: str
        crisis_type: str
        network_ids: list[UUID]
        partner_city_ids: list[UUID]
        partner_parties: list[str]
        quorum: int | None
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:  # type: ignore[type-arg]
            state["partner_parties"] = []

    @event(Drafted)
    def __init__(self, id: UUID, title: str, crisis_type: str, network_ids: list[UUID],
                 partner_city_ids: list[UUID], partner_parties: list[str], quorum: int | None) -> None:
        self.crisis_type = CrisisType(crisis_type)
        self.network_ids = list(network_ids)
        self.partner_city_ids = list(partner_city_ids)
        self.partner_parties = list(partner_parties)
        self.quorum = quorum
        self._init_versions({"title": title, "steps": []})

    @classmethod
    def draft(cls, *, title: str, crisis_type: CrisisType | str, network_ids: list[UUID],
              partner_city_ids: list[UUID], partner_parties: list[str] | None = None, quorum: int | None = None,
              protocol_id: UUID | None = None) -> Protocol:
        kind = clean_enum(CrisisType, "crisisType", crisis_type)
        if not network_ids:
            raise InvalidInput("networkIds", "name at least one owning network")
        partners = list(dict.fromkeys(partner_city_ids))
        others = clean_partner_parties(partner_parties)
        if not partners and not others:
            raise InvalidInput("partnerCityIds", "name at least one partner")
        return cls(id=protocol_id or uuid4(), title=clean_name("title", title), crisis_type=kind.value,
                   network_ids=list(dict.fromkeys(network_ids)), partner_city_ids=partners, partner_parties=others,
                   quorum=check_quorum(quorum, len(partners) + len(others)))

    def _check_ready(self, content: dict[str, Any]) -> None:
        if not content["steps"]:
            raise InvalidInput("version", "a protocol needs at least one step before it is proposed")

    @staticmethod
    def _step_fields(instruction: str, responsible_role: str, time_frame: str) -> dict[str, Any]:
        return {
            "instruction": clean_note("instruction", instruction, 2000, required=True),
            "responsible_role": clean_name("responsibleRole", responsible_role),
            "time_frame": clean_name("timeFrame", time_frame),
        }

    def _step_index(self, version: int, step_id: UUID) -> int:
        for i, step in enumerate(self.versions[version].content["steps"]):
            if step["id"] == str(step_id):
                return i
        raise NotFound("Step", step_id, "stepId")

    def add_step(self, version: int, *, instruction: str, responsible_role: str, time_frame: str,
                 position: int | None = None, step_id: UUID | None = None) -> UUID:
        draft = self._editable(version)
        if position is not None and not 0 <= position <= len(draft.content["steps"]):
            raise InvalidInput("position", f"must be between 0 and {len(draft.content['steps'])}")
        new_id = step_id or uuid4()
        step = {"id": str(new_id), **self._step_fields(instruction, responsible_role, time_frame)}
        self._step_added(version=version, step=step, position=position)
        return new_id

    def update_step(self, version: int, step_id: UUID, *, instruction: str, responsible_role: str,
                    time_frame: str) -> None:
        self._editable(version)
        current = self.versions[version].content["steps"][self._step_index(version, step_id)]
        fields = self._step_fields(instruction, responsible_role, time_frame)
        changed = {k: v for k, v in fields.items() if current[k] != v}
        if not changed:
            raise InvalidInput("stepId", "nothing to change")
        self._step_updated(version=version, step_id=str(step_id), fields=changed)

    def remove_step(self, version: int, step_id: UUID) -> None:
        self._editable(version)
        self._step_index(version, step_id)
        self._step_removed(version=version, step_id=str(step_id))

    @event("StepAdded")
    def _step_added(self, version: int, step: dict[str, Any], position: int | None) -> None:
        content_add_step(self.versions[version].content, dict(step), position)

    @event("StepUpdated")
    def _step_updated(self, version: int, step_id: str, fields: dict[str, Any]) -> None:
        content_update_step(self.versions[version].content, step_id, fields)

    @event("StepRemoved")
    def _step_removed(self, version: int, step_id: str) -> None:
        content_remove_step(self.versions[version].content, step_id)
