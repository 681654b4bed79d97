"""Workshops over GraphQL on both stores: the coordinator's and the partners' journeys."""

from __future__ import annotations

from typing import Any

import pytest
from icalendar import Calendar

from citynet.services.demo import load_demo
from tests.api.results import possible

WORKSHOP_FIELDS = """
  id title status sequence startDate endDate timeZone capacity freePlaces registeredCount waitlistCount
  days { date startsAt endsAt }
  sessions { id title startsAt endsAt room }
  datePoll { isOpen candidates { index startDate endDate chosen yesCount ifNeedBeCount noCount answers { answer city { name } } } }
  waitlist { position delegate { name email } }
  overlappingWorkshops { title }
  outcome { attendance summary keyFindings }
"""
RESULT = """
  __typename
  ... on WorkshopPayload { position workshop { %s } }
  ... on UserError { message }
  ... on InvalidInput { field }
  ... on DateConflict { conflictingWorkshopId }
  ... on NotAPartner { cityId }
  ... on InvalidTransition { status action }
  ... on CapacityBelowRegistered { capacity registered }
""" % WORKSHOP_FIELDS


def mutate(api: Any, name: str, input_type: str, values: dict[str, Any]) -> dict[str, Any]:
    query = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {possible(name, RESULT)} }} }}"
    return api(query, {"input": values})[name]


REGISTER = """mutation($input: RegisterDelegateInput!) { registerDelegate(input: $input) {
  __typename
  ... on RegistrationPayload { registration { id status position delegate { name email function } city { name } } }
  ... on UserError { message }
  ... on InvalidInput { field }
  ... on DateConflict { conflictingWorkshopId }
} }"""


@pytest.fixture
def ids(api: Any, services: Any) -> dict[str, str]:
    load_demo(services)
    data = api("""{ networks { edges { node { id shortName } } } cities(first: 50) { edges { node { id name } } }
                    workshops(first: 10) { edges { node { id topic } } } }""")
    out = {e["node"]["shortName"]: e["node"]["id"] for e in data["networks"]["edges"]}
    out.update({e["node"]["name"]: e["node"]["id"] for e in data["cities"]["edges"]})
    out.update({e["node"]["topic"]: e["node"]["id"] for e in data["workshops"]["edges"]})
    return out


def propose(api: Any, ids: dict[str, str], host: str = "Vienna", capacity: int = 2, **extra: Any) -> dict[str, Any]:
    values = {"title": "Blackout drill", "topic": "energy shortage", "networkIds": [ids["ICNCM"], ids["UBC"]],
              "partnerCityIds": [ids["Rostock"], ids["Liepāja"]], "hostCityId": ids[host], "venue": "City Hall",
              "capacity": capacity, **extra}
    result = mutate(api, "proposeWorkshop", "ProposeWorkshopInput", values)
    assert result["__typename"] == "WorkshopPayload", result
    return result["workshop"]


def test_demo_has_the_four_connecting_resilient_cities_workshops(api: Any, ids: dict[str, str]) -> None:
    data = api("""{ workshops(filter: {kinds: [WORKSHOP]}) { totalCount edges { node { title status host { name } organisers { shortName }
                 datePoll { isOpen } waitlist { position } description } } } }""")
    nodes = {e["node"]["title"]: e["node"] for e in data["workshops"]["edges"]}
    assert data["workshops"]["totalCount"] == 4
    assert {n["host"]["name"] for n in nodes.values()} == {"Rostock", "Vienna", "Liepāja", "Ljubljana"}
    assert all(n["description"].startswith("Demo data") for n in nodes.values())
    assert all({o["shortName"] for o in n["organisers"]} == {"ICNCM", "UBC"} for n in nodes.values())
    sheltering = nodes["Preparation for sheltering large groups of people"]
    assert [w["position"] for w in sheltering["waitlist"]] == [1, 2]
    assert nodes["Digital and analogue warning procedures in an urban environment"]["datePoll"]["isOpen"]


