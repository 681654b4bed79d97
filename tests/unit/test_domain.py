"""Domain invariants, without any database."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from citynet.domain.city import City
from citynet.domain.errors import AlreadyExists, AlreadyMember, InvalidInput, NotAMember, NotFound
from citynet.domain.network import Network, commission_id_for
from citynet.domain.values import MemberRole
TODAY = date(2026, 6, 1)


def ubc() -> Network:
    return Network.found("Union of the Baltic Cities", "UBC", date(1991, 9, 20))


def test_a_city_is_registered_with_clean_values() -> None:
    city = City.register("  Liepāja ", "lv", "Europe/Riga")
    assert (city.name, city.country_code, city.time_zone) == ("Liepāja", "LV", "Europe/Riga")
    assert city.id == City.create_id("liepāja", "LV", "Europe/Riga")  # same identity, however spelt
    assert [type(e).__name__ for e in city.collect_events()] == ["Registered"]


@pytest.mark.parametrize(
    ("name", "country", "zone", "field"),
    [
        ("", "DE", "Europe/Berlin", "name"),
        ("   ", "DE", "Europe/Berlin", "name"),
        ("Rostock", "XX", "Europe/Berlin", "countryCode"),
        ("Rostock", "DEU", "Europe/Berlin", "countryCode"),
        ("Rostock", "DE", "Europe/Rostock", "timeZone"),
        ("Rostock", "DE", "", "timeZone"),
    ],
)
def test_bad_city_values_name_the_field(name: str, country: str, zone: str, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        City.register(name, country, zone)
    assert raised.value.field == field


def test_admission_role_change_and_departure() -> None:
    network, rostock = ubc(), uuid4()
    network.admit(rostock, MemberRole.FOUNDING_MEMBER, date(1991, 9, 20), today=TODAY)
    network.change_role(rostock, "lead_partner", date(2020, 1, 1), today=TODAY)
    assert network.members[rostock].role is MemberRole.LEAD_PARTNER
    assert network.members[rostock].member_since == date(1991, 9, 20)
    network.record_departure(rostock, date(2022, 1, 1), today=TODAY)
    assert rostock not in network.members
    names = [type(e).__name__ for e in network.collect_events()]
    assert names == ["Founded", "MemberAdmitted", "MemberRoleChanged", "MemberLeft"]


def test_a_city_cannot_be_admitted_twice() -> None:
    network, city = ubc(), uuid4()
    network.admit(city, "member", date(2000, 1, 1), today=TODAY)
    with pytest.raises(AlreadyMember):
        network.admit(city, "observer", date(2001, 1, 1), today=TODAY)


def test_a_city_cannot_leave_a_network_it_is_not_in() -> None:
    with pytest.raises(NotAMember):
        ubc().record_departure(uuid4(), date(2000, 1, 1), today=TODAY)


def test_no_membership_before_the_network_was_founded() -> None:
    with pytest.raises(InvalidInput) as raised:
        ubc().admit(uuid4(), "member", date(1990, 12, 31), today=TODAY)
    assert raised.value.field == "since"


def test_dates_cannot_run_backwards() -> None:
    network, city = ubc(), uuid4()
    network.admit(city, "member", date(2000, 1, 1), today=TODAY)
    with pytest.raises(InvalidInput):
        network.change_role(city, "observer", date(1999, 1, 1), today=TODAY)
    with pytest.raises(InvalidInput):
        network.record_departure(city, date(1999, 1, 1), today=TODAY)
    network.record_departure(city, date(2005, 1, 1), today=TODAY)
    with pytest.raises(InvalidInput):
        network.admit(city, "member", date(2004, 1, 1), today=TODAY)  # back before it left
    network.admit(city, "member", date(2006, 1, 1), today=TODAY)


def test_commissions_belong_to_their_network() -> None:
    network = ubc()
    safe = network.add_commission("Safe Cities Commission")
    assert safe.id == commission_id_for(network.id, "Safe Cities Commission")
    with pytest.raises(AlreadyExists):
        network.add_commission("safe cities  commission")
    other = Network.found("International City Network for Crisis Management", "ICNCM", date(2003, 1, 1))
    with pytest.raises(NotFound):
        other.name_commission_head(safe.id, uuid4())


def test_head_of_commission_must_be_a_member_city() -> None:
    network, liepaja = ubc(), uuid4()
    safe = network.add_commission("Safe Cities Commission")
    with pytest.raises(NotAMember):
        network.name_commission_head(safe.id, liepaja)
    network.admit(liepaja, "member", date(1993, 1, 1), today=TODAY)
    network.name_commission_head(safe.id, liepaja)
    assert safe.head_city_id == liepaja and liepaja in safe.member_city_ids


def test_leaving_ends_commission_work_and_headship() -> None:
    network, city = ubc(), uuid4()
    safe = network.add_commission("Safe Cities Commission")
    network.admit(city, "member", date(1993, 1, 1), today=TODAY)
    network.name_commission_head(safe.id, city)
    network.record_departure(city, date(2000, 1, 1), today=TODAY)
    assert safe.head_city_id is None and safe.member_city_ids == []


@pytest.mark.parametrize("short", ["", "   ", "way too long a short name for any network", "<UBC>"])
def test_network_short_name_rules(short: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        Network.found("Union of the Baltic Cities", short, date(1991, 9, 20))
    assert raised.value.field == "shortName"


def test_invisible_characters_are_refused_and_crlf_becomes_a_newline() -> None:
    """"Liepaja\u200b" looked like Liepāja's twin and passed the name check (review)."""
    import pytest

    from citynet.domain.errors import InvalidInput
    from citynet.domain.values import clean_name, clean_note

    for sneaky in ("Liepaja\u200b", "Lie\u00adpaja", "Liepaja\u202e", "\ufeffLiepaja", "Liepaja\ufffe"):
        with pytest.raises(InvalidInput):
            clean_name("name", sneaky)
    assert clean_name("name", "Mi\u200dra") == "Mi\u200dra"  # a joiner is spelling in some scripts
    assert clean_note("description", "a\r\nb") == "a\nb"
