"""Language tags, Accept-Language and the fallback chain (decision 017)."""

from __future__ import annotations

import pytest

from citynet.domain.errors import InvalidInput
from citynet.domain.language import accept_language, fallback_chain, language_tag, shorter_forms
from citynet.domain.translation import TextKey
from citynet.services.readmodel.translation_queries import RecordTexts, TranslationRow
from citynet.services.translations import localize, source_digest


@pytest.mark.parametrize("raw, tag", [("de", "de"), ("DE-at", "de-AT"), ("sl", "sl"), ("lv", "lv"),
                                      ("i-klingon", "tlh"), ("sr-Cyrl-RS", "sr-Cyrl-RS"), (" fr ", "fr")])
def test_registered_tags_are_kept_canonical(raw: str, tag: str) -> None:
    assert language_tag("lang", raw) == tag


@pytest.mark.parametrize("raw", ["", "  ", "xx", "zz-ZZ", "de_AT", "und", "x-private", "en-easy", "de\x00",
                                 "a" * 40, None, 7])
def test_anything_else_is_invalid_input_on_the_field(raw: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        language_tag("lang", raw)
    assert refused.value.field == "lang"


def test_shorter_forms_and_the_chain_end_with_the_source() -> None:
    assert shorter_forms("sr-Cyrl-RS") == ["sr-Cyrl-RS", "sr-Cyrl", "sr"]
    assert shorter_forms("en-US-x-easy") == ["en-US-x-easy", "en-US", "en"]
    assert fallback_chain(["de-AT", "fr"], "en") == ["de-AT", "de", "fr", "en"]
    assert fallback_chain([], "lv") == ["lv"]
    assert fallback_chain(["de"], "de") == ["de"]


def test_accept_language_is_read_by_quality_and_never_refused() -> None:
    assert accept_language("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5") == ["fr-CH", "fr", "en", "de"]
    assert accept_language("lv;q=0.2, sl") == ["sl", "lv"]
    assert accept_language("xx, de;q=0, garbage;;q=1, ;") == []
    assert accept_language(None) == []
    assert len(accept_language(",".join(["de"] * 1000))) == 1


def _texts(source: str, *rows: tuple[str, bool, str]) -> RecordTexts:
    texts = RecordTexts("en")
    for lang, easy, text in rows:
        texts.rows[("title", "", 0, lang, easy)] = TranslationRow("title", "", 0, lang, easy, text,
                                                                 source_digest(source), "2026-06-01T12:00:00+00:00")
    return texts


def test_localize_follows_the_chain_and_says_where_it_landed() -> None:
    texts = _texts("Crisis", ("de", False, "Krise"), ("de", True, "Krise, einfach"))
    key = TextKey("title")
    at = localize(texts, key, "Crisis", ["de-AT"])
    assert (at.text, at.lang, at.is_fallback, at.is_source) == ("Krise", "de", True, False)
    fr = localize(texts, key, "Crisis", ["fr"])
    assert (fr.text, fr.lang, fr.is_source, fr.is_fallback) == ("Crisis", "en", True, True)
    easy = localize(texts, key, "Crisis", ["de"], easy_read=True)
    assert (easy.text, easy.is_easy_read) == ("Krise, einfach", True)
    stale = localize(texts, key, "Crisis, renamed", ["de"], include_stale=True)
    assert stale.is_stale and stale.text == "Krise"
    safe = localize(texts, key, "Crisis, renamed", ["de"])  # by default a stale translation is not served
    assert (safe.text, safe.is_source, safe.is_stale) == ("Crisis, renamed", True, False)
    none = localize(None, key, "Crisis", [])
    assert (none.text, none.lang, none.requested, none.is_fallback) == ("Crisis", "en", None, False)
