"""Random translation sequences against the Translations aggregate (hypothesis stateful test)."""

from __future__ import annotations

from uuid import uuid4

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule

from citynet.domain.language import language_tag
from citynet.domain.translation import TextKey, Translations
from tests.unit.test_state_machines import FAST, AggregateMachine

TAGS = ["de", "DE-at", "de-AT", "lv", "sl", "en", "fr", "xx", "de_AT", "", "i-klingon", "x-private", "und"]
TEXTS = ["Titel", "  Titel  ", "", " ", "Zeile\nzwei", "nul\x00", "Liepa\u0304ja", "x" * 10_001]
KEYS = [TextKey("title"), TextKey("description"), TextKey("stepInstruction", "s1", 1),
        TextKey("stepInstruction", "s1", 2)]


class TranslationMachine(AggregateMachine):
    @initialize(source=st.sampled_from(["en", "de", "lv"]))
    def start(self, source: str) -> None:
        self.setup(Translations.start(uuid4(), "protocol", source))

    @rule(key=st.sampled_from(KEYS), lang=st.sampled_from(TAGS), text=st.sampled_from(TEXTS),
          source=st.sampled_from(["Source text", "Changed source"]), easy=st.booleans(), multi=st.booleans())
    def translate(self, key: TextKey, lang: str, text: str, source: str, easy: bool, multi: bool) -> None:
        self.attempt(lambda: self.aggregate.translate(key, lang, text, source, easy_read=easy, multi_line=multi))

    @rule(lang=st.sampled_from(TAGS))
    def declare_source(self, lang: str) -> None:
        self.attempt(lambda: self.aggregate.declare_source_language(lang))

    @invariant()
    def stored_languages_are_canonical_and_never_the_source_unless_easy_read(self) -> None:
        t: Translations = self.aggregate
        assert t.source_language == language_tag("x", t.source_language)
        for (_, lang, easy) in t.texts:
            assert lang == language_tag("x", lang)
            assert easy or lang != t.source_language

    @invariant()
    def every_stored_text_is_clean(self) -> None:
        for e in self.events:
            text = getattr(e, "text", None)
            if text is not None:
                assert text and text == text.strip() and "\x00" not in text and len(text) <= 10_000


TestTranslationMachine = TranslationMachine.TestCase
TestTranslationMachine.settings = FAST
