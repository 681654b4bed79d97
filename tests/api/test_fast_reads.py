"""Reads made cheaper without changing an answer: rows kept per projection version, plain leaves
executed in one step, validation once per document (decision 013, "Fast reads")."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import strawberry
from strawberry.extensions import ParserCache

from citynet.graphql import schema as schema_module
from citynet.graphql.context import make_context
from citynet.graphql.execution import DocumentValidationCache, LeafFastExecutor
from citynet.services.demo import load_demo
from citynet.services.readmodel.row_cache import RowCache, kept
from tests.api.test_directory_api import ADMIT, found, register

MEMBERS = """{ networks(first: 50) { edges { node { id name shortName foundedOn members(first: 100) {
  edges { node { role memberSince city { id name countryCode timeZone } } } } } } } }"""


def names(api: Any, extra: str = "") -> list[tuple[str, list[str]]]:
    """``extra`` changes the document, so the response cache (on in these tests) does not answer."""
    edges = api(MEMBERS.replace("shortName", f"shortName {extra}"))["networks"]["edges"]
    return [(e["node"]["shortName"], [m["node"]["city"]["name"] for m in e["node"]["members"]["edges"]]) for e in edges]


def test_kept_rows_answer_repeats_and_never_outlive_a_write(api: Any, services: Any) -> None:
    cache = services.reads.row_cache
    ubc = found(api, "Union of the Baltic Cities", "UBC", "1991-09-20")["network"]
    rostock = register(api, "Rostock", "DE", "Europe/Berlin")["city"]
    assert names(api) == [("UBC", [])]
    hits = cache.hits
    assert names(api, "__typename") == [("UBC", [])]
    assert cache.hits >= hits + 2  # the page and the members: no SQL for the repeat
    api(ADMIT, {"input": {"networkId": ubc["id"], "cityId": rostock["id"], "since": "1991-09-20"}})
    assert names(api) == [("UBC", ["Rostock"])]  # the write moved the position: the kept rows are gone
    found(api, "Efus", "Efus", "1987-01-01")
    assert names(api) == [("Efus", []), ("UBC", ["Rostock"])]


def test_a_rebuild_swapped_in_drops_kept_rows(services: Any) -> None:
    board = services.projections.board
    before = board.version("directory")
    board.post("directory", rebuilt=True)
    assert board.version("directory") == (before[0], before[1] + 1)


def test_row_cache_keys_on_the_version_seen_before_the_query() -> None:
    version = {"directory": (1, 0)}

    class Reads:
        def __init__(self) -> None:
            self.row_cache = RowCache(version.get)
            self.calls = 0

        @kept("directory")
        async def rows(self, ids: list[str]) -> dict[str, list[str]]:
            self.calls += 1
            if ids == ["moving"]:
                version["directory"] = (2, 0)  # a commit lands while the query runs
            return {i: [f"row-{self.calls}"] for i in ids}

    reads = Reads()
    run = asyncio.new_event_loop().run_until_complete
    first = run(reads.rows(["a", "b"]))
    first["a"].append("changed by a caller")
    assert run(reads.rows(["a", "b"])) == {"a": ["row-1"], "b": ["row-1"]}  # kept, and not the caller's copy
    assert reads.calls == 1
    assert run(reads.rows(iter(["a", "b"]))) == {"a": ["row-1"], "b": ["row-1"]}  # an iterator is read once
    run(reads.rows(["moving"]))
    assert run(reads.rows(["moving"]))["moving"] == ["row-3"]  # not kept under the version seen before
    version["directory"] = (3, 0)
    assert run(reads.rows(["a", "b"])) == {"a": ["row-4"], "b": ["row-4"]}
    no_source = RowCache(lambda name: None)
    assert no_source.get("directory", "k")[0] is None


def _plain_schema() -> Any:
    """The same schema with graphql-core's own field execution."""
    original = schema_module.CitynetSchema

    class Plain(original):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("execution_context_class", None)
            super().__init__(*args, **kwargs)

    schema_module.CitynetSchema = Plain
    try:
        return schema_module.build_schema()
    finally:
        schema_module.CitynetSchema = original


QUERIES = [
    MEMBERS.replace("members(first: 100) {", "description website members(first: 20) { totalCount pageInfo { endCursor }"),
    """{ workshops(first: 50) { edges { cursor node { id title topic status format venue meetingLink lengthDays capacity
         timeZone startDate endDate sequence statusReason calendarUrl days { date } host { name }
         organisers { shortName } partners { id } } } } }""",
    """{ cities(first: 100) { edges { node { __typename id name memberships { role until network { shortName } } } } } }""",
    """{ node(id: "not-an-id") { id } readPosition }""",
]


@pytest.mark.parametrize("role", ["admin", "anonymous"])
def test_leaf_fast_execution_answers_as_graphql_core_does(citynet: Any, run: Any, role: str) -> None:
    from citynet.services.attribution import ANONYMOUS, Actor

    load_demo(citynet)
    actor = ANONYMOUS if role == "anonymous" else Actor(id="t", role="admin")
    fast, plain = schema_module.build_schema(), _plain_schema()
    for query in QUERIES:
        ours = run(fast.execute(query, context_value=make_context(citynet, actor)))
        theirs = run(plain.execute(query, context_value=make_context(citynet, actor)))
        assert json.dumps(ours.data, default=str) == json.dumps(theirs.data, default=str)
        assert [e.formatted for e in ours.errors or []] == [e.formatted for e in theirs.errors or []]


@strawberry.type
class Item:
    name: str
    note: str | None
    count: int


@strawberry.type
class ItemsQuery:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return [Item(name="a", note=None, count=1), Item(name=None, note="n", count=2),  # type: ignore[arg-type]
                Item(name="c", note=None, count="x")]  # type: ignore[arg-type]


def test_leaf_fast_execution_reports_field_errors_as_graphql_core_does() -> None:
    document = "{ items { name note count } }"
    fast = strawberry.Schema(ItemsQuery, execution_context_class=LeafFastExecutor,
                             extensions=[ParserCache, DocumentValidationCache])
    plain = strawberry.Schema(ItemsQuery)
    ours, theirs = fast.execute_sync(document), plain.execute_sync(document)
    assert ours.data == theirs.data
    assert [e.formatted for e in ours.errors or []] == [e.formatted for e in theirs.errors or []]
    assert len(ours.errors or []) == 2
    bad = fast.execute_sync("{ items { nope } }")  # validation still refuses, from the cache too
    again = fast.execute_sync("{ items { nope } }")
    assert bad.errors and again.errors and bad.errors[0].message == again.errors[0].message
