"""Mutations: verb + noun, one `input`, a union of a payload and typed errors.

A mutation returns only after the read models include its events, so the
payload (and any query after it) shows the change. Every refusal is a typed
error and stores nothing: the aggregates decide before anything is saved.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, Union

import anyio.to_thread
import strawberry

from citynet.domain.errors import DomainError
from citynet.services.attribution import current, name_command, set_request
from citynet.domain.values import MemberRole as DomainMemberRole
from citynet.graphql.context import Info
from citynet.graphql.errors import (
    NotAllowed,
    AlreadyExists,
    AlreadyMember,
    Conflict,
    InvalidInput,
    NotAMember,
    NotFound,
    to_user_error,
)
from citynet.graphql.ids import from_global_id
from citynet.graphql.types import (
    City,
    Commission,
    Membership,
    MemberRole,
    Network,
    Position,
    city_by_id,
    network_by_id,
)
from citynet.services.application import CitynetApplication, Recorded

# -- inputs ---------------------------------------------------------------------


@strawberry.input
class RegisterCityInput:
    name: str
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2, e.g. DE.")
    time_zone: str = strawberry.field(description="IANA time zone, e.g. Europe/Berlin.")


@strawberry.input
class FoundNetworkInput:
    name: str
    short_name: str = strawberry.field(description="Acronym, unique across networks, e.g. UBC.")
    founded_on: date
    description: str = ""
    website: str = ""


@strawberry.input
class AddCommissionInput:
    network_id: strawberry.ID
    name: str


@strawberry.input
class AdmitMemberInput:
    network_id: strawberry.ID
    city_id: strawberry.ID
    role: MemberRole = DomainMemberRole.MEMBER  # type: ignore[valid-type]
    since: date


@strawberry.input
class ChangeMemberRoleInput:
    network_id: strawberry.ID
    city_id: strawberry.ID
    role: MemberRole  # type: ignore[valid-type]
    on: date


@strawberry.input
class RecordMemberLeftInput:
    network_id: strawberry.ID
    city_id: strawberry.ID
    on: date


@strawberry.input
class CommissionMemberInput:
    commission_id: strawberry.ID
    city_id: strawberry.ID


# -- payloads -------------------------------------------------------------------


@strawberry.type
class RegisterCityPayload:
    city: City
    position: Position  # type: ignore[valid-type]


@strawberry.type
class FoundNetworkPayload:
    network: Network
    position: Position  # type: ignore[valid-type]


@strawberry.type
class CommissionPayload:
    commission: Commission
    position: Position  # type: ignore[valid-type]


@strawberry.type
class MembershipPayload:
    membership: Membership
    position: Position  # type: ignore[valid-type]


@strawberry.type
class RecordMemberLeftPayload:
    network: Network
    city: City
    position: Position  # type: ignore[valid-type]


RegisterCityResult = Annotated[
    Union[RegisterCityPayload, NotAllowed, InvalidInput, AlreadyExists, Conflict], strawberry.union("RegisterCityResult")
]
FoundNetworkResult = Annotated[
    Union[FoundNetworkPayload, NotAllowed, InvalidInput, AlreadyExists, Conflict], strawberry.union("FoundNetworkResult")
]
AddCommissionResult = Annotated[
    Union[CommissionPayload, NotAllowed, InvalidInput, NotFound, AlreadyExists, Conflict], strawberry.union("AddCommissionResult")
]
AdmitMemberResult = Annotated[
    Union[MembershipPayload, NotAllowed, InvalidInput, NotFound, AlreadyMember, Conflict], strawberry.union("AdmitMemberResult")
]
ChangeMemberRoleResult = Annotated[
    Union[MembershipPayload, NotAllowed, InvalidInput, NotFound, NotAMember, Conflict], strawberry.union("ChangeMemberRoleResult")
]
RecordMemberLeftResult = Annotated[
    Union[RecordMemberLeftPayload, NotAllowed, InvalidInput, NotFound, NotAMember, Conflict],
    strawberry.union("RecordMemberLeftResult"),
]
CommissionMemberResult = Annotated[
    Union[CommissionPayload, NotAllowed, InvalidInput, NotFound, NotAMember, AlreadyExists, Conflict],
    strawberry.union("CommissionMemberResult"),
]

@strawberry.input
class ErasePersonInput:
    person_id: strawberry.ID = strawberry.field(description="The delegate's personId (pseudonymous).")


@strawberry.type
class ErasePersonPayload:
    person_id: strawberry.ID
    position: Position  # type: ignore[valid-type]


ErasePersonResult = Annotated[
    Union[ErasePersonPayload, NotAllowed, InvalidInput, NotFound], strawberry.union("ErasePersonResult")
]

# -- helpers ----------------------------------------------------------------------


def bind(info: Info) -> None:
    """The service layer reads the actor and command from the context: bind this operation's.

    A fresh context object per mutation: operations sharing a WebSocket connection
    (or a document) never overwrite each other's attribution."""
    set_request(info.context.actor, current().correlation_id)
    name_command(info.field_name)  # attributed in every event this mutation stores


async def _run(
    info: Info,
    command: Callable[[], Callable[[CitynetApplication], Recorded]],
    payload: Callable[[Recorded], Awaitable[Any]],
) -> Any:
    """Decode inputs and run the command in a worker thread; map refusals to typed errors."""
    bind(info)
    try:
        handler = command()
        recorded = await anyio.to_thread.run_sync(info.context.services.execute, handler)
    except DomainError as error:
        return to_user_error(error)
    await info.context.services.wait_for_position(recorded.position)  # read your writes (bounded)
    return await payload(recorded)


async def _commission(info: Info, commission_id: str) -> Commission:
    row = await info.context.load.commission.load(commission_id)
    assert row is not None
    return Commission.from_row(row)


