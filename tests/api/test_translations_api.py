"""Translations over GraphQL, on both stores (issue 13, decision 017)."""

from __future__ import annotations

from typing import Any

import pytest

from citynet.graphql.ids import from_global_id
from citynet.services.demo import load_demo
from tests.api.results import possible

ERRORS = """__typename ... on UserError { message } ... on InvalidInput { field }
  ... on VersionSuperseded { version currentVersion }"""


def translate(api: Any, values: dict[str, Any]) -> dict[str, Any]:
    payload = ERRORS + " ... on TranslateTextPayload { translation { text lang isEasyRead isStale } }"
    query = ("mutation($input: TranslateTextInput!) { translateText(input: $input) { %s } }"
             % possible("translateText", payload))
    return api(query, {"input": values})["translateText"]


@pytest.fixture
def demo(api: Any, services: Any) -> dict[str, Any]:
    load_demo(services)
    data = api("""{ workshops(first: 20) { edges { node { id title host { id name } } } }
        protocols { edges { node { id title currentVersion steps { id instruction } } } }
        cities(first: 50) { edges { node { id name } } } networks { edges { node { id shortName } } } }""")
    out: dict[str, Any] = {"workshops": {e["node"]["host"]["name"]: e["node"] for e in data["workshops"]["edges"]}}
    out["protocol"] = data["protocols"]["edges"][0]["node"]
    out.update({e["node"]["name"]: e["node"]["id"] for e in data["cities"]["edges"]})
    out.update({e["node"]["shortName"]: e["node"]["id"] for e in data["networks"]["edges"]})
    return out


def rostock_workshop(demo: dict[str, Any]) -> dict[str, Any]:
    return demo["workshops"]["Rostock"]


def test_a_translation_is_served_in_the_language_asked_for_with_the_documented_fallbacks(api: Any, demo: Any) -> None:
    w = rostock_workshop(demo)
    done = translate(api, {"recordId": w["id"], "field": "TITLE", "lang": "de", "text": "Krisenmanagement Titel"})
    assert done["__typename"] == "TranslateTextPayload", done
    assert done["translation"]["lang"] == "de"
    q = """query($id: ID!, $lang: String) { node(id: $id) { ... on Workshop {
        title(lang: $lang) texts(lang: $lang) { field text lang isFallback isSource requestedLang sourceLanguage } } } }"""

    def read(lang: str | None) -> dict[str, Any]:
        return api(q, {"id": w["id"], "lang": lang})["node"]

    de = read("de")
    assert de["title"] == "Krisenmanagement Titel"
    title = next(t for t in de["texts"] if t["field"] == "TITLE")
    assert (title["lang"], title["isFallback"], title["isSource"]) == ("de", False, False)
    at = read("de-AT")  # falls back to its base language
    title = next(t for t in at["texts"] if t["field"] == "TITLE")
    assert (at["title"], title["lang"], title["isFallback"], title["requestedLang"]) == (
        "Krisenmanagement Titel", "de", True, "de-AT")
    fr = read("fr")  # no French: the source language
    title = next(t for t in fr["texts"] if t["field"] == "TITLE")
    assert (fr["title"], title["lang"], title["isSource"], title["isFallback"]) == (w["title"], "en", True, True)
    assert read(None)["title"] == w["title"]  # nothing asked: the text as written


def test_accept_language_chooses_when_no_argument_does(api: Any, demo: Any) -> None:
    w = rostock_workshop(demo)
    translate(api, {"recordId": w["id"], "field": "TITLE", "lang": "lv", "text": "Krīzes vadība"})
    q = '{ node(id: "%s") { ... on Workshop { title } } }' % w["id"]
    for header, expected in [("lv, en;q=0.5", "Krīzes vadība"), ("fr-CH, fr;q=0.9, lv;q=0.8", "Krīzes vadība"),
                             ("fr", w["title"]), ("garbage;;, *", w["title"])]:
        body = api.post(q, headers={"Accept-Language": header}).json()
        assert body["data"]["node"]["title"] == expected, header
    # the argument wins over the header
    body = api.post('{ node(id: "%s") { ... on Workshop { title(lang: "en") } } }' % w["id"],
                    headers={"Accept-Language": "lv"}).json()
    assert body["data"]["node"]["title"] == w["title"]


