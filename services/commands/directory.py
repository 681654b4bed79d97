"""Commands on cities, networks, memberships and commissions (and erasing a person)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from citynet.domain.errors import AlreadyExists, AlreadyMember, NotAMember, NotFound
from citynet.domain.network import commission_id_for
from citynet.domain.organisation import OrganisationKind
from citynet.domain.person import erasure_id
from citynet.domain.values import MemberRole
from citynet.services.commands.base import Command, handles
from citynet.services.errors import Conflict

if TYPE_CHECKING:
    from citynet.services.application import Recorded
    from citynet.services.runtime import Citynet


@dataclass(frozen=True)
class RegisterCity(Command):
    raises = (AlreadyExists,)
    name: str
    country_code: str
    time_zone: str


@dataclass(frozen=True)
class RegisterOrganisation(Command):
    raises = (AlreadyExists,)
    name: str
    kind: OrganisationKind
    country_code: str | None = None
    description: str = ""


@dataclass(frozen=True)
class FoundNetwork(Command):
    raises = (AlreadyExists,)
    name: str
    short_name: str
    founded_on: date
    description: str = ""
    website: str = ""


@dataclass(frozen=True)
class AddCommission(Command):
    raises = (NotFound, AlreadyExists, Conflict)
    network_id: UUID
    name: str

    def result_id(self) -> UUID | None:
        # The id the domain derives from the (cleaned) name; NFC as the domain's text rules give it.
        return commission_id_for(self.network_id, unicodedata.normalize("NFC", self.name))


@dataclass(frozen=True)
class AdmitMember(Command):
    raises = (NotFound, AlreadyMember, Conflict)
    network_id: UUID
    city_id: UUID
    role: MemberRole
    since: date


@dataclass(frozen=True)
class ChangeMemberRole(Command):
    raises = (NotFound, NotAMember, Conflict)
    network_id: UUID
    city_id: UUID
    role: MemberRole
    on: date


@dataclass(frozen=True)
class RecordMemberLeft(Command):
    raises = (NotFound, NotAMember, Conflict)
    network_id: UUID
    city_id: UUID
    on: date


@dataclass(frozen=True)
class AssignCommissionMember(Command):
    raises = (NotFound, NotAMember, AlreadyExists, Conflict)
    network_id: UUID
    commission_id: UUID
    city_id: UUID

    def result_id(self) -> UUID | None:
        return self.commission_id


@dataclass(frozen=True)
class NameCommissionHead(Command):
    raises = (NotFound, NotAMember, AlreadyExists, Conflict)
    network_id: UUID
    commission_id: UUID
    city_id: UUID

    def result_id(self) -> UUID | None:
        return self.commission_id


@dataclass(frozen=True)
class ErasePerson(Command):
    raises = (NotFound, Conflict)
    person_id: UUID

    def result_id(self) -> UUID | None:
        return erasure_id(self.person_id)


@handles(RegisterCity)
def register_city(c: Citynet, cmd: RegisterCity) -> Recorded:
    return c.execute(lambda app: app.register_city(cmd.name, cmd.country_code, cmd.time_zone))


@handles(RegisterOrganisation)
def register_organisation(c: Citynet, cmd: RegisterOrganisation) -> Recorded:
    return c.execute(lambda app: app.register_organisation(cmd.name, cmd.kind, cmd.country_code, cmd.description))


@handles(FoundNetwork)
def found_network(c: Citynet, cmd: FoundNetwork) -> Recorded:
    return c.execute(lambda app: app.found_network(cmd.name, cmd.short_name, cmd.founded_on, cmd.description,
                                                  cmd.website))


@handles(AddCommission)
def add_commission(c: Citynet, cmd: AddCommission) -> Recorded:
    return c.execute(lambda app: app.add_commission(cmd.network_id, cmd.name))


@handles(AdmitMember)
def admit_member(c: Citynet, cmd: AdmitMember) -> Recorded:
    return c.execute(lambda app: app.admit_member(cmd.network_id, cmd.city_id, cmd.role, cmd.since))


@handles(ChangeMemberRole)
def change_member_role(c: Citynet, cmd: ChangeMemberRole) -> Recorded:
    return c.execute(lambda app: app.change_member_role(cmd.network_id, cmd.city_id, cmd.role, cmd.on))


@handles(RecordMemberLeft)
def record_member_left(c: Citynet, cmd: RecordMemberLeft) -> Recorded:
    return c.execute(lambda app: app.record_member_left(cmd.network_id, cmd.city_id, cmd.on))


@handles(AssignCommissionMember)
def assign_commission_member(c: Citynet, cmd: AssignCommissionMember) -> Recorded:
    return c.execute(lambda app: app.assign_commission_member(cmd.network_id, cmd.commission_id, cmd.city_id))


@handles(NameCommissionHead)
def name_commission_head(c: Citynet, cmd: NameCommissionHead) -> Recorded:
    return c.execute(lambda app: app.name_commission_head(cmd.network_id, cmd.commission_id, cmd.city_id))


@handles(ErasePerson)
def erase_person(c: Citynet, cmd: ErasePerson) -> Recorded:
    return c.erase_person(cmd.person_id)
