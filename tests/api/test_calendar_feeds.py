"""Calendar feeds: the same instants in every client, HTTP caching, sessions, and no leaks to anonymous callers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from citynet.infra.vtimezone import vtimezone
from tests.api.test_workshops_api import ids, mutate, propose  # noqa: F401 - ids is a fixture

CLIENTS = Path(__file__).with_name("calendar_clients")
IN_CI = os.environ.get("CI", "").lower() == "true"
UTC = timezone.utc


def get(api: Any, path: str, **headers: str) -> Any:
    return api.http.get(path, headers=headers)


def events(body: bytes) -> dict[str, Any]:
    return {str(e["UID"]): e for e in Calendar.from_ical(body).walk("VEVENT")}


def python_instants(body: bytes) -> dict[str, list[str]]:
    def iso(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    return {uid: [iso(e.decoded("dtstart")), iso(e.decoded("dtend"))] for uid, e in events(body).items()}


@pytest.fixture(scope="session")
def node_clients(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ical.js and node-ical, installed from the npm registry into a temporary directory once per run."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        if IN_CI:
            pytest.fail("CI=true needs node and npm to check the feeds with ical.js and node-ical")
        pytest.skip("node/npm not installed: the ical.js and node-ical checks need them")
    where = tmp_path_factory.mktemp("calendar_clients")
    for name in ("package.json", "parse.mjs"):
        shutil.copy(CLIENTS / name, where / name)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=where, check=True,
                   capture_output=True, timeout=300)
    return where


def node_instants(clients: Path, body: bytes, tmp_path: Path) -> dict[str, dict[str, list[str]]]:
    feed = tmp_path / "feed.ics"
    feed.write_bytes(body)
    done = subprocess.run(["node", str(clients / "parse.mjs"), str(feed)], capture_output=True, check=True,
                          timeout=60)
    return json.loads(done.stdout)


def test_the_feeds_read_the_same_in_icalendar_icaljs_and_node_ical(api: Any, ids: dict[str, str],
                                                                     node_clients: Path, tmp_path: Path) -> None:
    # The network feed holds Rostock in summer (Europe/Berlin) and Liepāja across the March switch (Europe/Riga).
    body = get(api, f"/calendar/networks/{ids['UBC']}.ics?sessions=true").content
    python = python_instants(body)
    riga = "2027-03-28T06:00:00.000Z"  # 09:00 EEST on the day summer time starts
    assert riga in {start for start, _ in python.values()}
    assert len(python) >= 6  # workshops and their sessions
    parsed = node_instants(node_clients, body, tmp_path)
    assert parsed["ical.js"] == python
    assert parsed["node-ical"] == python


def test_workshop_instants_are_the_host_cities_local_times(api: Any, ids: dict[str, str]) -> None:
    data = api("query($id: ID!) { workshop(id: $id) { startDate endDate timeZone } }",
               {"id": ids["sheltering"]})["workshop"]
    zone = ZoneInfo(data["timeZone"])
    start = datetime.combine(datetime.fromisoformat(data["startDate"]).date(), datetime.min.time(), zone)
    event = next(iter(events(get(api, f"/calendar/workshops/{ids['sheltering']}.ics").content).values()))
    assert event.decoded("dtstart") == start + timedelta(hours=9)


@pytest.mark.parametrize("key", ["Europe/Berlin", "Europe/Riga", "Europe/Ljubljana", "America/Sao_Paulo",
                                 "Asia/Tokyo", "Australia/Sydney", "America/New_York"])
def test_vtimezones_agree_with_the_zone_database_every_hour(key: str) -> None:
    component = vtimezone(key, 2016, 2028)
    text = component.to_ical().decode()
    assert "RDATE" not in text and "," not in "".join(line for line in text.splitlines() if line.startswith("DTSTART"))
    parsed = Calendar.from_ical(f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{text}END:VCALENDAR\r\n".encode())
    built = parsed.walk("VTIMEZONE")[0].to_tz()
    zone = ZoneInfo(key)
    moment = datetime(2017, 1, 1, tzinfo=UTC)
    while moment < datetime(2028, 1, 1, tzinfo=UTC):
        assert moment.astimezone(built).utcoffset() == moment.astimezone(zone).utcoffset(), (key, moment)
        moment += timedelta(hours=1)


def test_eu_onsets_are_yearly_rules_at_local_time_before_the_jump() -> None:
    text = vtimezone("Europe/Berlin", 2026, 2028).to_ical().decode()
    daylight = text[text.index("BEGIN:DAYLIGHT"):text.index("END:DAYLIGHT")]
    standard = text[text.index("BEGIN:STANDARD"):text.index("END:STANDARD")]
    assert "DTSTART:20260329T020000" in daylight and "BYDAY=-1SU" in daylight and "BYMONTH=3" in daylight
    assert "TZOFFSETFROM:+0100" in daylight and "TZOFFSETTO:+0200" in daylight
    assert "DTSTART:20261025T030000" in standard and "BYMONTH=10" in standard


def test_one_charset_head_etag_last_modified_and_304(api: Any, ids: dict[str, str]) -> None:
    path = f"/calendar/workshops/{ids['sheltering']}.ics"
    first = get(api, path)
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert get(api, path).content == first.content  # nothing in it depends on the time of the fetch
    head = api.http.head(path)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == etag and int(head.headers["content-length"]) == len(first.content)
    assert get(api, path, **{"If-None-Match": etag}).status_code == 304
    assert get(api, path, **{"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert get(api, path, **{"If-None-Match": '"other"'}).status_code == 200
    assert get(api, path, **{"If-Modified-Since": modified}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(modified) - timedelta(seconds=1), usegmt=True)
    assert get(api, path, **{"If-Modified-Since": earlier}).status_code == 200
    assert get(api, path, **{"If-Modified-Since": "yesterday"}).status_code == 200
    assert api.http.head(path, headers={"If-None-Match": etag}).status_code == 304

    mutate(api, "rescheduleWorkshop", "RescheduleWorkshopInput",
           {"workshopId": ids["sheltering"], "startDate": "2027-06-08", "endDate": "2027-06-10", "reason": "venue"})
    changed = get(api, path, **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert parsedate_to_datetime(changed.headers["last-modified"]) >= parsedate_to_datetime(modified)


def test_dtstamp_is_the_last_change(api: Any, ids: dict[str, str]) -> None:
    wid = ids["sheltering"]
    history = api.as_actor("auditor")("query($id: ID!) { aggregateHistory(id: $id) { recordedAt } }",
                                      {"id": wid})["aggregateHistory"]
    last = max(datetime.fromisoformat(e["recordedAt"]) for e in history).astimezone(UTC).replace(microsecond=0)
    response = get(api, f"/calendar/workshops/{wid}.ics")
    event = next(iter(events(response.content).values()))
    assert event.decoded("dtstamp") == last
    assert parsedate_to_datetime(response.headers["last-modified"]) == last


def test_sessions_on_request(api: Any, ids: dict[str, str]) -> None:
    wid = ids["crisis communication"]
    plain = events(get(api, f"/calendar/workshops/{wid}.ics").content)
    assert list(plain) == [f"workshop-{api_uuid(wid)}@citynet"]
    with_sessions = events(get(api, f"/calendar/workshops/{wid}.ics?sessions=true").content)
    sessions = [e for uid, e in with_sessions.items() if uid.startswith("session-")]
    assert len(sessions) == 3
    assert {str(e["RELATED-TO"]) for e in sessions} == set(plain)
    starts = sorted(e.decoded("dtstart").astimezone(UTC).isoformat() for e in sessions)
    assert starts == ["2027-03-26T07:00:00+00:00", "2027-03-27T07:00:00+00:00", "2027-03-28T06:00:00+00:00"]


def test_days_on_request_without_an_agenda(api: Any, ids: dict[str, str]) -> None:
    wid = ids["sheltering"]
    assert api("query($id: ID!) { workshop(id: $id) { sessions { id } } }", {"id": wid})["workshop"]["sessions"] == []
    days = [e for uid, e in events(get(api, f"/calendar/workshops/{wid}.ics?sessions=true").content).items()
            if uid.startswith("day-")]
    assert len(days) == 3
    assert [(e.decoded("dtstart").hour, e.decoded("dtend").hour) for e in days] == [(9, 17)] * 3
    assert len({e.decoded("dtstart").date() for e in days}) == 3


def api_uuid(global_id: str) -> str:
    from citynet.graphql.ids import from_global_id

    return str(from_global_id(global_id, "Workshop", "id")[0])


def test_unpublished_workshops_never_reach_anonymous_callers(api: Any, ids: dict[str, str]) -> None:
    secret = propose(api, ids, host="Rostock", title="Secret evacuation exercise", format="ONLINE",
                     venue="", meetingLink="https://meet.example/secret-room")
    path = f"/calendar/workshops/{secret['id']}.ics"
    anonymous = api.http.get(path)
    assert anonymous.status_code == 404 and b"Secret" not in anonymous.content
    assert api.http.head(path).status_code == 404
    admin = {"Authorization": f"Bearer {api.token}"}
    mine = api.http.get(path, headers=admin)
    assert mine.status_code == 200 and "X-WR-CALNAME:Secret evacuation exercise" in mine.text
    # Dated but still unpublished? Scheduling publishes it; until then no feed shows it to anonymous callers.
    for feed in (f"/calendar/cities/{ids['Rostock']}.ics", f"/calendar/networks/{ids['ICNCM']}.ics"):
        assert b"Secret" not in api.http.get(feed + "?sessions=true").content
    mutate(api, "scheduleWorkshop", "ScheduleWorkshopInput",
           {"workshopId": secret["id"], "startDate": "2027-11-02", "endDate": "2027-11-04"})
    public = api.http.get(path)
    assert public.status_code == 200 and "Secret evacuation exercise" in public.text
    assert "meet.example" not in public.text  # the meeting link lets anyone in: signed-in callers only
    assert "https://meet.example/secret-room" in api.http.get(path, headers=admin).text.replace("\r\n ", "")
    # One copy per caller in shared caches.
    assert public.headers["vary"] == "Authorization" and public.headers["etag"] != \
        api.http.get(path, headers=admin).headers["etag"]
    assert api.http.get(path, headers={"Authorization": "Bearer forged"}).status_code == 401
