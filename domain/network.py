"""A city network (ICNCM, UBC, Efus ...): its commissions and its members.

Membership dates are *effective* dates chosen by people ("member since
2016"); the events' timestamps say when citynet recorded them. Both are kept,
so history can be asked either way. Effective dates may not lie in the
future (decision 010): a membership is recorded once it has begun, so
"current" and "on today" always agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from citynet.domain.errors import (
    AlreadyExists,
    AlreadyMember,
    InvalidInput,
    NotAMember,
    NotFound,
)
from citynet.domain.values import MemberRole, clean_name, clean_note, clean_role, clean_text, require_date

NETWORK_NAMESPACE = UUID("0c6b1f4e-7a0f-4c47-8a84-5d3e2f9b7c21")
SHORT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .&'-]{0,29}$")


def network_id_for(short_name: str) -> UUID:
    return uuid5(NETWORK_NAMESPACE, short_name.strip().casefold())


def commission_id_for(network_id: UUID, name: str) -> UUID:
    return uuid5(network_id, " ".join(name.split()).casefold())


@dataclass
class Commission:
    id: UUID
    name: str
    head_city_id: UUID | None = None
    member_city_ids: list[UUID] = field(default_factory=list)


@dataclass
class Membership:
    city_id: UUID
    role: MemberRole
    member_since: date
    role_since: date


class Network(Aggregate):
    class Founded(Aggregate.Created):
        """Version 2 added ``website``; stored version-1 events are upcast with none."""

        name: str
        short_name: str
        founded_on: date
        description: str
        website: str
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:  # type: ignore[type-arg]
            state["website"] = ""

    @staticmethod
    def create_id(name: str, short_name: str, founded_on: date, description: str, website: str = "") -> UUID:
        return network_id_for(short_name)

    @event(Founded)
    def __init__(self, name: str, short_name: str, founded_on: date, description: str, website: str = "") -> None:
        self.name = name
        self.short_name = short_name
        self.founded_on = founded_on
        self.description = description
        self.website = website
        self.commissions: dict[UUID, Commission] = {}
        self.members: dict[UUID, Membership] = {}
        # Last date each former member left: a city may come back, but not
        # before it left.
        self.left_on: dict[UUID, date] = {}

    # -- commands -----------------------------------------------------------

    @classmethod
    def found(cls, name: str, short_name: str, founded_on: date, description: str = "", website: str = "") -> Network:
        short = clean_text("shortName", short_name)
        if not short:
            raise InvalidInput("shortName", "must not be empty")
        if not SHORT_NAME.match(short):
            raise InvalidInput(
                "shortName", "must be 1-30 letters, digits, spaces or . & ' - (for example 'UBC')"
            )
        website = clean_text("website", website)
        if website and (not website.startswith(("https://", "http://")) or len(website) > 500 or " " in website):
            raise InvalidInput("website", f"{website!r} is not an http(s) address")
        return cls(
            name=clean_name("name", name),
            short_name=short,
            founded_on=require_date("foundedOn", founded_on),
            description=clean_note("description", description),
            website=website,
        )

    def add_commission(self, name: str) -> Commission:
        name = clean_name("name", name)
        commission_id = commission_id_for(self.id, name)
        if commission_id in self.commissions:
            raise AlreadyExists(
                "Commission", commission_id, f"{self.short_name} already has a commission named {name!r}"
            )
        self._commission_added(commission_id=commission_id, name=name)
        return self.commissions[commission_id]

    def admit(self, city_id: UUID, role: MemberRole | str, since: date, *, today: date) -> None:
        role = clean_role("role", role)
        since = _not_future("since", require_date("since", since), today)
        if city_id in self.members:
            m = self.members[city_id]
            raise AlreadyMember(
                self.id, city_id,
                f"city {city_id} has been a member of {self.short_name} since {m.member_since.isoformat()}",
            )
        if since < self.founded_on:
            raise InvalidInput(
                "since", f"{since.isoformat()} is before {self.short_name} was founded ({self.founded_on.isoformat()})"
            )
        left = self.left_on.get(city_id)
        if left is not None and since < left:
            raise InvalidInput("since", f"{since.isoformat()} is before the city left on {left.isoformat()}")
        self._member_admitted(city_id=city_id, role=role.value, since=since)

    def change_role(self, city_id: UUID, role: MemberRole | str, on: date, *, today: date) -> None:
        role = clean_role("role", role)
        on = _not_future("on", require_date("on", on), today)
        membership = self._membership(city_id)
        if membership.role is role:
            raise InvalidInput("role", f"the city is already a {role.value.replace('_', ' ')}")
        if role is MemberRole.OBSERVER:
            for commission in self.commissions.values():
                if commission.head_city_id == city_id:
                    raise InvalidInput("role", f"the city heads the {commission.name}: an observer cannot; "
                                               "name another head first")
        if on < membership.role_since:
            raise InvalidInput(
                "on", f"{on.isoformat()} is before the current role began ({membership.role_since.isoformat()})"
            )
        self._member_role_changed(city_id=city_id, role=role.value, on=on)

    def record_departure(self, city_id: UUID, on: date, *, today: date) -> None:
        on = _not_future("on", require_date("on", on), today)
        membership = self._membership(city_id)
        if on < membership.role_since:
            raise InvalidInput(
                "on", f"{on.isoformat()} is before the current role began ({membership.role_since.isoformat()})"
            )
        # A head leaves its headship as a fact of its own, before the membership ends.
        for commission in self.commissions.values():
            if commission.head_city_id == city_id:
                self._headship_ended(commission_id=commission.id, city_id=city_id, on=on)
        self._member_left(city_id=city_id, on=on)

    def assign_to_commission(self, commission_id: UUID, city_id: UUID) -> None:
        commission = self._commission(commission_id)
        self._membership(city_id)
        if city_id in commission.member_city_ids:
            raise AlreadyExists(
                "CommissionMember", city_id, f"the city already works in the {commission.name}"
            )
        self._commission_member_assigned(commission_id=commission_id, city_id=city_id)

    def name_commission_head(self, commission_id: UUID, city_id: UUID) -> None:
        commission = self._commission(commission_id)
        if self._membership(city_id).role is MemberRole.OBSERVER:
            raise InvalidInput("cityId", f"an observer cannot head the {commission.name}")
        if commission.head_city_id == city_id:
            raise AlreadyExists("CommissionHead", city_id, f"the city already heads the {commission.name}")
        self._commission_head_named(commission_id=commission_id, city_id=city_id)

    # -- lookups ------------------------------------------------------------

    def _membership(self, city_id: UUID) -> Membership:
        try:
            return self.members[city_id]
        except KeyError:
            raise NotAMember(self.id, city_id, f"city {city_id} is not a member of {self.short_name}") from None

    def _commission(self, commission_id: UUID) -> Commission:
        try:
            return self.commissions[commission_id]
        except KeyError:
            raise NotFound("Commission", commission_id, field="commissionId") from None

    # -- events: the bodies apply already-validated facts ---------------------

    @event("CommissionAdded")
    def _commission_added(self, commission_id: UUID, name: str) -> None:
        self.commissions[commission_id] = Commission(id=commission_id, name=name)

    @event("MemberAdmitted")
    def _member_admitted(self, city_id: UUID, role: str, since: date) -> None:
        self.members[city_id] = Membership(city_id, MemberRole(role), since, since)

    @event("MemberRoleChanged")
    def _member_role_changed(self, city_id: UUID, role: str, on: date) -> None:
        m = self.members[city_id]
        m.role, m.role_since = MemberRole(role), on

    @event("MemberLeft")
    def _member_left(self, city_id: UUID, on: date) -> None:
        del self.members[city_id]
        self.left_on[city_id] = on
        # Commission work and headship end with the membership.
        for commission in self.commissions.values():
            if city_id in commission.member_city_ids:
                commission.member_city_ids.remove(city_id)
            if commission.head_city_id == city_id:
                commission.head_city_id = None

    @event("CommissionHeadshipEnded")
    def _headship_ended(self, commission_id: UUID, city_id: UUID, on: date) -> None:
        self.commissions[commission_id].head_city_id = None

    @event("CommissionMemberAssigned")
    def _commission_member_assigned(self, commission_id: UUID, city_id: UUID) -> None:
        self.commissions[commission_id].member_city_ids.append(city_id)

    @event("CommissionHeadNamed")
    def _commission_head_named(self, commission_id: UUID, city_id: UUID) -> None:
        commission = self.commissions[commission_id]
        commission.head_city_id = city_id
        # The head works in the commission it heads.
        if city_id not in commission.member_city_ids:
            commission.member_city_ids.append(city_id)


def _not_future(field: str, day: date, today: date) -> date:
    if day > today:
        raise InvalidInput(field, f"{day.isoformat()} is in the future (today is {today.isoformat()}); "
                                  "record it on or after that day")
    return day