async def _membership(info: Info, network_id: str, city_id: str) -> Membership:
    rows = await info.context.load.members_of_network.load(network_id)
    return Membership.from_row(next(r for r in rows if r.city_id == city_id))


def _network_and_city(input: Any) -> tuple[Any, Any]:
    (network_id,) = from_global_id(input.network_id, "Network", "networkId")
    (city_id,) = from_global_id(input.city_id, "City", "cityId")
    return network_id, city_id


def _commission_and_city(input: CommissionMemberInput) -> tuple[Any, Any, Any]:
    network_id, commission_id = from_global_id(input.commission_id, "Commission", "commissionId", parts=2)
    (city_id,) = from_global_id(input.city_id, "City", "cityId")
    return network_id, commission_id, city_id


async def _membership_payload(info: Info, input: Any, r: Recorded) -> MembershipPayload:
    network_id, city_id = _network_and_city(input)
    return MembershipPayload(membership=await _membership(info, str(network_id), str(city_id)), position=r.position)


async def _commission_payload(info: Info, r: Recorded) -> CommissionPayload:
    return CommissionPayload(commission=await _commission(info, str(r.id)), position=r.position)


# -- mutations --------------------------------------------------------------------


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Register a city (name, ISO country code, IANA time zone).")
    async def register_city(self, info: Info, input: RegisterCityInput) -> RegisterCityResult:
        async def payload(r: Recorded) -> RegisterCityPayload:
            return RegisterCityPayload(city=await city_by_id(info, str(r.id)), position=r.position)

        return await _run(
            info, lambda: lambda app: app.register_city(input.name, input.country_code, input.time_zone), payload
        )

    @strawberry.mutation(description="Found a network of cities.")
    async def found_network(self, info: Info, input: FoundNetworkInput) -> FoundNetworkResult:
        async def payload(r: Recorded) -> FoundNetworkPayload:
            return FoundNetworkPayload(network=await network_by_id(info, str(r.id)), position=r.position)

        return await _run(
            info,
            lambda: lambda app: app.found_network(
                input.name, input.short_name, input.founded_on, input.description, input.website),
            payload,
        )

    @strawberry.mutation(description="Add a commission (a working group) to a network.")
    async def add_commission(self, info: Info, input: AddCommissionInput) -> AddCommissionResult:
        def command() -> Callable[[CitynetApplication], Recorded]:
            (network_id,) = from_global_id(input.network_id, "Network", "networkId")
            return lambda app: app.add_commission(network_id, input.name)

        async def payload(r: Recorded) -> CommissionPayload:
            return CommissionPayload(commission=await _commission(info, str(r.id)), position=r.position)

        return await _run(info, command, payload)

    @strawberry.mutation(description="Admit a city to a network in a role, from a given day.")
    async def admit_member(self, info: Info, input: AdmitMemberInput) -> AdmitMemberResult:
        def command() -> Callable[[CitynetApplication], Recorded]:
            network_id, city_id = _network_and_city(input)
            return lambda app: app.admit_member(network_id, city_id, input.role, input.since)

        return await _run(info, command, lambda r: _membership_payload(info, input, r))

    @strawberry.mutation(description="Change a member city's role from a given day.")
    async def change_member_role(self, info: Info, input: ChangeMemberRoleInput) -> ChangeMemberRoleResult:
        def command() -> Callable[[CitynetApplication], Recorded]:
            network_id, city_id = _network_and_city(input)
            return lambda app: app.change_member_role(network_id, city_id, input.role, input.on)

        return await _run(info, command, lambda r: _membership_payload(info, input, r))

    @strawberry.mutation(description="Record that a city left a network on a given day.")
    async def record_member_left(self, info: Info, input: RecordMemberLeftInput) -> RecordMemberLeftResult:
        ids: list[Any] = []

        def command() -> Callable[[CitynetApplication], Recorded]:
            ids.extend(_network_and_city(input))
            return lambda app: app.record_member_left(ids[0], ids[1], input.on)

        async def payload(r: Recorded) -> RecordMemberLeftPayload:
            return RecordMemberLeftPayload(
                network=await network_by_id(info, str(ids[0])), city=await city_by_id(info, str(ids[1])), position=r.position
            )

        return await _run(info, command, payload)

    @strawberry.mutation(description="Assign a member city to one of the network's commissions.")
    async def assign_commission_member(self, info: Info, input: CommissionMemberInput) -> CommissionMemberResult:
        def command() -> Callable[[CitynetApplication], Recorded]:
            network_id, commission_id, city_id = _commission_and_city(input)
            return lambda app: app.assign_commission_member(network_id, commission_id, city_id)

        return await _run(info, command, lambda r: _commission_payload(info, r))

    @strawberry.mutation(description="Erase a person's name and e-mail for good (admins). The history keeps the "
                                     "pseudonymous id and who erased it when; the hash chain still verifies.")
    async def erase_person(self, info: Info, input: ErasePersonInput) -> ErasePersonResult:
        bind(info)
        try:
            (person_id,) = from_global_id(input.person_id, "Person", "personId")
            recorded = await anyio.to_thread.run_sync(info.context.services.erase_person, person_id)
        except DomainError as error:
            return to_user_error(error)
        return ErasePersonPayload(person_id=input.person_id, position=recorded.position)

    @strawberry.mutation(description="Name the member city that heads a commission.")
    async def name_commission_head(self, info: Info, input: CommissionMemberInput) -> CommissionMemberResult:
        def command() -> Callable[[CitynetApplication], Recorded]:
            network_id, commission_id, city_id = _commission_and_city(input)
            return lambda app: app.name_commission_head(network_id, commission_id, city_id)

        return await _run(info, command, lambda r: _commission_payload(info, r))