def test_a_translation_belongs_to_one_version_and_goes_stale_when_its_source_changes(api: Any, demo: Any) -> None:
    p = demo["protocol"]
    step = p["steps"][0]
    # version 1 is proposed (frozen): it can be translated, as it is
    done = translate(api, {"recordId": p["id"], "field": "STEP_INSTRUCTION", "partId": step["id"], "version": 1,
                           "lang": "sl", "text": "Aktivirajte krizni štab (demo)"})
    assert done["__typename"] == "TranslateTextPayload", done
    revision = api("""mutation($i: StartRevisionInput!) { startRevision(input: $i) { __typename } }""",
                   {"i": {"documentId": p["id"]}})
    assert revision["startRevision"]["__typename"] == "DocumentPayload"
    q = """query($id: ID!, $n: Int!) { node(id: $id) { ... on Protocol { version(number: $n) {
        steps { id instruction(lang: "sl") } } } } }"""
    v1 = api(q, {"id": p["id"], "n": 1})["node"]["version"]["steps"]
    v2 = api(q, {"id": p["id"], "n": 2})["node"]["version"]["steps"]
    assert v1[0]["instruction"] == "Aktivirajte krizni štab (demo)"
    assert v2[0]["instruction"] == step["instruction"]  # bound to version 1: not shown for version 2
    # translate version 2, then change its source: the translation is reported stale
    translate(api, {"recordId": p["id"], "field": "STEP_INSTRUCTION", "partId": step["id"], "version": 2,
                    "lang": "sl", "text": "Aktivirajte krizni štab (demo)"})
    updated = api("""mutation($i: UpdateProtocolStepInput!) { updateProtocolStep(input: $i) { __typename } }""",
                  {"i": {"protocolId": p["id"], "version": 2, "stepId": step["id"], "step": {
                      "instruction": "Activate the crisis staff at once (demo)", "responsibleRole": "Mayor",
                      "timeFrame": "within 1 hour"}}})
    assert updated["updateProtocolStep"]["__typename"] == "ProtocolPayload", updated
    coverage = api("""query($id: ID!) { translationCoverage(recordId: $id, lang: "sl") {
        field partId version state translation } }""", {"id": p["id"]})["translationCoverage"]
    first = next(c for c in coverage if c["partId"] == step["id"])
    assert (first["version"], first["state"]) == (2, "STALE")
    assert {c["state"] for c in coverage if c["partId"] != step["id"]} == {"MISSING"}


def test_easy_read_variant_is_marked_and_chosen_only_when_asked(api: Any, demo: Any) -> None:
    p = demo["protocol"]
    step = p["steps"][0]
    done = translate(api, {"recordId": p["id"], "field": "STEP_INSTRUCTION", "partId": step["id"], "version": 1,
                           "lang": "en", "easyRead": True, "text": "Call the crisis team. Open the shelters."})
    assert done["translation"]["isEasyRead"] is True, done
    q = """query($id: ID!, $easy: Boolean!) { node(id: $id) { ... on Protocol { version(number: 1) {
        steps { id texts(lang: "fr", easyRead: $easy) { text lang isEasyRead } } } } } }"""
    easy = api(q, {"id": p["id"], "easy": True})["node"]["version"]["steps"][0]["texts"][0]
    plain = api(q, {"id": p["id"], "easy": False})["node"]["version"]["steps"][0]["texts"][0]
    assert (easy["text"], easy["lang"], easy["isEasyRead"]) == ("Call the crisis team. Open the shelters.", "en", True)
    assert (plain["text"], plain["isEasyRead"]) == (step["instruction"], False)


