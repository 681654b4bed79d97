"""Versioned documents that partner cities agree on: action plans and protocols.

Content lives in numbered versions. Only the latest version, while it is a
draft, can be edited. Proposing freezes it for endorsement; each partner city
endorses or declines that exact version, naming who signed for it. The
version is adopted when its rule is met (every partner, or a quorum); once
every remaining answer could no longer reach it, it is rejected. Any change
after that needs a revision: a new draft version copied from the latest,
with endorsements of its own. Old versions stay readable as they were.

Content is plain JSON-ready data (dicts, lists, ISO dates) changed by pure
functions, so the read-model projection applies the very same changes.
"""

from __future__ import annotations

import copy
import enum
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from citynet.domain.errors import (
    AlreadyEndorsed,
    InvalidInput,
    InvalidTransition,
    NotAPartner,
    VersionFrozen,
    VersionSuperseded,
)
from citynet.domain.values import clean_enum, clean_name


class VersionStatus(str, enum.Enum):
    DRAFT = "draft"
    PROPOSED = "proposed"
    ADOPTED = "adopted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class Decision(str, enum.Enum):
    ENDORSE = "endorse"
    DECLINE = "decline"


@dataclass
class Endorsement:
    city_id: UUID
    decision: Decision
    signed_by: str
    signatory_role: str


@dataclass
class Version:
    number: int
    status: VersionStatus
    content: dict[str, Any]
    endorsements: dict[UUID, Endorsement] = field(default_factory=dict)


class Agreement(Aggregate):
    """Shared machinery of versions and endorsements; subclasses define the content.

    Subclasses set ``partner_city_ids``, ``quorum`` and call ``_init_versions``
    in their created event (no class-level annotations here: eventsourcing
    would read them as event fields)."""

    def _init_versions(self, content: dict[str, Any]) -> None:
        self.versions: dict[int, Version] = {1: Version(1, VersionStatus.DRAFT, content)}

    @property
    def latest(self) -> Version:
        return self.versions[max(self.versions)]

    @property
    def adopted(self) -> Version | None:
        adopted = [v for v in self.versions.values() if v.status is VersionStatus.ADOPTED]
        return max(adopted, key=lambda v: v.number) if adopted else None

    @property
    def required(self) -> int:
        return self.quorum if self.quorum is not None else len(self.partner_city_ids)

    def _editable(self, version: int) -> Version:
        """The draft being edited; ``version`` is what the editor last saw."""
        if version not in self.versions:
            raise InvalidInput("version", f"there is no version {version}")
        target = self.versions[version]
        if target.status is not VersionStatus.DRAFT:
            raise VersionFrozen(version, target.status.value)
        if version != self.latest.number:  # pragma: no cover - only the latest can be a draft
            raise VersionSuperseded(version, self.latest.number)
        return target

    def _require_partner(self, city_id: UUID, field: str = "cityId") -> None:
        if city_id not in self.partner_city_ids:
            raise NotAPartner(type(self).__name__, self.id, city_id, field)

    # -- agreement commands ----------------------------------------------------------

    def propose_version(self, version: int) -> None:
        self._editable(version)
        self._check_ready(self.versions[version].content)
        self._version_proposed(version=version)

    def _check_ready(self, content: dict[str, Any]) -> None:
        """Subclasses refuse empty documents."""

    def start_revision(self) -> int:
        latest = self.latest
        if latest.status is VersionStatus.DRAFT:
            raise InvalidTransition("draft", f"revised: version {latest.number} is still a draft, edit it")
        self._revision_started(version=latest.number + 1, from_version=latest.number)
        return latest.number + 1

    def answer(self, version: int, city_id: UUID, decision: Decision | str, signed_by: str, signatory_role: str) -> None:
        if version not in self.versions:
            raise InvalidInput("version", f"there is no version {version}")
        target = self.versions[version]
        if version != self.latest.number or target.status is VersionStatus.SUPERSEDED:
            raise VersionSuperseded(version, self.latest.number)
        if target.status is not VersionStatus.PROPOSED:
            raise VersionSuperseded(
                version, self.latest.number, f"version {version} is {target.status.value}, not proposed for adoption"
            )
        self._require_partner(city_id)
        if city_id in target.endorsements:
            raise AlreadyEndorsed(version, city_id, target.endorsements[city_id].decision.value)
        choice = clean_enum(Decision, "decision", decision)
        self._answered(
            version=version, city_id=city_id, decision=choice.value,
            signed_by=clean_name("signedBy", signed_by), signatory_role=clean_name("signatoryRole", signatory_role),
        )
        endorsed = sum(1 for e in target.endorsements.values() if e.decision is Decision.ENDORSE)
        undecided = len(self.partner_city_ids) - len(target.endorsements)
        if endorsed >= self.required:
            self._version_adopted(version=version)
        elif endorsed + undecided < self.required:
            self._version_rejected(version=version)

    # -- events --------------------------------------------------------------------------

    @event("VersionProposed")
    def _version_proposed(self, version: int) -> None:
        self.versions[version].status = VersionStatus.PROPOSED

    @event("RevisionStarted")
    def _revision_started(self, version: int, from_version: int) -> None:
        previous = self.versions[from_version]
        if previous.status is VersionStatus.PROPOSED:
            previous.status = VersionStatus.SUPERSEDED  # never adopted; its answers stay on record
        self.versions[version] = Version(version, VersionStatus.DRAFT, copy.deepcopy(previous.content))

    @event("VersionAnswered")
    def _answered(self, version: int, city_id: UUID, decision: str, signed_by: str, signatory_role: str) -> None:
        self.versions[version].endorsements[city_id] = Endorsement(city_id, Decision(decision), signed_by, signatory_role)

    @event("VersionAdopted")
    def _version_adopted(self, version: int) -> None:
        self.versions[version].status = VersionStatus.ADOPTED

    @event("VersionRejected")
    def _version_rejected(self, version: int) -> None:
        self.versions[version].status = VersionStatus.REJECTED


def check_quorum(quorum: int | None, partners: int) -> int | None:
    if quorum is not None and not 1 <= quorum <= partners:
        raise InvalidInput("quorum", f"must be between 1 and the number of partner cities ({partners})")
    return quorum
