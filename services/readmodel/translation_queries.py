"""Read queries on translations: each record's source language and its translated texts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select

from citynet.services.readmodel.translation_projection import translation_records, translations

TextIndex = tuple[str, str, int, str, bool]  # field, part id ('' none), version (0 none), lang, easy read


@dataclass(frozen=True)
class TranslationRow:
    field: str
    part_id: str
    version: int
    lang: str
    easy_read: bool
    text: str
    source_digest: str
    translated_at: str


@dataclass
class RecordTexts:
    """What the read model knows of one record's languages (``source_language`` None: never declared)."""

    source_language: str | None = None
    rows: dict[TextIndex, TranslationRow] = field(default_factory=dict)


_RECORDS = select(translation_records.c.record_id, translation_records.c.source_language).where(
    translation_records.c.record_id.in_(bindparam("ids", expanding=True)))
_TEXTS = select(translations).where(translations.c.record_id.in_(bindparam("ids", expanding=True)))


class TranslationQueries:
    """Mixed into ReadModel (``self._all``)."""

    _all: Any

    async def texts_by_record(self, record_ids: Iterable[str]) -> dict[str, RecordTexts]:
        ids = list(record_ids)
        found: dict[str, RecordTexts] = {i: RecordTexts() for i in ids}
        for r in await self._all(_RECORDS, {"ids": ids}):
            found[r.record_id].source_language = r.source_language
        for r in await self._all(_TEXTS, {"ids": ids}):
            row = TranslationRow(r.field, r.part_id, r.version, r.lang, bool(r.easy_read), r.text, r.source_digest,
                                 r.translated_at)
            found[r.record_id].rows[(r.field, r.part_id, r.version, r.lang, row.easy_read)] = row
        return found