def test_date_poll_to_schedule_and_its_record(api: Any, ids: dict[str, str]) -> None:
    w = propose(api, ids)
    polled = mutate(api, "openDatePoll", "OpenDatePollInput", {"workshopId": w["id"], "candidates": [
        {"startDate": "2027-02-02", "endDate": "2027-02-04"}, {"startDate": "2027-02-16", "endDate": "2027-02-18"}]})
    assert polled["workshop"]["datePoll"]["isOpen"]
    for city, answers in [("Rostock", ["YES", "NO"]), ("Liepāja", ["IF_NEED_BE", "YES"])]:
        answered = mutate(api, "answerDatePoll", "AnswerDatePollInput", {"workshopId": w["id"], "cityId": ids[city],
            "answers": [{"candidate": i, "answer": a} for i, a in enumerate(answers)]})
        assert answered["__typename"] == "WorkshopPayload"
    outsider = mutate(api, "answerDatePoll", "AnswerDatePollInput", {"workshopId": w["id"], "cityId": ids["Nice"],
        "answers": [{"candidate": 0, "answer": "YES"}]})
    assert outsider["__typename"] == "NotAPartner" and outsider["cityId"] == ids["Nice"]
    closed = mutate(api, "closeDatePoll", "CloseDatePollInput", {"workshopId": w["id"], "candidate": 0})["workshop"]
    assert (closed["status"], closed["startDate"], closed["endDate"]) == ("SCHEDULED", "2027-02-02", "2027-02-04")
    poll = closed["datePoll"]
    assert not poll["isOpen"] and poll["candidates"][0]["chosen"] and not poll["candidates"][1]["chosen"]
    assert (poll["candidates"][0]["yesCount"], poll["candidates"][0]["ifNeedBeCount"]) == (1, 1)


def test_registration_waitlist_promotion_and_capacity(api: Any, ids: dict[str, str], services: Any) -> None:
    w = propose(api, ids, capacity=2)
    mutate(api, "scheduleWorkshop", "ScheduleWorkshopInput", {"workshopId": w["id"], "startDate": "2027-01-12", "endDate": "2027-01-14"})
    regs = []
    for i in range(4):
        r = api(REGISTER, {"input": {"workshopId": w["id"], "cityId": ids["Rostock"], "name": f"Delegate {i}",
                                      "email": f"d{i}@rostock.example", "function": "FIREFIGHTER"}})["registerDelegate"]
        regs.append(r["registration"])
    assert [r["status"] for r in regs] == ["REGISTERED", "REGISTERED", "WAITLISTED", "WAITLISTED"]
    assert [r["position"] for r in regs] == [None, None, 1, 2]
    withdrawn = mutate(api, "withdrawRegistration", "WithdrawRegistrationInput", {"registrationId": regs[0]["id"]})["workshop"]
    assert withdrawn["registeredCount"] == 2 and [x["delegate"]["name"] for x in withdrawn["waitlist"]] == ["Delegate 3"]
    before = services.projector.head()
    refused = mutate(api, "setWorkshopCapacity", "SetWorkshopCapacityInput", {"workshopId": w["id"], "capacity": 1})
    assert refused["__typename"] == "CapacityBelowRegistered" and refused["registered"] == 2
    assert services.projector.head() == before
    lowered = mutate(api, "setWorkshopCapacity", "SetWorkshopCapacityInput",
                     {"workshopId": w["id"], "capacity": 1, "excess": "MOVE_TO_WAITLIST"})["workshop"]
    assert [x["delegate"]["name"] for x in lowered["waitlist"]] == ["Delegate 2", "Delegate 3"]
    assert lowered["freePlaces"] == 0


@pytest.mark.parametrize(
    ("change", "typename", "field"),
    [
        ({"email": "not-an-email"}, "InvalidInput", "email"),
        ({"name": " "}, "InvalidInput", "name"),
        ({"cityId": "Nice"}, "NotAPartner", None),
        ({"workshopId": "nope"}, "InvalidInput", "workshopId"),
    ],
)
def test_bad_registrations_store_nothing(api: Any, ids: dict[str, str], services: Any, change: dict, typename: str,
                                         field: str | None) -> None:
    workshop = ids["crisis communication"]
    values = {"workshopId": workshop, "cityId": ids["Rostock"], "name": "Ann Demo", "email": "ann@rostock.example",
              "function": "POLICE", **change}
    values["cityId"] = ids.get(values["cityId"], values["cityId"])
    before = services.projector.head()
    result = api(REGISTER, {"input": values})["registerDelegate"]
    assert result["__typename"] == typename, result
    if field:
        assert result["field"] == field
    assert services.projector.head() == before
    people = api("query($id: ID!) { city(id: $id) { delegates { totalCount } } }", {"id": ids["Rostock"]})
    assert people["city"]["delegates"]["totalCount"] == 3  # the demo's Rostock delegates only


