"""The translations of one record's texts: its source language and every text put into another.

One aggregate per record (a workshop, a plan, a protocol, a project), beside
the record rather than inside it: translating never competes with editing
the record for its version, and the record's own events stay as they were.

A text is addressed by a ``TextKey``: the field, the part of the record it
belongs to (an action of a plan, a step of a protocol; none for the record's
own fields) and, for texts inside a plan's or protocol's versions, the
version number (a translation belongs to one exact version, as endorsements
do). Each translation keeps a digest of the source text it was made from, so
a changed source shows the translation as stale instead of silently wrong.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from citynet.domain.errors import InvalidInput
from citynet.domain.language import language_tag
from citynet.domain.values import MAX_NAME_LENGTH, clean_text

TRANSLATIONS_NAMESPACE = UUID("4c1e9f0a-7b2d-4e6a-8f3c-2a9d5b7e1c04")
MAX_TRANSLATION_LENGTH = 10_000


def source_digest(text: str) -> str:
    """What a translation remembers of its source: enough to tell that the source changed."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TextKey:
    field: str
    part_id: str | None = None
    version: int | None = None

    def as_str(self) -> str:
        return f"{self.field}|{self.part_id or ''}|{self.version or ''}"


class Translations(Aggregate):
    """``record_id``'s texts in other languages."""

    @staticmethod
    def create_id(record_id: UUID, record_kind: str = "", source_language: str = "") -> UUID:
        return uuid5(TRANSLATIONS_NAMESPACE, str(record_id))

    @event("Started")
    def __init__(self, record_id: UUID, record_kind: str, source_language: str) -> None:
        self.record_id = record_id
        self.record_kind = record_kind
        self.source_language = source_language
        self.texts: dict[tuple[str, str, bool], str] = {}  # (key, lang, easy read) -> source digest

    @classmethod
    def start(cls, record_id: UUID, record_kind: str, source_language: str) -> Translations:
        return cls(record_id=record_id, record_kind=record_kind,
                   source_language=language_tag("lang", source_language))

    def declare_source_language(self, lang: str) -> None:
        lang = language_tag("lang", lang)
        if lang == self.source_language:
            return
        if any(not easy and (tag == lang or tag.startswith(lang + "-") or lang.startswith(tag + "-"))
               for (_, tag, easy) in self.texts):  # lv-LV as source would hide an lv translation as well
            raise InvalidInput("lang", f"texts are already translated into {lang} (or a form of it)")
        self._source_language_declared(record_id=self.record_id, lang=lang)

    @event("SourceLanguageDeclared")
    def _source_language_declared(self, record_id: UUID, lang: str) -> None:
        self.source_language = lang

    def translate(self, key: TextKey, lang: str, text: str, source_text: str, *, easy_read: bool,
                  multi_line: bool) -> None:
        """Add or correct the text of ``key`` in ``lang`` (its easy-read variant when ``easy_read``)."""
        lang = language_tag("lang", lang)
        if lang == self.source_language and not easy_read:
            raise InvalidInput("lang", f"{lang} is the source language: edit the text itself")
        if easy_read and not multi_line:
            raise InvalidInput("easyRead", f"{key.field} has no easy-read variant (only descriptive texts have)")
        # As long as the source field may be: a title stays a title in every language.
        limit = MAX_TRANSLATION_LENGTH if multi_line else MAX_NAME_LENGTH
        text = clean_text("text", text, multi_line=multi_line, max_length=limit, required=True)
        self._translated(record_id=self.record_id, field=key.field, part_id=key.part_id, version=key.version, lang=lang,
                         easy_read=easy_read, text=text, source_digest=source_digest(source_text))

    @event("TextTranslated")
    def _translated(self, record_id: UUID, field: str, part_id: str | None, version: int | None, lang: str, easy_read: bool,
                    text: str, source_digest: str) -> None:
        self.texts[(TextKey(field, part_id, version).as_str(), lang, easy_read)] = source_digest
