"""The projections' faster JSON paths give exactly what the standard ones give: the event log's data text,
and stored states decoded into the same values (custom types included) with the same errors."""

from __future__ import annotations

import enum
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest

from citynet.services.readmodel.event_log_projection import _encode_data, plain


class Colour(enum.Enum):
    RED = "red"


DATA = [
    {},
    {"name": "Bench City 0", "country_code": "DE", "originator_topic": "citynet.domain.city:City"},
    {"name": "Zürich \u2028 \"quoted\" \\ back\nslash\ttab \x00 \ud83d\ude00 €", "n": 3, "f": 1.5, "g": 1e300,
     "h": -0.0, "nan": float("nan"), "inf": float("inf"), "big": 10**30, "t": True, "no": None},
    {"id": UUID("de8fbf06-3f8c-4ab5-88ab-2bf1cb0743dc"), "on": date(2026, 1, 2),
     "at": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=1))), "colour": Colour.RED},
    {"nested": {"list": [1, [2, {"x": UUID(int=1)}], ()], "tuple": (1, "a")}, "ids": [UUID(int=2), UUID(int=3)]},
]


@pytest.mark.parametrize("data", DATA)
def test_event_log_data_text_is_json_dumps(data: dict) -> None:
    assert _encode_data(data) == json.dumps(data, default=plain, ensure_ascii=False)


def test_event_log_data_refuses_what_json_dumps_refuses() -> None:
    with pytest.raises(TypeError, match="not JSON: Decimal"):
        _encode_data({"amount": Decimal("1.5")})
    with pytest.raises(TypeError):
        _encode_data({(1,): "tuple keys are not allowed"})  # type: ignore[dict-item]