def test_registering_for_held_or_cancelled_workshops_is_refused(api: Any, ids: dict[str, str]) -> None:
    held = api(REGISTER, {"input": {"workshopId": ids["energy shortage"], "cityId": ids["Rostock"], "name": "Late",
                                    "email": "late@rostock.example", "function": "OTHER"}})["registerDelegate"]
    assert held["__typename"] == "RegistrationClosed"
    mutate(api, "cancelWorkshop", "CancelWorkshopInput", {"workshopId": ids["sheltering"], "reason": "flooding"})
    cancelled = api(REGISTER, {"input": {"workshopId": ids["sheltering"], "cityId": ids["Rostock"], "name": "Late",
                                         "email": "late@rostock.example", "function": "OTHER"}})["registerDelegate"]
    assert cancelled["__typename"] == "RegistrationClosed"


def test_conflicts_name_the_other_workshop(api: Any, ids: dict[str, str]) -> None:
    sheltering = ids["sheltering"]  # Rostock hosts it in person, 18-20 May 2027
    w = propose(api, ids, host="Rostock")
    clash = mutate(api, "scheduleWorkshop", "ScheduleWorkshopInput", {"workshopId": w["id"], "startDate": "2027-05-19", "endDate": "2027-05-21"})
    assert clash["__typename"] == "DateConflict" and clash["conflictingWorkshopId"] == sheltering
    online = propose(api, ids, host="Rostock", format="ONLINE", venue="", meetingLink="https://meet.example/x")
    ok = mutate(api, "scheduleWorkshop", "ScheduleWorkshopInput", {"workshopId": online["id"], "startDate": "2027-05-19", "endDate": "2027-05-21"})
    assert ok["__typename"] == "WorkshopPayload"
    assert {o["title"] for o in ok["workshop"]["overlappingWorkshops"]} == {"Preparation for sheltering large groups of people"}
    # Lena is registered for the sheltering workshop: not for an overlapping one as well.
    again = api(REGISTER, {"input": {"workshopId": online["id"], "cityId": ids["Rostock"], "name": "Lena Muster",
                                     "email": "lena.muster@rostock.example", "function": "POLICE"}})["registerDelegate"]
    assert again["__typename"] == "DateConflict" and again["conflictingWorkshopId"] == sheltering


def test_times_carry_offsets_across_dst(api: Any, ids: dict[str, str]) -> None:
    w = api("query($id: ID!) { workshop(id: $id) { %s } }" % WORKSHOP_FIELDS, {"id": ids["crisis communication"]})["workshop"]
    assert w["timeZone"] == "Europe/Riga"
    assert [s["startsAt"] for s in w["sessions"]] == [
        "2027-03-26T09:00:00+02:00", "2027-03-27T09:00:00+02:00", "2027-03-28T09:00:00+03:00"]
    assert [d["startsAt"] for d in w["days"]] == [
        "2027-03-26T00:00:00+02:00", "2027-03-27T00:00:00+02:00", "2027-03-28T00:00:00+02:00"]
    assert w["days"][-1]["endsAt"] == "2027-03-29T00:00:00+03:00"
    overlap = api("""mutation($input: AddSessionInput!) { addSession(input: $input) { __typename
        ... on SessionOverlap { sessionId room } } }""", {"input": {"workshopId": w["id"], "title": "Clash",
        "startsAt": "2027-03-28T10:00:00+03:00", "endsAt": "2027-03-28T11:00:00+03:00", "room": "Bus"}})["addSession"]
    assert overlap == {"__typename": "SessionOverlap", "sessionId": w["sessions"][2]["id"], "room": "Bus"}


def test_filters(api: Any, ids: dict[str, str]) -> None:
    def titles(filter: dict[str, Any], kinds: tuple[str, ...] = ("WORKSHOP",)) -> set[str]:
        # The demo's other gatherings (PACTESUR's weeks, ICNCM's conference) are left out unless asked for.
        data = api("query($f: WorkshopFilter) { workshops(filter: $f) { edges { node { topic } } } }",
                   {"f": {**filter, "kinds": list(kinds)}})
        return {e["node"]["topic"] for e in data["workshops"]["edges"]}

    assert titles({"hostCityId": ids["Liepāja"]}) == {"crisis communication"}
    assert titles({"statuses": ["HELD"]}) == {"energy shortage"}
    assert titles({"topic": "SHELTER"}) == {"sheltering"}
    assert titles({"startsFrom": "2027-01-01", "endsBy": "2027-04-01"}) == {"crisis communication"}
    assert titles({"timing": "PAST"}) == {"energy shortage"}
    assert "energy shortage" not in titles({"timing": "UPCOMING"})
    assert titles({"networkId": ids["Efus"]}) == set()
    assert titles({"networkId": ids["Efus"]}, ("WEEK_OF_EVENTS", "CONFERENCE")) == {"protection of public spaces"}
    assert titles({"timing": "PAST"}, ("CONFERENCE",)) == {"Covid-19: Impact on Urban Environments"}
    error = api.post("{ workshops(filter: {startsFrom: \"2027-02-01\", endsBy: \"2027-01-01\"}) { totalCount } }").json()
    assert error["errors"][0]["extensions"]["field"] == "filter.endsBy"