@pytest.mark.parametrize("values, typename, field", [
    ({"lang": "xx"}, "InvalidInput", "lang"),
    ({"lang": "de_AT"}, "InvalidInput", "lang"),
    ({"lang": ""}, "InvalidInput", "lang"),
    ({"lang": "en"}, "InvalidInput", "lang"),  # the source language: edit the text itself
    ({"lang": "sh-u-co-phonebk-ca-gregory-nu-latn"}, "InvalidInput", "lang"),  # grew past 35 when canonical
    ({"lang": "de-x-foo"}, "InvalidInput", "lang"),
    ({"lang": "de\n"}, "InvalidInput", "lang"),
    ({"lang": "qaa"}, "InvalidInput", "lang"),
    ({"text": "T" * 201}, "InvalidInput", "text"),  # a translated title is as short as a title
    ({"text": "   "}, "InvalidInput", "text"),
    ({"text": "Titel\u0000"}, "InvalidInput", "text"),
    ({"text": "Titel\nzwei"}, "InvalidInput", "text"),  # a title is one line
    ({"version": 1}, "InvalidInput", "version"),  # workshops have no versions
    ({"easyRead": True}, "InvalidInput", "easyRead"),  # a title has no easy-read variant
    ({"recordId": "bm90LWFuLWlk"}, "InvalidInput", "recordId"),
])
def test_bad_translations_are_typed_errors_and_store_nothing(api: Any, demo: Any, services: Any,
                                                            values: dict[str, Any], typename: str, field: str) -> None:
    w = rostock_workshop(demo)
    before = services.read_position()
    result = translate(api, {"recordId": w["id"], "field": "TITLE", "lang": "de", "text": "Titel", **values})
    assert (result["__typename"], result.get("field")) == (typename, field), result
    assert services.app.recorder.max_notification_id() == before


def test_versions_that_do_not_exist_or_were_superseded_are_refused(api: Any, demo: Any, services: Any) -> None:
    p = demo["protocol"]
    step = p["steps"][0]
    base = {"recordId": p["id"], "field": "STEP_INSTRUCTION", "partId": step["id"], "lang": "de", "text": "Schritt"}
    assert translate(api, {**base, "version": 7})["__typename"] == "NotFound"
    api("""mutation($i: StartRevisionInput!) { startRevision(input: $i) { __typename } }""", {"i": {"documentId": p["id"]}})
    api("""mutation($i: ProposeVersionInput!) { proposeVersion(input: $i) { __typename } }""",
        {"i": {"documentId": p["id"], "version": 2}})
    for city in ("Rostock", "Vienna", "Liepāja", "Ljubljana"):
        api("""mutation($i: AnswerVersionInput!) { answerVersion(input: $i) { __typename } }""",
            {"i": {"documentId": p["id"], "version": 2, "cityId": demo[city], "signedBy": "Demo", "signatoryRole": "Mayor"}})
    status = api('{ node(id: "%s") { ... on Protocol { version(number: 1) { status } } } }' % p["id"])
    assert status["node"]["version"]["status"] == "SUPERSEDED"
    result = translate(api, {**base, "version": 1})
    assert (result["__typename"], result["currentVersion"]) == ("VersionSuperseded", 2), result


def test_who_may_translate(api: Any, demo: Any) -> None:
    w = rostock_workshop(demo)
    values = {"recordId": w["id"], "field": "TOPIC", "lang": "de", "text": "Thema"}
    assert translate(api.as_actor("anonymous"), values)["__typename"] == "NotAllowed"
    def uuid(gid: str) -> str:
        return str(from_global_id(gid, "City", "cityId")[0])

    outsider = next(name for name in ("Riga", "Gdańsk", "Turku", "Paris", "Helsinki") if name in demo)
    assert translate(api.as_actor("city_representative", city=uuid(demo[outsider])), values)["__typename"] == "NotAllowed"
    partner = api.as_actor("city_representative", city=uuid(demo["Rostock"]))
    assert translate(partner, values)["__typename"] == "TranslateTextPayload"


