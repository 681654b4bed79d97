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
from citynet.domain.party import PartyKind, as_party, city_party, parse_party
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
    party: str  # a party key (domain/party.py): a city, network, commission or organisation
    decision: Decision
    signed_by: str
    signatory_role: str


@dataclass
class Version:
    number: int
    status: VersionStatus
    content: dict[str, Any]
    endorsements: dict[str, Endorsement] = field(default_factory=dict)  # by party key


class Agreement(Aggregate):
    """Shared machinery of versions and endorsements; subclasses define the content.

    Subclasses set ``partner_city_ids``, ``partner_parties`` (the other partners: networks,
    commissions, organisations, as party keys), ``quorum`` and call ``_init_versions`` in their
    created event (no class-level annotations here: eventsourcing would read them as event fields).
    Every partner, city or not, answers each proposed version (a declaration's signatories sign)."""

    class VersionAnswered(Aggregate.Event):
        """Version 2 names the answering party (any kind); version-1 events named a city (``city_id``)."""

        version: int
        party: str
        decision: str
        signed_by: str
        signatory_role: str
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:  # type: ignore[type-arg]
            state["party"] = city_party(state.pop("city_id"))

    @property
    def partner_keys(self) -> list[str]:
        """Every partner as a party key: the partner cities, then the other partners."""
        return [city_party(c) for c in self.partner_city_ids] + list(self.partner_parties)

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
        return self.quorum if self.quorum is not None else len(self.partner_keys)

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

    def _require_partner(self, party: UUID | str, field: str = "cityId") -> str:
        """The partner's party key; a bare UUID is a city."""
        key = as_party(party, field)
        if key not in self.partner_keys:
            party_kind, party_id, network_id = parse_party(key)
            raise NotAPartner(type(self).__name__, self.id, party_id, field, party_kind.value, network_id)
        return key

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

    def answer(self, version: int, party: UUID | str, decision: Decision | str, signed_by: str,
               signatory_role: str) -> None:
        """``party``: the answering partner's key (a bare UUID is a city)."""
        if version not in self.versions:
            raise InvalidInput("version", f"there is no version {version}")
        target = self.versions[version]
        if version != self.latest.number or target.status is VersionStatus.SUPERSEDED:
            raise VersionSuperseded(version, self.latest.number)
        if target.status is not VersionStatus.PROPOSED:
            raise VersionSuperseded(
                version, self.latest.number, f"version {version} is {target.status.value}, not proposed for adoption"
            )
        key = self._require_partner(party, "cityId" if isinstance(party, UUID) else "partyId")
        if key in target.endorsements:
            raise AlreadyEndorsed(version, parse_party(key)[1], target.endorsements[key].decision.value)
        choice = clean_enum(Decision, "decision", decision)
        self._answered(
            version=version, party=key, decision=choice.value,
            signed_by=clean_name("signedBy", signed_by), signatory_role=clean_name("signatoryRole", signatory_role),
        )
        endorsed = sum(1 for e in target.endorsements.values() if e.decision is Decision.ENDORSE)
        undecided = len(self.partner_keys) - len(target.endorsements)
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

    @event(VersionAnswered)
    def _answered(self, version: int, party: str, decision: str, signed_by: str, signatory_role: str) -> None:
        self.versions[version].endorsements[party] = Endorsement(party, Decision(decision), signed_by, signatory_role)

    @event("VersionAdopted")
    def _version_adopted(self, version: int) -> None:
        self.versions[version].status = VersionStatus.ADOPTED

    @event("VersionRejected")
    def _version_rejected(self, version: int) -> None:
        self.versions[version].status = VersionStatus.REJECTED


def check_quorum(quorum: int | None, partners: int) -> int | None:
    if quorum is not None and not 1 <= quorum <= partners:
        raise InvalidInput("quorum", f"must be between 1 and the number of partners ({partners})")
    return quorum


def clean_partner_parties(parties: list[str] | None, field: str = "partnerPartyIds") -> list[str]:
    """Partners other than cities, as party keys (cities go in the partner cities)."""
    keys = list(dict.fromkeys(as_party(p, field) for p in parties or []))
    if any(parse_party(k)[0] is PartyKind.CITY for k in keys):
        raise InvalidInput(field, "name partner cities among the partner cities")
    return keys
