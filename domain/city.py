"""A city: the unit that joins networks, hosts workshops and signs plans."""

from __future__ import annotations

import unicodedata
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from citynet.domain.values import (
    check_zone_fits_country,
    clean_country_code,
    clean_name,
    clean_time_zone,
    fold_accents,
)

# Fixed namespace: a city's id is derived from its country and name, so the same
# city registered twice (or seeded twice) maps to the same aggregate and the
# second registration is refused instead of creating a duplicate.
CITY_NAMESPACE = UUID("6f1d8a8e-2c3b-4f9a-9d55-0b7d3c0e6a11")
CITY_NAME_NAMESPACE = UUID("b0e7a2c4-3d5f-4b8e-9a1c-6f2d8e4b0a37")


def city_key(name: str, country_code: str) -> str:
    folded = unicodedata.normalize("NFKC", name).casefold()
    return f"{country_code.upper()}/{folded}"


class City(Aggregate):
    @staticmethod
    def create_id(name: str, country_code: str, time_zone: str) -> UUID:
        return uuid5(CITY_NAMESPACE, city_key(name, country_code))

    @event("Registered")
    def __init__(self, name: str, country_code: str, time_zone: str) -> None:
        self.name = name
        self.country_code = country_code
        self.time_zone = time_zone

    @classmethod
    def register(cls, name: str, country_code: str, time_zone: str) -> City:
        country = clean_country_code("countryCode", country_code)
        zone = clean_time_zone("timeZone", time_zone)
        check_zone_fits_country("timeZone", zone, country)
        return cls(name=clean_name("name", name), country_code=country, time_zone=zone)


def city_name_key(name: str, country_code: str) -> str:
    return f"{country_code.upper()}/{fold_accents(' '.join(name.split()))}"


class CityName(Aggregate):
    """Claims a city's name within its country, accents and case folded.

    City ids keep their original derivation (ids in use stay valid), so
    "Liepaja" and "Liepāja" would be two ids; this claim, saved atomically
    with the city, makes the second registration collide with the first."""

    @staticmethod
    def create_id(key: str, city_id: UUID) -> UUID:
        return uuid5(CITY_NAME_NAMESPACE, key)

    @event("Claimed")
    def __init__(self, key: str, city_id: UUID) -> None:
        self.key = key
        self.city_id = city_id

    @classmethod
    def for_city(cls, city: City) -> CityName:
        return cls(key=city_name_key(city.name, city.country_code), city_id=city.id)


def city_name_id(name: str, country_code: str) -> UUID:
    return uuid5(CITY_NAME_NAMESPACE, city_name_key(name, country_code))
