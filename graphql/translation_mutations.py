"""Mutations on the languages of texts: translateText and declareSourceLanguage (decision 017)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from citynet.domain.errors import InvalidInput as InvalidInputError
from citynet.domain.language import language_tag
from citynet.graphql.command_results import MutationInput, MutationPayload, committed, dispatch, maybe, result_union
from citynet.graphql.context import Info
from citynet.graphql.ids import decode_any
from citynet.graphql.translations import TranslatableText, TranslatedText
from citynet.services import translations as service
from citynet.services.commands import translations as commands
from citynet.services.commands.bus import Outcome



RECORD_TYPES = {"Workshop": "workshop", "ActionPlan": "plan", "Protocol": "protocol", "Project": "project"}
PART_TYPES = {"plan": "Action", "protocol": "ProtocolStep"}


def record_of(value: str, field: str = "recordId") -> tuple[str, UUID]:
    decoded = decode_any(str(value))
    if decoded is None or decoded[0] not in RECORD_TYPES or len(decoded[1]) != 1:
        raise InvalidInputError(field, f"{value!r} is not the id of a record with translatable texts "
                                       f"({', '.join(RECORD_TYPES)})")
    return RECORD_TYPES[decoded[0]], UUID(decoded[1][0])


def part_of(kind: str, record_id: UUID, value: str | None) -> UUID | None:
    if value is None:
        return None
    decoded = decode_any(str(value))
    if (decoded is None or kind not in PART_TYPES or decoded[0] != PART_TYPES[kind] or len(decoded[1]) != 2
            or UUID(decoded[1][0]) != record_id):
        raise InvalidInputError("partId", f"{value!r} is not an {PART_TYPES.get(kind, 'part')} id of this record")
    return UUID(decoded[1][1])


@strawberry.input
class TranslateTextInput(MutationInput):
    record_id: strawberry.ID = strawberry.field(description="A Workshop, Project, ActionPlan or Protocol id.")
    field: TranslatableText
    lang: str = strawberry.field(description="BCP 47 tag of the translation's language.")
    text: str
    part_id: strawberry.ID | None = strawberry.field(
        default=None, description="For an action's or a step's text: the Action or ProtocolStep id.")
    version: int | None = strawberry.field(
        default=None, description="For a plan's or protocol's texts: the version translated (translations "
                                  "belong to one exact version, as endorsements do).")
    easy_read: bool = strawberry.field(
        default=False, description="The plain-language (easy-read) variant, in `lang` (the source language too).")


@strawberry.input
class DeclareSourceLanguageInput(MutationInput):
    record_id: strawberry.ID
    lang: str


@strawberry.type(description="`id` is the record's; `translation` the text as now stored.")
class TranslateTextPayload(MutationPayload):
    translation: TranslatedText | None


@strawberry.type(description="`id` is the record's.")
class DeclareSourceLanguagePayload(MutationPayload):
    source_language: str


TranslateTextResult = result_union("TranslateTextResult", TranslateTextPayload, commands.TranslateText)
DeclareSourceLanguageResult = result_union(
    "DeclareSourceLanguageResult", DeclareSourceLanguagePayload, commands.DeclareSourceLanguage)


@strawberry.type
class TranslationMutations:
    @strawberry.mutation(description="Add or correct the translation of one text of a workshop, project, plan or protocol. "
                                     "Coordinators of its networks and representatives of its partner cities may.")
    async def translate_text(self, info: Info, input: TranslateTextInput) -> TranslateTextResult:  # type: ignore[valid-type]
        state: dict[str, commands.TranslateText] = {}

        def make() -> commands.TranslateText:
            kind, record_id = record_of(input.record_id)
            state["cmd"] = commands.TranslateText(
                record_kind=kind, record_id=record_id, field=input.field.value, lang=input.lang, text=input.text,
                part_id=part_of(kind, record_id, input.part_id), version=input.version, easy_read=input.easy_read)
            return state["cmd"]

        async def answer(o: Outcome) -> TranslateTextPayload:
            cmd = state["cmd"]
            lang = language_tag("lang", cmd.lang)
            texts = await maybe(info.context.load.texts.load((str(cmd.record_id), (lang,))))
            row = texts.rows.get((cmd.field, str(cmd.part_id) if cmd.part_id else "", cmd.version or 0, lang,
                                  cmd.easy_read)) if texts else None
            translation = None
            if row is not None and texts is not None:
                translation = TranslatedText(
                    field=input.field, text=row.text, lang=row.lang,
                    source_language=texts.source_language or service.DEFAULT_SOURCE_LANGUAGE,
                    requested_lang=lang, is_fallback=False, is_source=False, is_easy_read=row.easy_read,
                    is_stale=False, translated_at=datetime.fromisoformat(row.translated_at))
            return TranslateTextPayload(**committed(o, input, input.record_id), translation=translation)

        return await dispatch(info, input, make, answer)

    @strawberry.mutation(description="Say which language a record's texts are written in (default: en). "
                                     "Coordinators of its networks may.")
    async def declare_source_language(self, info: Info, input: DeclareSourceLanguageInput) -> DeclareSourceLanguageResult:  # type: ignore[valid-type]
        def make() -> commands.DeclareSourceLanguage:
            kind, record_id = record_of(input.record_id)
            return commands.DeclareSourceLanguage(record_kind=kind, record_id=record_id, lang=input.lang)

        async def answer(o: Outcome) -> DeclareSourceLanguagePayload:
            return DeclareSourceLanguagePayload(**committed(o, input, input.record_id),
                                                source_language=language_tag("lang", input.lang))

        return await dispatch(info, input, make, answer)