def test_the_demo_speaks_the_host_cities_languages(api: Any, demo: Any) -> None:
    q = """query($lang: String) { workshops(first: 10) { edges { node { host { name }
        title(lang: $lang) texts(lang: $lang) { field lang isFallback isSource } } } } }"""

    def titles(lang: str | None) -> dict[str, tuple[str, str]]:
        rows = api(q, {"lang": lang})["workshops"]["edges"]
        return {r["node"]["host"]["name"]: (r["node"]["title"], next(
            t["lang"] for t in r["node"]["texts"] if t["field"] == "TITLE")) for r in rows}

    de, lv, sl = titles("de"), titles("lv"), titles("sl")
    assert de["Rostock"] == ("Vorbereitung auf die Unterbringung großer Personengruppen", "de")
    assert de["Vienna"] == ("Krisenmanagement bei Energieknappheit", "de")
    assert lv["Liepāja"] == ("Krīzes komunikācija ar iesaistītajām pusēm: brīvprātīgie, iedzīvotāji un mediji", "lv")
    assert sl["Ljubljana"] == ("Digitalni in analogni postopki opozarjanja v urbanem okolju", "sl")
    assert titles("de-AT")["Vienna"] == de["Vienna"]  # falls back to German
    fr = titles("fr")
    assert {lang for _, lang in fr.values()} == {"en"}  # no French: the source, English
    assert de["Liepāja"][1] == "en"  # Liepāja's workshop has no German title
    step = api("""{ protocols { edges { node { steps { texts(lang: "de", easyRead: true) { text lang isEasyRead } } } } } }""")
    first = step["protocols"]["edges"][0]["node"]["steps"][0]["texts"][0]
    assert (first["lang"], first["isEasyRead"]) == ("de", True)


def test_calendar_feeds_honour_lang(api: Any, demo: Any) -> None:
    city = demo["Rostock"]
    german = api.http.get(f"/calendar/cities/{city}.ics?lang=de").text
    english = api.http.get(f"/calendar/cities/{city}.ics").text
    assert "Vorbereitung auf die Unterbringung" in german.replace("\r\n ", "")
    assert "Vorbereitung" not in english and "Preparation for sheltering" in english.replace("\r\n ", "")
    assert api.http.get(f"/calendar/cities/{city}.ics?lang=xx").status_code == 400


def test_a_project_speaks_its_partners_languages(api: Any, demo: Any) -> None:
    project = api('{ projects { edges { node { id acronym name } } } }')["projects"]["edges"]
    pactesur = next(p["node"] for p in project if p["node"]["acronym"] == "PACTESUR")
    done = translate(api, {"recordId": pactesur["id"], "field": "NAME", "lang": "fr",
                           "text": "Protéger les villes alliées contre le terrorisme en sécurisant les zones urbaines"})
    assert done["__typename"] == "TranslateTextPayload", done
    read = api('{ node(id: "%s") { ... on Project { name(lang: "fr-BE") texts(lang: "it") { field lang isSource } } } }'
               % pactesur["id"])["node"]
    assert read["name"].startswith("Protéger les villes alliées")
    assert {(t["field"], t["lang"], t["isSource"]) for t in read["texts"]} >= {("NAME", "en", True)}
    coverage = api('{ translationCoverage(recordId: "%s", lang: "fr") { field state } }' % pactesur["id"])
    assert {c["field"]: c["state"] for c in coverage["translationCoverage"]} == {"NAME": "CURRENT",
                                                                                "OBJECTIVES": "MISSING"}


def test_declaring_the_source_language_twice_is_answered_not_failed(api: Any, demo: Any) -> None:
    w = rostock_workshop(demo)
    q = """mutation($i: DeclareSourceLanguageInput!) { declareSourceLanguage(input: $i) {
        __typename ... on DeclareSourceLanguagePayload { sourceLanguage } ... on InvalidInput { field } } }"""
    for _ in range(2):
        assert api(q, {"i": {"recordId": w["id"], "lang": "en"}})["declareSourceLanguage"] == {
            "__typename": "DeclareSourceLanguagePayload", "sourceLanguage": "en"}
    refused = api(q, {"i": {"recordId": w["id"], "lang": "de-DE"}})["declareSourceLanguage"]
    assert refused == {"__typename": "InvalidInput", "field": "lang"}  # a German translation exists


