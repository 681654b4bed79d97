"""The projections' faster JSON paths give exactly what the standard ones give: the event log's data text,
and stored states decoded into the same values (custom types included) with the same errors."""

from __future__ import annotations

import enum
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex

from citynet.services.application import DateAsISO
from citynet.services.projections.runner import _lean_decoder
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


def transcoder() -> JSONTranscoder:
    t = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        t.register(transcoding)
    return t


STATES = [
    {"timestamp": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "name": "Bench City 0",
     "_meta": {"actor": {"id": "bench", "city_id": None, "network_ids": []}, "command": "benchFill"}},
    {"id": UUID(int=7), "on": date(2026, 1, 2), "amount": Decimal("1.50"), "ids": [UUID(int=1), [UUID(int=2)]],
     "deep": {"at": {"when": date(2026, 3, 4)}}, "pairs": [{"city": UUID(int=3), "since": date(2026, 5, 6)}]},
    {"looks": {"_type_": "not a transcoding", "_data_": 1, "extra": True}, "word": "_type_", "k": {"_type_": 1}},
    {"escaped": "\u00e9\u2028\n\"", "text": "caf\u00e9", "nothing": None, "n": [1, 2.5, -0.0, 10**30]},
]
TEXTS = [
    b'{"at":{"_type_":"uuid_hex","_data_":"de8fbf063f8c4ab588ab2bf1cb0743dc"},"x":{"_type_":"date_iso","_data_":"2026-01-02"}}',
    b'{"\\u005ftype_":"uuid_hex","_data_":"de8fbf063f8c4ab588ab2bf1cb0743dc"}',
    b'{"a":{"\\u005ftype_":"uuid_hex","_data_":"de8fbf063f8c4ab588ab2bf1cb0743dc"},"b":{"_type_":"date_iso","_data_":"2026-01-02"}}',
    b'{"wrapped":{"_type_":"decimal_str","_data_":{"_type_":"decimal_str","_data_":"1"}}}',
    b'{"_type_":"date_iso","_data_":"2026-01-02"}',
    b'[{"_type_":"date_iso","_data_":"2026-01-02"},[{"_type_":"uuid_hex","_data_":"de8fbf063f8c4ab588ab2bf1cb0743dc"}]]',
    b'{"nan":NaN,"inf":-Infinity,"huge":1e400,"lone":"\\ud800","dup":1,"dup":2}',
    b'{"x":1}',
    b'"_type_"',
    b'{"a":"\\"_type_\\""}',
]
BROKEN = [
    b'{"at":{"_type_":"nope","_data_":"1"}}',
    b'{"at":{"_type_":["unhashable"],"_data_":"1"}}',
    b'{"at":{"_type_":"uuid_hex","_data_":"not a uuid"}}',
    b'{"at":{"_type_":"date_iso","_data_":"2026-13-01"}, "b":',
    b'{"a":1,}',
    b'{"a":1}x',
    b'\xef\xbb\xbf{}',
    b'{"a":"\xff"}',
    b'{"a":"raw\x01control"}',
    b'',
]


def outcome(decode: Any, data: bytes) -> tuple[str, Any]:
    try:
        return "value", decode(data)
    except Exception as error:  # noqa: BLE001 - the errors are compared
        return "error", (type(error), str(error))


@pytest.mark.parametrize("data", [transcoder().encode(s) for s in STATES] + TEXTS + BROKEN)
def test_stored_state_decodes_as_the_transcoder_decodes_it(data: bytes) -> None:
    t = transcoder()
    lean = _lean_decoder(t)
    assert lean is not None
    expected, got = outcome(t.decode, data), outcome(lean, data)
    assert repr(got) == repr(expected)
