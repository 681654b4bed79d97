"""Value rules shared by the aggregates: names, country codes, time zones, roles."""

from __future__ import annotations

import enum
from datetime import date
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from citynet.domain.countries import ISO_3166_ALPHA2
from citynet.domain.errors import InvalidInput

MAX_NAME_LENGTH = 200


class MemberRole(str, enum.Enum):
    """How a city takes part in a network."""

    MEMBER = "member"
    FOUNDING_MEMBER = "founding_member"
    LEAD_PARTNER = "lead_partner"
    OBSERVER = "observer"


def clean_name(field: str, value: str, max_length: int = MAX_NAME_LENGTH) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise InvalidInput(field, "must not be empty")
    if len(name) > max_length:
        raise InvalidInput(field, f"must be at most {max_length} characters")
    return name


def clean_country_code(field: str, value: str) -> str:
    code = (value or "").strip().upper()
    if code not in ISO_3166_ALPHA2:
        raise InvalidInput(field, f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return code


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def clean_time_zone(field: str, value: str) -> str:
    zone = (value or "").strip()
    # available_timezones() is the authority; ZoneInfo() alone would also
    # accept odd paths such as "posixrules".
    if zone not in _zones():
        raise InvalidInput(field, f"{value!r} is not an IANA time zone")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as e:  # pragma: no cover - data missing
        raise InvalidInput(field, f"{value!r} is not an IANA time zone") from e
    return zone


E = TypeVar("E", bound=enum.Enum)


def clean_enum(enum_cls: type[E], field: str, value: object) -> E:
    """A member of a closed set, or InvalidInput on ``field`` listing the allowed values."""
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(str(e.value) for e in enum_cls)
        raise InvalidInput(field, f"{value!r} is not one of: {allowed}") from None


def clean_role(field: str, value: MemberRole | str) -> MemberRole:
    return clean_enum(MemberRole, field, value)


def require_date(field: str, value: object) -> date:
    # datetime is a subclass of date; a membership date is a calendar day.
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise InvalidInput(field, "must be a calendar date (YYYY-MM-DD)")
    return value