def test_calendar_feed_updates_the_same_entry(api: Any, ids: dict[str, str]) -> None:
    wid = ids["sheltering"]

    def feed(path: str) -> Calendar:
        response = api.http.get(path)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
        return Calendar.from_ical(response.content)

    first = feed(f"/calendar/workshops/{wid}.ics")
    event = first.walk("VEVENT")[0]
    assert first.walk("VTIMEZONE")[0]["TZID"] == "Europe/Berlin"
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin" and int(event["SEQUENCE"]) == 0
    uid = str(event["UID"])
    mutate(api, "rescheduleWorkshop", "RescheduleWorkshopInput",
           {"workshopId": wid, "startDate": "2027-06-08", "endDate": "2027-06-10", "reason": "venue booked"})
    moved = feed(f"/calendar/workshops/{wid}.ics").walk("VEVENT")[0]
    assert str(moved["UID"]) == uid and int(moved["SEQUENCE"]) == 1
    assert moved["DTSTART"].dt.date().isoformat() == "2027-06-08"
    mutate(api, "cancelWorkshop", "CancelWorkshopInput", {"workshopId": wid, "reason": "flooding"})
    cancelled = feed(f"/calendar/cities/{ids['Rostock']}.ics")
    mine = [e for e in cancelled.walk("VEVENT") if str(e["UID"]) == uid][0]
    assert str(mine["STATUS"]) == "CANCELLED" and int(mine["SEQUENCE"]) == 2
    network = feed(f"/calendar/networks/{ids['UBC']}.ics")
    assert len(network.walk("VEVENT")) == 3  # the undated (polling) workshop has no entry yet
    assert api.http.get("/calendar/workshops/garbage.ics").status_code == 400
    assert api.http.get(f"/calendar/workshops/{ids['Rostock']}.ics").status_code == 400


@pytest.mark.parametrize(
    ("dates", "message"),
    [({"startDate": "2027-02-04", "endDate": "2027-02-02"}, "before the start"),
     ({"startDate": "2027-02-02", "endDate": "2027-02-05"}, "planned for 3")],
)
def test_bad_dates_are_typed_errors_and_store_nothing(api: Any, ids: dict[str, str], services: Any,
                                                      dates: dict[str, str], message: str) -> None:
    w = propose(api, ids)
    before = services.projector.head()
    for name, input_type, values in [
        ("scheduleWorkshop", "ScheduleWorkshopInput", {"workshopId": w["id"], **dates}),
        ("openDatePoll", "OpenDatePollInput", {"workshopId": w["id"], "candidates": [dates]}),
    ]:
        result = mutate(api, name, input_type, values)
        assert result["__typename"] == "InvalidInput" and message in result["message"], result
        assert result["field"].endswith("endDate")
    assert services.projector.head() == before


def test_marking_held_records_the_outcome(api: Any, ids: dict[str, str]) -> None:
    held = api("query($id: ID!) { workshop(id: $id) { status outcome { attendance keyFindings } } }",
               {"id": ids["energy shortage"]})["workshop"]
    assert held["status"] == "HELD" and held["outcome"]["attendance"] == 38 and len(held["outcome"]["keyFindings"]) == 2
    future = mutate(api, "markWorkshopHeld", "MarkWorkshopHeldInput", {"workshopId": ids["crisis communication"],
                    "attendance": 10, "outcomeSummary": "too early", "keyFindings": []})
    assert future["__typename"] == "InvalidInput"
    proposed = mutate(api, "markWorkshopHeld", "MarkWorkshopHeldInput", {"workshopId": ids["warning procedures"],
                      "attendance": 10, "outcomeSummary": "never dated", "keyFindings": []})
    assert proposed["__typename"] == "InvalidTransition" and proposed["status"] == "PROPOSED"


def test_rescheduling_moves_the_agenda_keeping_local_time(api: Any, ids: dict[str, str]) -> None:
    moved = mutate(api, "rescheduleWorkshop", "RescheduleWorkshopInput", {"workshopId": ids["crisis communication"],
                   "startDate": "2027-04-06", "endDate": "2027-04-08", "reason": "venue"})["workshop"]
    assert [s["startsAt"] for s in moved["sessions"]] == [
        "2027-04-06T09:00:00+03:00", "2027-04-07T09:00:00+03:00", "2027-04-08T09:00:00+03:00"]
