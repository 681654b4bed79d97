"""Texts in the reader's language: the `lang` argument, `Accept-Language`, translations and coverage.

Every translatable text field takes an optional ``lang`` (a BCP 47 tag); without
it the request's ``Accept-Language`` decides; without either the text is
served as written. ``texts`` on each translatable type says, per text, which
language the reader actually gets and why (decision 017).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import strawberry

from citynet.domain.errors import NotFound
from citynet.domain.language import language_tag
from citynet.domain.translation import TextKey
from citynet.graphql.context import Info
from citynet.graphql.ids import to_global_id
from citynet.services import translations as service

LANG_DESCRIPTION = ("A BCP 47 language tag (de, de-AT, lv, sl, fr, ...). Without it the request's Accept-Language "
                    "header decides; the text falls back to the tag's base language, then to the source language.")
LANG = strawberry.argument(description=LANG_DESCRIPTION)


@strawberry.enum(description="A text of a record that can be translated.")
class TranslatableText(enum.Enum):
    TITLE = "title"
    TOPIC = "topic"
    DESCRIPTION = "description"
    OUTCOME_SUMMARY = "outcomeSummary"
    PURPOSE = "purpose"
    ACTION_TITLE = "actionTitle"
    ACTION_DESCRIPTION = "actionDescription"
    STEP_INSTRUCTION = "stepInstruction"
    NAME = "name"
    OBJECTIVES = "objectives"


@strawberry.type(description="A text as this reader gets it, and in which language it actually is.")
class TranslatedText:
    field: TranslatableText
    text: str
    lang: str = strawberry.field(description="The language the text is in.")
    source_language: str = strawberry.field(description="The language the record is written in.")
    requested_lang: str | None = strawberry.field(description="The language asked for first (argument or header).")
    is_fallback: bool = strawberry.field(description="True when `lang` is not exactly the language asked for.")
    is_source: bool = strawberry.field(description="The text as written, not a translation.")
    is_easy_read: bool = strawberry.field(description="The plain-language (easy-read) variant.")
    is_stale: bool = strawberry.field(
        description="Translated from a source text that has changed since: it may no longer say the same. "
                    "Stale translations are served only to `texts(includeStale: true)`; otherwise the next "
                    "language of the fallback chain is.")
    translated_at: datetime | None

    @classmethod
    def of(cls, field: str, found: service.Localized) -> TranslatedText:
        return cls(field=TranslatableText(field), text=found.text, lang=found.lang,
                   source_language=found.source_language, requested_lang=found.requested,
                   is_fallback=found.is_fallback, is_source=found.is_source, is_easy_read=found.is_easy_read,
                   is_stale=found.is_stale,
                   translated_at=datetime.fromisoformat(found.translated_at) if found.translated_at else None)


def requested(info: Info, lang: str | None) -> list[str]:
    """The reader's languages, best first: the argument, else the Accept-Language header."""
    if lang is not None:
        return [language_tag("lang", lang)]
    return list(info.context.languages)


async def localized(info: Info, record_id: str, key: TextKey, source: str, lang: str | None,
                    easy_read: bool = False) -> service.Localized | None:
    """None when nothing was asked for: the caller serves the source as it is, with no query."""
    wanted = requested(info, lang)
    if not wanted and not easy_read:
        return None
    texts = await info.context.load.texts.load((record_id, service.languages_to_load(wanted)))
    return service.localize(texts, key, source, wanted, easy_read)


async def text_in(info: Info, record_id: str, key: TextKey, source: str, lang: str | None) -> str:
    found = await localized(info, record_id, key, source, lang)
    return source if found is None else found.text


async def all_texts(info: Info, record_id: str, sources: list[tuple[TextKey, str]], lang: str | None,
                    easy_read: bool, include_stale: bool = False) -> list[TranslatedText]:
    wanted = requested(info, lang)
    texts = await info.context.load.texts.load((record_id, service.languages_to_load(wanted)))
    return [TranslatedText.of(key.field, service.localize(texts, key, source, wanted, easy_read,
                                                                   include_stale))
            for key, source in sources if source]


# -- coverage --------------------------------------------------------------------------------


@strawberry.enum(description="Whether a text has a translation into a language, and whether it is current.")
class CoverageState(enum.Enum):
    MISSING = "missing"
    STALE = "stale"
    CURRENT = "current"


@strawberry.type(description="One text of a record and its translation into the language asked about.")
class TextCoverage:
    field: TranslatableText
    part_id: strawberry.ID | None = strawberry.field(description="The Action or ProtocolStep the text belongs to.")
    version: int | None
    state: CoverageState
    source_text: str
    translation: str | None


@strawberry.type
class TranslationQuery:
    @strawberry.field(description="Which texts of a workshop, project, plan or protocol (its current version) lack a "
                                  "translation into `lang`, and which went stale because the source changed "
                                  "after they were translated.")
    async def translation_coverage(self, info: Info, record_id: strawberry.ID, lang: str) -> list[TextCoverage]:
        from citynet.graphql.translation_mutations import record_of  # the id rules live with the mutations

        kind, uuid = record_of(record_id)
        rid = str(uuid)
        if kind == "workshop":
            row = await info.context.load.workshops.workshop.load(rid)
            if row is None:
                raise NotFound("Workshop", record_id, "recordId")
            sources = service.workshop_sources(row)
        elif kind == "project":
            project = await info.context.load.projects.project.load(rid)
            if project is None:
                raise NotFound("Project", record_id, "recordId")
            sources = service.project_sources(project)
        else:
            versions = await info.context.load.agreements.versions.load(rid)
            if not versions:
                raise NotFound("ActionPlan" if kind == "plan" else "Protocol", record_id, "recordId")
            latest = versions[-1]
            sources = service.agreement_sources(kind, latest.version, latest.content)
        texts = await info.context.load.texts.load((rid, (language_tag("lang", lang),)))
        part_type = "Action" if kind == "plan" else "ProtocolStep"
        return [TextCoverage(field=TranslatableText(c.key.field),
                             part_id=to_global_id(part_type, rid, c.key.part_id) if c.key.part_id else None,
                             version=c.key.version, state=CoverageState(c.state), source_text=c.source,
                             translation=c.translation)
                for c in service.coverage(texts, sources, lang)]


@dataclass(eq=False, frozen=True)
class TextSource:
    """Where a GraphQL object's translatable texts come from: the record, the part and version, the values."""

    record_id: str
    part_id: str | None
    version: int | None
    values: dict[str, Any]

    def key(self, field: str) -> TextKey:
        return TextKey(field, self.part_id, self.version)

    async def text(self, info: Info, field: str, attribute: str, lang: str | None) -> str:
        return await text_in(info, self.record_id, self.key(field), self.values.get(attribute) or "", lang)

    async def all(self, info: Info, fields: list[tuple[str, str]], lang: str | None,
                  easy_read: bool, include_stale: bool = False) -> list[TranslatedText]:
        sources = [(self.key(field), self.values.get(attribute) or "") for field, attribute in fields]
        return await all_texts(info, self.record_id, sources, lang, easy_read, include_stale)
