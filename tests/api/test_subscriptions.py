"""GraphQL subscriptions over WebSocket (graphql-transport-ws) on both stores, in one process.

Cross-process delivery on PostgreSQL, with a real client against real server processes, is in
tests/e2e/test_live_processes.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient

from citynet.infra.app import create_app
from citynet.infra.settings import Settings
from citynet.services.demo import load_demo
from tests.conftest import GraphQLClient, mint_token

PROTOCOL = "graphql-transport-ws"
WAIT = 10.0  # seconds a message may take before the test fails (the server pushes; nothing polls)

WORKSHOP = """subscription($id: ID!, $after: Position) { workshop(id: $id, after: $after) {
  position eventType workshop { id status capacity freePlaces registeredCount waitlistCount } } }"""
REGISTRATIONS = """subscription($id: ID!, $after: Position) { workshopRegistrations(workshopId: $id, after: $after) {
  position eventType registrations { status position city { name } delegate { name email } } } }"""
EVENTS = """subscription($filter: EventFilter, $after: Position) { events(filter: $filter, after: $after) {
  position aggregateId eventType actor { role } } }"""
REGISTERS_WITH_PERSON = """subscription($id: ID!, $after: Position) { workshopRegistrations(workshopId: $id,
  after: $after) { position registrations { delegate { name email personId } } } }"""
CAPACITY = """mutation($input: SetWorkshopCapacityInput!) { setWorkshopCapacity(input: $input) {
  __typename ... on WorkshopPayload { position } ... on UserError { message } } }"""
REGISTER = """mutation($input: RegisterDelegateInput!) { registerDelegate(input: $input) {
  __typename ... on RegistrationPayload { position } ... on UserError { message } } }"""


class Live:
    """One graphql-transport-ws connection, driven step by step. Every connection is closed at the
    end of the test, failed or not (an open test WebSocket would keep the test client waiting)."""

    opened: list[Live] = []

    def __init__(self, client: TestClient, token: str | None = None, protocols: tuple[str, ...] = (PROTOCOL,)) -> None:
        self.cm = client.websocket_connect("/graphql", subprotocols=list(protocols))
        self.ws = self.cm.__enter__()
        self.token = token
        self.closed = False
        Live.opened.append(self)

    def init(self, token: str | None = None) -> dict[str, Any]:
        token = token or self.token
        self.send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"} if token else {}})
        return self.receive()

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send_text(json.dumps(message))

    def receive(self) -> dict[str, Any]:
        try:
            message = self.ws.receive(timeout=WAIT)
        except WebSocketDisconnect as e:
            return {"type": "closed", "code": e.code, "reason": e.detail}
        if message["type"] == "websocket.close":
            return {"type": "closed", "code": message["code"], "reason": message.get("reason")}
        return json.loads(message["text"])

    def subscribe(self, op_id: str, query: str, **variables: Any) -> None:
        self.send({"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables}})

    def next(self, op_id: str) -> dict[str, Any]:
        message = self.receive()
        assert message.get("id") == op_id and message["type"] == "next", message
        return message["payload"]

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.cm.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _close_connections(api: GraphQLClient) -> Any:
    yield  # torn down before the app
    while Live.opened:
        Live.opened.pop().close()


@pytest.fixture
def ids(api: GraphQLClient, services: Any) -> dict[str, str]:
    return make_ids(api, services)


def make_ids(api: GraphQLClient, services: Any) -> dict[str, str]:
    load_demo(services)
    data = api("""{ networks { edges { node { id shortName } } } cities(first: 50) { edges { node { id name } } }
                    workshops(first: 10) { edges { node { id topic status } } } }""")
    out = {e["node"]["shortName"]: e["node"]["id"] for e in data["networks"]["edges"]}
    out.update({e["node"]["name"]: e["node"]["id"] for e in data["cities"]["edges"]})
    published = [e["node"] for e in data["workshops"]["edges"] if e["node"]["status"] in ("SCHEDULED", "CONFIRMED")]
    out["published"] = published[0]["id"]
    return out


def capacity(api: GraphQLClient, workshop: str, value: int) -> int:
    result = api(CAPACITY, {"input": {"workshopId": workshop, "capacity": value}})["setWorkshopCapacity"]
    assert result["__typename"] == "WorkshopPayload", result
    return int(result["position"])


def test_a_change_reaches_the_subscriber_with_its_position(api: GraphQLClient, ids: dict[str, str]) -> None:
    live = Live(api.http, api.token)
    assert live.init()["type"] == "connection_ack"
    # From a known position: the subscription may become live only after the mutation is dispatched.
    live.subscribe("w", WORKSHOP, id=ids["published"], after=api("{ readPosition }")["readPosition"])
    position = capacity(api, ids["published"], 40)
    update = live.next("w")["data"]["workshop"]
    assert update["position"] == position
    assert update["eventType"].endswith("CapacityChanged") or "apacity" in update["eventType"]
    assert update["workshop"]["capacity"] == 40
    assert update["workshop"]["freePlaces"] == 40 - update["workshop"]["registeredCount"]
    live.close()


def test_resume_after_a_dropped_connection_has_no_gap_and_no_duplicate(api: GraphQLClient,
                                                                        ids: dict[str, str]) -> None:
    workshop = ids["published"]
    live = Live(api.http, api.token)
    live.init()
    live.subscribe("w", WORKSHOP, id=workshop, after=api("{ readPosition }")["readPosition"])
    written = [capacity(api, workshop, 31 + i) for i in range(3)]
    got = [live.next("w")["data"]["workshop"]["position"]]
    live.close()  # dropped mid-stream: two updates were never read
    written += [capacity(api, workshop, 41 + i) for i in range(2)]

    again = Live(api.http, api.token)
    again.init()
    again.subscribe("w", WORKSHOP, id=workshop, after=got[-1])
    got += [again.next("w")["data"]["workshop"]["position"] for _ in range(4)]
    written.append(capacity(api, workshop, 50))  # and then live, on the same subscription
    last = again.next("w")["data"]["workshop"]
    got.append(last["position"])
    assert got == written
    assert last["workshop"]["capacity"] == 50
    again.close()


def test_a_resume_far_behind_delivers_the_newest_updates_and_says_how_many_it_skipped(
        api: GraphQLClient, ids: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by a review: resuming from 0 rendered the current state once per missed event (23 s of CPU
    for one anonymous stream). Only the newest CITYNET_LIVE_MAX_REPLAY are delivered one by one."""
    from citynet.services import live as live_module

    monkeypatch.setattr(live_module, "_default_max_replay", 3)
    workshop = ids["published"]
    before = api("{ readPosition }")["readPosition"]
    written = [capacity(api, workshop, 31 + i) for i in range(5)]
    resumed = Live(api.http, api.token)
    resumed.init()
    resumed.subscribe("w", WORKSHOP.replace("eventType", "eventType skippedEvents"), id=workshop, after=before)
    got = [resumed.next("w")["data"]["workshop"] for _ in range(3)]
    assert [u["position"] for u in got] == written[-3:]
    assert [u["skippedEvents"] for u in got] == [2, 0, 0]
    assert got[0]["workshop"]["capacity"] == 35  # the state includes the skipped events
    live_position = capacity(api, workshop, 50)
    update = resumed.next("w")["data"]["workshop"]
    assert (update["position"], update["skippedEvents"], update["workshop"]["capacity"]) == (live_position, 0, 50)
    resumed.close()

    within = Live(api.http, api.token)  # within the window: every missed event, none skipped
    within.init()
    within.subscribe("w", WORKSHOP.replace("eventType", "eventType skippedEvents"), id=workshop, after=written[-2])
    tail = [within.next("w")["data"]["workshop"] for _ in range(2)]
    assert [(u["position"], u["skippedEvents"]) for u in tail] == [(written[-1], 0), (live_position, 0)]
    within.close()


