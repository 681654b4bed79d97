"""Text in query arguments and variables: control characters and lone surrogates refused, NFC normalised."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from citynet.graphql.text_input import BadText, clean, text_problem
from tests.api.test_workshops_api import ids, propose  # noqa: F401 - ids is a fixture

CITIES = "query($c: String) { cities(countryCode: $c) { totalCount } }"
WORKSHOPS = "query($f: WorkshopFilter) { workshops(filter: $f) { edges { node { topic } } } }"


def post(api: Any, query: str, variables: dict[str, Any]) -> Any:
    """As a JSON client sends it: lone surrogates travel as \\uXXXX escapes."""
    return api.http.post("/graphql", content=json.dumps({"query": query, "variables": variables}),
                         headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"})


def refused(response: Any, field: str) -> str:
    assert response.status_code == 200, response.text  # legacy application/json: a request error answers 200
    body = response.json()
    assert "data" not in body, body
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, error
    return error["message"]


@pytest.mark.parametrize("bad", ["D\x00E", "DE\t", "D\nE", "\x7fDE", "D\x85E", "D\x9fE", "D\ud800E", "\udfffDE"])
def test_bad_text_in_variables_and_literals_is_refused_naming_the_argument(api: Any, bad: str) -> None:
    message = refused(post(api, CITIES, {"c": bad}), "countryCode")
    assert f"U+{ord(next(c for c in bad if c not in 'DE')):04X}" in message
    literal = json.dumps(bad)  # a JSON string escape is a GraphQL string escape for these
    if "\\ud" not in literal:  # graphql-core's lexer refuses escaped lone surrogates itself
        refused(api.post(f"{{ cities(countryCode: {literal}) {{ totalCount }} }}"), "countryCode")
    nested = post(api, WORKSHOPS, {"f": {"topic": bad}})
    refused(nested, "filter.topic")


def test_bad_text_in_an_input_object_literal_and_a_fragment(api: Any) -> None:
    query = '{ ...F } fragment F on Query { workshops(filter: {topic: "x\\u0000"}) { totalCount } }'
    refused(api.post(query), "filter.topic")
    refused(api.post('query($c: String = "\\u0001") { cities(countryCode: $c) { totalCount } }'), "$c")


def test_refusal_runs_no_resolver_and_good_text_still_works(api: Any, services: Any) -> None:
    before = services.projector.head()
    assert api(CITIES, {"c": "DE"})["cities"]["totalCount"] == 0
    refused(api.post(CITIES, {"c": "DE\x00"}), "countryCode")
    assert services.projector.head() == before
    assert api("{ readPosition }")  # the server goes on answering (PostgreSQL used to answer 500 here)


def test_non_nfc_arguments_are_normalised(api: Any, ids: dict[str, str]) -> None:
    propose(api, ids, topic="\u00c9vacuation des quartiers")  # NFC: É as one code point
    decomposed = "E\u0301vacuation"
    topics = [e["node"]["topic"] for e in api(WORKSHOPS, {"f": {"topic": decomposed}})["workshops"]["edges"]]
    assert topics == ["\u00c9vacuation des quartiers"]
    literal = f'{{ workshops(filter: {{topic: "{decomposed}"}}) {{ edges {{ node {{ topic }} }} }} }}'
    assert [e["node"]["topic"] for e in api(literal)["workshops"]["edges"]] == topics


def test_mutations_are_left_to_the_domain(api: Any) -> None:
    # The guard does not answer for mutations: their typed InvalidInput comes from the domain.
    response = api.post('mutation { registerCity(input: {name: "", countryCode: "D\\u0000", timeZone: "Europe/Berlin"})'
                        " { __typename } }")
    assert response.json()["data"]["registerCity"]["__typename"] == "InvalidInput"


@settings(max_examples=50, deadline=None)
@given(st.text())
def test_clean_accepts_exactly_printable_text_and_returns_nfc(text: str) -> None:
    bad = any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF for c in text)
    assert (text_problem(text) is not None) == bad
    if bad:
        with pytest.raises(BadText):
            clean(text, "x")
    else:
        import unicodedata

        assert clean(text, "x") == unicodedata.normalize("NFC", text)
