"""Value rules shared by the aggregates: names, country codes, time zones, roles."""

from __future__ import annotations

import enum
import unicodedata
from datetime import date
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from citynet.domain.countries import ISO_3166_ALPHA2
from citynet.domain.errors import InvalidInput

MAX_NAME_LENGTH = 200
MAX_TEXT_LENGTH = 10_000
MULTI_LINE_ALLOWED = frozenset("\t\n")


class MemberRole(str, enum.Enum):
    """How a city takes part in a network."""

    MEMBER = "member"
    FOUNDING_MEMBER = "founding_member"
    LEAD_PARTNER = "lead_partner"
    OBSERVER = "observer"


def _is_control(ch: str) -> bool:
    # Cc covers C0 (U+0000-U+001F), DEL and C1 (U+0080-U+009F).
    return unicodedata.category(ch) == "Cc"


_JOINERS = {"\u200c", "\u200d"}  # zero-width (non-)joiners: part of spelling in several scripts


def _is_invisible(ch: str) -> bool:
    code = ord(ch)
    noncharacter = 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE
    return noncharacter or (unicodedata.category(ch) == "Cf" and ch not in _JOINERS)


def clean_text(field: str, value: object, *, multi_line: bool = False, max_length: int = MAX_TEXT_LENGTH,
               required: bool = False) -> str:
    """The one gate every text of every command passes before it can reach an event.

    PostgreSQL text cannot hold NUL, and an event its projection cannot store
    would stall every read model behind it; other control characters and lone
    surrogates are refused for the same reason (they are never meant, and some
    drivers or encoders choke on them). Tab and newline are allowed only in
    multi-line fields (descriptions, notes, summaries). Text is stored in NFC,
    so "Liepāja" typed with a combining macron is the same text as the
    precomposed one."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(field, "must be text")
    if multi_line:  # browsers send a text area's line breaks as CRLF
        value = value.replace("\r\n", "\n")
    for ch in value:
        if "\ud800" <= ch <= "\udfff":
            raise InvalidInput(field, "contains a lone surrogate (not valid Unicode text)")
        if _is_control(ch) and not (multi_line and ch in MULTI_LINE_ALLOWED):
            raise InvalidInput(field, f"contains the control character U+{ord(ch):04X}")
        if _is_invisible(ch):
            # Format characters (zero-width space, soft hyphen, bidi overrides, BOM) and noncharacters
            # make two names look alike that are not ("Liepaja\u200b"): never meant in citynet's texts.
            raise InvalidInput(field, f"contains the invisible character U+{ord(ch):04X}")
    text = unicodedata.normalize("NFC", value)
    text = text.strip() if multi_line else " ".join(text.split())
    if required and not text:
        raise InvalidInput(field, "must not be empty")
    if len(text) > max_length:
        raise InvalidInput(field, f"must be at most {max_length} characters")
    return text


def clean_name(field: str, value: str, max_length: int = MAX_NAME_LENGTH) -> str:
    """A required single-line text: inner whitespace runs collapse to one space."""
    return clean_text(field, value, max_length=max_length, required=True)


def clean_note(field: str, value: str, max_length: int = MAX_TEXT_LENGTH, required: bool = False) -> str:
    """A multi-line text (description, note, summary): tabs and newlines are kept."""
    return clean_text(field, value, multi_line=True, max_length=max_length, required=required)


def clean_country_code(field: str, value: str) -> str:
    code = clean_text(field, value, max_length=10).upper()
    if code not in ISO_3166_ALPHA2:
        raise InvalidInput(field, f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return code


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def clean_time_zone(field: str, value: str) -> str:
    zone = clean_text(field, value, max_length=100)
    # available_timezones() is the authority; ZoneInfo() alone would also
    # accept odd paths such as "posixrules".
    if zone not in _zones():
        raise InvalidInput(field, f"{value!r} is not an IANA time zone")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as e:  # pragma: no cover - data missing
        raise InvalidInput(field, f"{value!r} is not an IANA time zone") from e
    return zone


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, frozenset[str]]:
    """zone.tab from the tzdata package: which countries each zone serves."""
    from importlib.resources import files

    try:
        text = files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - tzdata is a dependency
        return {}
    zones: dict[str, set[str]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) >= 3:
                for code in parts[0].split(","):
                    zones.setdefault(parts[2], set()).add(code)
    return {zone: frozenset(codes) for zone, codes in zones.items()}


def check_zone_fits_country(field: str, time_zone: str, country_code: str) -> None:
    """A zone that the tz database assigns to other countries only does not fit (DE with Asia/Tokyo).

    Zones it assigns to no country (UTC, Etc/*, old aliases) are left to the caller."""
    countries = _zone_countries().get(time_zone)
    if countries is not None and country_code not in countries:
        raise InvalidInput(field, f"{time_zone} is not a time zone of {country_code} (it serves {', '.join(sorted(countries))})")


def fold_accents(text: str) -> str:
    """Case and accents folded: "Liepāja" and "LIEPAJA" give the same key."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


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