def test_two_accept_language_headers_never_share_a_cached_answer(api: Any, demo: Any) -> None:
    q = '{ node(id: "%s") { ... on Workshop { title } } }' % rostock_workshop(demo)["id"]
    body = {"query": q}
    headers = [("Authorization", f"Bearer {api.token}"), ("Content-Type", "application/json")]
    both = api.http.post("/graphql", json=body, headers=headers + [("Accept-Language", "de"), ("Accept-Language", "lv")])
    assert both.status_code == 200
    latvian = api.http.post("/graphql", json=body, headers=headers + [("Accept-Language", "lv")]).json()
    german = api.http.post("/graphql", json=body, headers=headers + [("Accept-Language", "de")]).json()
    assert latvian["data"]["node"]["title"] != german["data"]["node"]["title"]


def test_a_feed_in_a_language_changes_when_its_translation_does(api: Any, demo: Any) -> None:
    w = rostock_workshop(demo)
    url = f"/calendar/workshops/{w['id']}.ics?lang=de"
    first = api.http.get(url)
    translate(api, {"recordId": w["id"], "field": "TITLE", "lang": "de", "text": "Neuer Titel"})
    again = api.http.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"],
                                       "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and "Neuer Titel" in again.text
    assert again.headers["Last-Modified"] != first.headers["Last-Modified"] or again.headers["ETag"] != first.headers["ETag"]


def test_a_plans_title_in_lists_follows_the_reader(api: Any, demo: Any) -> None:
    plans = api('{ actionPlans { edges { node { id title currentVersion } } } }')["actionPlans"]["edges"]
    plan = plans[0]["node"]
    done = translate(api, {"recordId": plan["id"], "field": "TITLE", "version": plan["currentVersion"], "lang": "de",
                           "text": "Gemeinsamer Aktionsplan (Demo)"})
    assert done["__typename"] == "TranslateTextPayload", done
    read = api('{ actionPlans { edges { node { id title(lang: "de-AT") } } } }')["actionPlans"]["edges"]
    assert next(p["node"]["title"] for p in read if p["node"]["id"] == plan["id"]) == "Gemeinsamer Aktionsplan (Demo)"
    body = api.post('{ node(id: "%s") { ... on ActionPlan { title } } }' % plan["id"],
                    headers={"Accept-Language": "de"}).json()
    assert body["data"]["node"]["title"] == "Gemeinsamer Aktionsplan (Demo)"


def test_a_hidden_proposal_is_not_found_by_those_who_may_not_see_it(api: Any, demo: Any) -> None:
    """Found by a review: a coordinator of an unrelated network learnt from NotAllowed that a proposal
    existed, and could attach it to a plan of its own."""
    proposed = api('{ workshops(first: 20, filter: {statuses: [PROPOSED]}) { edges { node { id } } } }')
    hidden = proposed["workshops"]["edges"][0]["node"]["id"]
    efus = str(from_global_id(demo["Efus"], "Network", "id")[0])
    outsider = api.as_actor("coordinator", networks=(efus,))
    result = translate(outsider, {"recordId": hidden, "field": "TITLE", "lang": "de", "text": "Geheim"})
    assert result["__typename"] == "NotFound", result
    plan = outsider("""mutation($i: DraftActionPlanInput!) { draftActionPlan(input: $i) { __typename } }""",
                    {"i": {"title": "Mine", "networkIds": [demo["Efus"]], "partnerCityIds": [],
                           "workshopIds": [hidden], "startsOn": "2026-01-01"}})
    assert plan["draftActionPlan"]["__typename"] == "NotFound", plan
