"""A city: the unit that joins networks, hosts workshops and signs plans."""

from __future__ import annotations

import unicodedata
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from citynet.domain.values import clean_country_code, clean_name, clean_time_zone

# Fixed namespace: a city's id is derived from its country and name, so the same
# city registered twice (or seeded twice) maps to the same aggregate and the
# second registration is refused instead of creating a duplicate.
CITY_NAMESPACE = UUID("6f1d8a8e-2c3b-4f9a-9d55-0b7d3c0e6a11")


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
        return cls(
            name=clean_name("name", name),
            country_code=clean_country_code("countryCode", country_code),
            time_zone=clean_time_zone("timeZone", time_zone),
        )
