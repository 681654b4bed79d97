"""Read queries on translations: each record's source language and its translated texts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, or_, select

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
_TEXTS = select(translations).where(translations.c.record_id.in_(bindparam("ids", expanding=True)),
                                    or_(translations.c.lang.in_(bindparam("langs", expanding=True)),
                                        translations.c.easy_read.is_(True)))

TextsKey = tuple[str, tuple[str, ...]]  # a record id, and the languages a reader may be served


class TranslationQueries:
    """Mixed into ReadModel (``self._all``)."""

    _all: Any

    async def texts_by_record(self, keys: Iterable[TextsKey]) -> dict[TextsKey, RecordTexts]:
        """Each record's source language and its texts in just the languages asked for (a record may hold
        many languages and versions: a reader never loads more than its own)."""
        keys = list(keys)
        ids = sorted({record for record, _ in keys})
        langs = sorted({lang for _, wanted in keys for lang in wanted})
        sources: dict[str, str] = {r.record_id: r.source_language for r in await self._all(_RECORDS, {"ids": ids})}
        rows: dict[str, list[TranslationRow]] = {}
        langs = langs or [""]  # an empty IN list is not valid SQL everywhere
        if keys:
            for r in await self._all(_TEXTS, {"ids": ids, "langs": langs}):
                rows.setdefault(r.record_id, []).append(TranslationRow(
                    r.field, r.part_id, r.version, r.lang, bool(r.easy_read), r.text, r.source_digest,
                    r.translated_at))
        found: dict[TextsKey, RecordTexts] = {}
        for key in keys:
            record, wanted = key
            texts = RecordTexts(sources.get(record))
            for row in rows.get(record, []):
                if row.lang in wanted or row.easy_read:
                    texts.rows[(row.field, row.part_id, row.version, row.lang, row.easy_read)] = row
            found[key] = texts
        return found
