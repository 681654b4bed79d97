"""Directory mutations: verb + noun, one `input`, a union of a payload and exactly the command's errors.

Each resolver turns its input into a command (services/commands) and the
bus's outcome into a payload (graphql/command_results.py): authorisation,
attribution, idempotency, conflict retries and the read-your-writes wait all
happen in the command bus.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from citynet.domain.values import MemberRole as DomainMemberRole
from citynet.graphql.command_results import (
    OnDemand,
    MutationInput,
    MutationPayload,
    committed,
    dispatch,
    maybe,
    result_union,
)
from citynet.graphql.context import Info
from citynet.graphql.ids import from_global_id, to_global_id
from citynet.domain.organisation import OrganisationKind as DomainOrganisationKind
from citynet.graphql.types import City, Commission, Membership, MemberRole, Network, Organisation, OrganisationKind
from citynet.services.commands import directory as commands
from citynet.services.commands.bus import Outcome

# -- inputs ---------------------------------------------------------------------


@strawberry.input
class RegisterCityInput(MutationInput):
    name: str
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2, e.g. DE.")
    time_zone: str = strawberry.field(description="IANA time zone, e.g. Europe/Berlin.")


@strawberry.input
class RegisterOrganisationInput(MutationInput):
    name: str = strawberry.field(description="Unique within its country (or among international organisations), "
                                             "accents and case folded.")
    kind: OrganisationKind  # type: ignore[valid-type]
    country_code: str | None = strawberry.field(default=None,
                                                description="ISO 3166-1 alpha-2; omit for an international body.")
    description: str = ""


@strawberry.input
class FoundNetworkInput(MutationInput):
    name: str
    short_name: str = strawberry.field(description="Acronym, unique across networks, e.g. UBC.")
    founded_on: date
    description: str = ""
    website: str = ""


@strawberry.input
class AddCommissionInput(MutationInput):
    network_id: strawberry.ID
    name: str


@strawberry.input
class AdmitMemberInput(MutationInput):
    network_id: strawberry.ID
    city_id: strawberry.ID
    role: MemberRole = DomainMemberRole.MEMBER  # type: ignore[valid-type]
    since: date


@strawberry.input
class ChangeMemberRoleInput(MutationInput):
    network_id: strawberry.ID
    city_id: strawberry.ID
    role: MemberRole  # type: ignore[valid-type]
    on: date


@strawberry.input
class RecordMemberLeftInput(MutationInput):
    network_id: strawberry.ID
    city_id: strawberry.ID
    on: date


@strawberry.input
class CommissionMemberInput(MutationInput):
    commission_id: strawberry.ID
    city_id: strawberry.ID


@strawberry.input
class ErasePersonInput(MutationInput):
    person_id: strawberry.ID = strawberry.field(description="The delegate's personId (pseudonymous).")


# -- payloads -------------------------------------------------------------------


@strawberry.type
class RegisterCityPayload(MutationPayload):
    city: City | None


@strawberry.type
class RegisterOrganisationPayload(MutationPayload):
    organisation: Organisation | None


@strawberry.type
class FoundNetworkPayload(MutationPayload):
    network: Network | None


@strawberry.type
class CommissionPayload(MutationPayload):
    commission: Commission | None


@strawberry.type(description="`id` is the network's.")
class MembershipPayload(MutationPayload):
    membership: Membership | None


@strawberry.type(description="`id` is the network's.")
class RecordMemberLeftPayload(MutationPayload):
    network: Network | None
    city: City | None


@strawberry.type(description="`id` is the person's.")
class ErasePersonPayload(MutationPayload):
    person_id: strawberry.ID


RegisterCityResult = result_union("RegisterCityResult", RegisterCityPayload, commands.RegisterCity)
RegisterOrganisationResult = result_union("RegisterOrganisationResult", RegisterOrganisationPayload,
                                          commands.RegisterOrganisation)
FoundNetworkResult = result_union("FoundNetworkResult", FoundNetworkPayload, commands.FoundNetwork)
AddCommissionResult = result_union("AddCommissionResult", CommissionPayload, commands.AddCommission)
AdmitMemberResult = result_union("AdmitMemberResult", MembershipPayload, commands.AdmitMember)
ChangeMemberRoleResult = result_union("ChangeMemberRoleResult", MembershipPayload, commands.ChangeMemberRole)
RecordMemberLeftResult = result_union("RecordMemberLeftResult", RecordMemberLeftPayload, commands.RecordMemberLeft)
AssignCommissionMemberResult = result_union("AssignCommissionMemberResult", CommissionPayload,
                                            commands.AssignCommissionMember)
NameCommissionHeadResult = result_union("NameCommissionHeadResult", CommissionPayload, commands.NameCommissionHead)
ErasePersonResult = result_union("ErasePersonResult", ErasePersonPayload, commands.ErasePerson)

# -- helpers ----------------------------------------------------------------------


def _city(info: Info, city_id: Any) -> Any:
    async def read() -> City | None:
        row = await maybe(info.context.load.city.load(str(city_id)))
        return City.from_row(row) if row is not None else None

    return OnDemand(read)


def _network(info: Info, network_id: Any) -> Any:
    async def read() -> Network | None:
        row = await maybe(info.context.load.network.load(str(network_id)))
        return Network.from_row(row) if row is not None else None

    return OnDemand(read)


def _network_and_city(input: Any) -> tuple[Any, Any]:
    (network_id,) = from_global_id(input.network_id, "Network", "networkId")
    (city_id,) = from_global_id(input.city_id, "City", "cityId")
    return network_id, city_id


def _commission_and_city(input: CommissionMemberInput) -> tuple[Any, Any, Any]:
    network_id, commission_id = from_global_id(input.commission_id, "Commission", "commissionId", parts=2)
    (city_id,) = from_global_id(input.city_id, "City", "cityId")
    return network_id, commission_id, city_id


async def _membership_payload(info: Info, input: Any, o: Outcome) -> MembershipPayload:
    network_id, city_id = _network_and_city(input)
    rows = await maybe(info.context.load.members_of_network.load(str(network_id))) or []
    row = next((r for r in rows if r.city_id == str(city_id)), None)
    return MembershipPayload(**committed(o, input, to_global_id("Network", network_id)),
                             membership=Membership.from_row(row) if row is not None else None)


async def _commission_payload(info: Info, input: Any, network_id: Any, o: Outcome) -> CommissionPayload:
    row = await maybe(info.context.load.commission.load(str(o.id)))
    return CommissionPayload(**committed(o, input, to_global_id("Commission", network_id, o.id)),
                             commission=Commission.from_row(row) if row is not None else None)


# -- mutations --------------------------------------------------------------------


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Register a city (name, ISO country code, IANA time zone).")
    async def register_city(self, info: Info, input: RegisterCityInput) -> RegisterCityResult:
        async def answer(o: Outcome) -> RegisterCityPayload:
            return RegisterCityPayload(**committed(o, input, to_global_id("City", o.id)), city=_city(info, o.id))

        return await dispatch(info, input, lambda: commands.RegisterCity(
            input.name, input.country_code, input.time_zone), answer)

    @strawberry.mutation(description="Register an organisation (admins and coordinators): name, kind, optional "
                                     "country, description. A name already taken (accents and case folded) is "
                                     "AlreadyExists naming the organisation that has it.")
    async def register_organisation(self, info: Info, input: RegisterOrganisationInput) -> RegisterOrganisationResult:
        async def answer(o: Outcome) -> RegisterOrganisationPayload:
            row = await maybe(info.context.load.organisation.load(str(o.id)))
            return RegisterOrganisationPayload(**committed(o, input, to_global_id("Organisation", o.id)),
                                               organisation=Organisation.from_row(row) if row else None)

        return await dispatch(info, input, lambda: commands.RegisterOrganisation(
            input.name, DomainOrganisationKind(input.kind), input.country_code, input.description), answer)

    @strawberry.mutation(description="Found a network of cities.")
    async def found_network(self, info: Info, input: FoundNetworkInput) -> FoundNetworkResult:
        async def answer(o: Outcome) -> FoundNetworkPayload:
            return FoundNetworkPayload(**committed(o, input, to_global_id("Network", o.id)),
                                       network=_network(info, o.id))

        return await dispatch(info, input, lambda: commands.FoundNetwork(
            input.name, input.short_name, input.founded_on, input.description, input.website), answer)

    @strawberry.mutation(description="Add a commission (a working group) to a network.")
    async def add_commission(self, info: Info, input: AddCommissionInput) -> AddCommissionResult:
        def command() -> commands.AddCommission:
            (network_id,) = from_global_id(input.network_id, "Network", "networkId")
            return commands.AddCommission(network_id, input.name)

        async def answer(o: Outcome) -> CommissionPayload:
            (network_id,) = from_global_id(input.network_id, "Network", "networkId")
            return await _commission_payload(info, input, network_id, o)

        return await dispatch(info, input, command, answer)

    @strawberry.mutation(description="Admit a city to a network in a role, from a given day.")
    async def admit_member(self, info: Info, input: AdmitMemberInput) -> AdmitMemberResult:
        return await dispatch(info, input, lambda: commands.AdmitMember(
            *_network_and_city(input), DomainMemberRole(input.role), input.since),
            lambda o: _membership_payload(info, input, o))

    @strawberry.mutation(description="Change a member city's role from a given day.")
    async def change_member_role(self, info: Info, input: ChangeMemberRoleInput) -> ChangeMemberRoleResult:
        return await dispatch(info, input, lambda: commands.ChangeMemberRole(
            *_network_and_city(input), DomainMemberRole(input.role), input.on),
            lambda o: _membership_payload(info, input, o))

    @strawberry.mutation(description="Record that a city left a network on a given day.")
    async def record_member_left(self, info: Info, input: RecordMemberLeftInput) -> RecordMemberLeftResult:
        async def answer(o: Outcome) -> RecordMemberLeftPayload:
            network_id, city_id = _network_and_city(input)
            return RecordMemberLeftPayload(**committed(o, input, to_global_id("Network", network_id)),
                                           network=_network(info, network_id), city=_city(info, city_id))

        return await dispatch(info, input, lambda: commands.RecordMemberLeft(*_network_and_city(input), input.on),
                              answer)

    @strawberry.mutation(description="Assign a member city to one of the network's commissions.")
    async def assign_commission_member(self, info: Info, input: CommissionMemberInput) -> AssignCommissionMemberResult:
        ids = _lazy(lambda: _commission_and_city(input))
        return await dispatch(info, input, lambda: commands.AssignCommissionMember(*ids()),
                              lambda o: _commission_payload(info, input, ids()[0], o))

    @strawberry.mutation(description="Name the member city that heads a commission.")
    async def name_commission_head(self, info: Info, input: CommissionMemberInput) -> NameCommissionHeadResult:
        ids = _lazy(lambda: _commission_and_city(input))
        return await dispatch(info, input, lambda: commands.NameCommissionHead(*ids()),
                              lambda o: _commission_payload(info, input, ids()[0], o))

    @strawberry.mutation(description="Erase a person's name and e-mail for good (admins). The history keeps the "
                                     "pseudonymous id and who erased it when; the hash chain still verifies.")
    async def erase_person(self, info: Info, input: ErasePersonInput) -> ErasePersonResult:
        async def answer(o: Outcome) -> ErasePersonPayload:
            return ErasePersonPayload(**committed(o, input, input.person_id), person_id=input.person_id)

        return await dispatch(info, input, lambda: commands.ErasePerson(
            from_global_id(input.person_id, "Person", "personId")[0]), answer)


def _lazy(compute: Any) -> Any:
    """Decode once, when first needed (inside dispatch, so a malformed id is a typed error)."""
    cache: list[Any] = []

    def get() -> Any:
        if not cache:
            cache.append(compute())
        return cache[0]

    return get