def test_subscribers_shown_alike_share_one_execution_per_event(api: GraphQLClient, ids: dict[str, str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """500 subscribers of one workshop each executed their selection on the same update; now those shown
    the same (visibility, languages, operation, variables) share one execution, and the others do not."""
    from citynet.graphql import execution

    renders: list[int] = []
    render = execution.LeafFastExecutor._render

    async def counted(self: Any, serially: Any) -> Any:
        renders.append(1)
        return await render(self, serially)

    monkeypatch.setattr(execution.LeafFastExecutor, "_render", counted)
    before = api("{ readPosition }")["readPosition"]
    admins = [Live(api.http, api.token) for _ in range(3)]
    anonymous = Live(api.http)
    for live in (*admins, anonymous):
        assert live.init()["type"] == "connection_ack"
        live.subscribe("w", WORKSHOP, id=ids["published"], after=before)
    position = capacity(api, ids["published"], 44)
    updates = [live.next("w")["data"]["workshop"] for live in (*admins, anonymous)]
    assert {u["position"] for u in updates} == {position}
    assert all(u["workshop"]["capacity"] == 44 for u in updates)
    assert len(renders) == 2  # one for the three admins, one for the anonymous caller
    for live in (*admins, anonymous):
        live.close()


def test_a_shared_render_is_not_reused_once_the_read_models_moved_on(api: GraphQLClient, ids: dict[str, str]) -> None:
    """Found by a review: a resume after an erasure was sent the delegate's name from a render made
    before it (renders were shared by event position alone)."""
    workshop = ids["published"]
    before = api("{ readPosition }")["readPosition"]
    live = Live(api.http, api.token)
    live.init()
    live.subscribe("r", REGISTERS_WITH_PERSON, id=workshop, after=before)
    registered = api(REGISTER, {"input": {"workshopId": workshop, "cityId": ids["Rostock"], "name": "Erika Secret",
                                          "email": "erika.secret@rostock.example", "function": "FIREFIGHTER"}})
    assert registered["registerDelegate"]["__typename"] == "RegistrationPayload", registered
    shown = None
    while shown is None:  # the delegate's calendar may have events of its own: the workshop's message is ours
        update = live.next("r")["data"]["workshopRegistrations"]
        shown = next((r for r in update["registrations"] if r["delegate"]["name"] == "Erika Secret"), None)
    live.close()
    erased = api("""mutation($p: ID!) { erasePerson(input: {personId: $p}) { __typename } }""",
                 {"p": shown["delegate"]["personId"]})
    assert erased["erasePerson"]["__typename"] == "ErasePersonPayload", erased

    resumed = Live(api.http, api.token)
    resumed.init()
    resumed.subscribe("r", REGISTERS_WITH_PERSON, id=workshop, after=before)
    history = api("""query($id: ID!) { aggregateHistory(id: $id) { position } }""", {"id": workshop})
    last = max(e["position"] for e in history["aggregateHistory"])
    names: set[Any] = set()
    while True:
        update = resumed.next("r")["data"]["workshopRegistrations"]
        names |= {r["delegate"]["name"] for r in update["registrations"]}
        if update["position"] >= last:
            break
    assert "Erika Secret" not in names
    assert "erika.secret@rostock.example" not in str(names)
    resumed.close()


def test_anonymous_callers_get_nothing_of_unpublished_workshops(api: GraphQLClient, ids: dict[str, str]) -> None:
    proposed = api("""mutation($input: ProposeWorkshopInput!) { proposeWorkshop(input: $input) {
        ... on WorkshopPayload { workshop { id status } } } }""", {"input": {
        "title": "Blackout drill", "topic": "energy shortage", "networkIds": [ids["ICNCM"]],
        "partnerCityIds": [ids["Rostock"]], "hostCityId": ids["Vienna"], "venue": "City Hall", "capacity": 5}})
    workshop = proposed["proposeWorkshop"]["workshop"]
    assert workshop["status"] == "PROPOSED"
    anonymous = Live(api.http)
    assert anonymous.init()["type"] == "connection_ack"
    anonymous.subscribe("w", WORKSHOP, id=workshop["id"])
    refused = anonymous.receive()
    assert refused["id"] == "w"
    errors = refused["payload"]["errors"] if refused["type"] == "next" else refused["payload"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    assert not (refused.get("payload") or {}).get("data")
    anonymous.close()


def test_registrations_coordinators_see_all_a_city_its_own(api: GraphQLClient, ids: dict[str, str]) -> None:
    from citynet.graphql.ids import from_global_id

    workshop = ids["published"]
    rostock_id = str(from_global_id(ids["Rostock"], "City", "id")[0])
    icncm_id = str(from_global_id(ids["ICNCM"], "Network", "id")[0])
    city_live = Live(api.http, mint_token(api.settings, "city_representative", city=rostock_id))
    coordinator_live = Live(api.http, mint_token(api.settings, "coordinator", networks=(icncm_id,)))
    anonymous_live = Live(api.http)
    before = api("{ readPosition }")["readPosition"]
    for live in (city_live, coordinator_live, anonymous_live):
        live.init()
        live.subscribe("r", REGISTRATIONS, id=workshop, after=before)
    refused = anonymous_live.receive()
    errors = refused["payload"]["errors"] if refused["type"] == "next" else refused["payload"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"

    cities = api("""query($id: ID!) { workshop(id: $id) { host { id name } partners { id name } } }""", {"id": workshop})
    other = next(c for c in [cities["workshop"]["host"], *cities["workshop"]["partners"]] if c["name"] != "Rostock")
    positions: list[int] = []
    for city, name in ((ids["Rostock"], "Ada Rostock"), (other["id"], "Bo Other")):
        result = api(REGISTER, {"input": {"workshopId": workshop, "cityId": city, "name": name,
                                          "email": f"{name.split()[0].lower()}@example.org",
                                          "function": "FIREFIGHTER"}})["registerDelegate"]
        assert result["__typename"] == "RegistrationPayload", result
        positions.append(result["position"])
    # A command may also write other records (the delegate's calendar): expect the workshop's own events.
    history = api("""query($id: ID!) { aggregateHistory(id: $id) { position } }""", {"id": workshop})
    expected = [e["position"] for e in history["aggregateHistory"] ]
    expected = [p for p in expected if p <= positions[-1] and p > before]
    seen = {}
    for role, live in (("city", city_live), ("coordinator", coordinator_live)):
        updates = [live.next("r") for _ in expected]
        assert all(u.get("data") for u in updates), updates
        updates = [u["data"]["workshopRegistrations"] for u in updates]
        assert [u["position"] for u in updates] == expected
        seen[role] = updates[-1]["registrations"]
    city_names = {r["delegate"]["name"] for r in seen["city"]}
    assert {r["city"]["name"] for r in seen["city"]} == {"Rostock"} and "Ada Rostock" in city_names
    assert {"Ada Rostock", "Bo Other"} <= {r["delegate"]["name"] for r in seen["coordinator"]}
    for live in (city_live, coordinator_live, anonymous_live):
        live.close()


def test_auditors_follow_the_event_tail_with_the_query_filters(api: GraphQLClient, ids: dict[str, str]) -> None:
    auditor = Live(api.http, mint_token(api.settings, "auditor"))
    auditor.init()
    auditor.subscribe("e", EVENTS, filter={"aggregateId": ids["published"]}, after=0)
    history = api("""query($id: ID!) { aggregateHistory(id: $id) { position } }""", {"id": ids["published"]})
    replayed = [auditor.next("e")["data"]["events"]["position"] for _ in history["aggregateHistory"]]
    assert replayed == [e["position"] for e in history["aggregateHistory"]]
    position = capacity(api, ids["published"], 33)
    event = auditor.next("e")["data"]["events"]
    assert event["position"] == position and event["actor"]["role"] == "ADMIN"
    auditor.close()

    anonymous = Live(api.http)
    anonymous.init()
    anonymous.subscribe("e", EVENTS)
    refused = anonymous.receive()
    errors = refused["payload"]["errors"] if refused["type"] == "next" else refused["payload"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    anonymous.close()


def test_a_position_beyond_the_log_is_refused_not_waited_on(api: GraphQLClient, ids: dict[str, str]) -> None:
    """Found by a review: a position from another database waited for ever in silence."""
    live = Live(api.http, api.token)
    assert live.init()["type"] == "connection_ack"
    live.subscribe("w", WORKSHOP, id=ids["published"], after=99_999_999)
    message = live.receive()
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["field"] == "after", message
    live.close()


@pytest.mark.parametrize("after", [-5, 1e3, True, "1e3"])
def test_a_position_that_is_not_a_whole_number_from_0_is_refused(api: GraphQLClient, ids: dict[str, str],
                                                                   after: Any) -> None:
    """Found by a review: `after: -5` was read as 0 and `after: 1e3` as 1000."""
    live = Live(api.http, api.token)
    assert live.init()["type"] == "connection_ack"
    live.subscribe("w", WORKSHOP, id=ids["published"], after=after)
    message = live.receive()
    assert message["type"] == "error", message
    assert "position is a whole number" in json.dumps(message["payload"]), message
    live.close()


def test_a_resume_is_charged_to_the_callers_budget(api: GraphQLClient, ids: dict[str, str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Each replayed message draws on the caller's request budget: past it a resume sends the newest state."""
    from citynet.infra.operation_budget import OperationBudget

    class Budget:
        def __init__(self, room: int) -> None:
            self.room, self.asked = room, []  # type: ignore[var-annotated]

        async def take_up_to(self, units: int) -> int:
            self.asked.append(units)
            granted = min(units, self.room)
            self.room -= granted
            return granted

    workshop = ids["published"]
    before = api("{ readPosition }")["readPosition"]
    written = [capacity(api, workshop, 31 + i) for i in range(5)]
    budget = Budget(room=2)
    monkeypatch.setattr(OperationBudget, "bound", lambda self, identity: budget)
    resumed = Live(api.http, api.token)
    resumed.init()
    resumed.subscribe("w", WORKSHOP.replace("eventType", "eventType skippedEvents"), id=workshop, after=before)
    got = [resumed.next("w")["data"]["workshop"] for _ in range(3)]
    assert budget.asked == [4]  # five missed: the first is the subscribe's, four asked, two granted
    assert [(u["position"], u["skippedEvents"]) for u in got] == [(written[2], 2), (written[3], 0), (written[4], 0)]
    resumed.close()


def test_a_translation_reaches_the_workshops_subscribers(api: GraphQLClient, ids: dict[str, str]) -> None:
    """Found by a review: a translated title reached live clients only with the workshop's next event."""
    workshop = ids["published"]
    live = Live(api.http, api.token)
    live.init()
    live.subscribe("w", WORKSHOP, id=workshop, after=api("{ readPosition }")["readPosition"])
    done = api("""mutation($input: TranslateTextInput!) { translateText(input: $input) { __typename
        ... on MutationPayload { position } } }""",
               {"input": {"recordId": workshop, "field": "TITLE", "lang": "de", "text": "Krisenmanagement"}})
    assert done["translateText"]["__typename"] == "TranslateTextPayload", done
    update = live.next("w")["data"]["workshop"]
    assert update["eventType"] == "TextTranslated" and update["position"] == done["translateText"]["position"]
    live.close()
