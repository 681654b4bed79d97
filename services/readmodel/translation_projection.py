"""The translations projection: each record's source language and its texts in other languages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, Column, Integer, String, Table, Text
from sqlalchemy.engine import Connection

from citynet.domain.translation import Translations
from citynet.services.projections.batch import Batch
from citynet.services.projections.runner import Item
from citynet.services.readmodel.tables import metadata
from citynet.services.readmodel.topics import topics_of
from citynet.services.readmodel.workshop_projection import iso_utc

translation_records = Table(
    "rm_translation_records",
    metadata,
    Column("record_id", String(36), primary_key=True),
    Column("record_kind", String(40), nullable=False),
    Column("source_language", String(35), nullable=False),
)

# part_id '' and version 0 stand for "none": primary-key columns cannot be NULL.
translations = Table(
    "rm_translations",
    metadata,
    Column("record_id", String(36), primary_key=True),
    Column("field", String(40), primary_key=True),
    Column("part_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("lang", String(35), primary_key=True),
    Column("easy_read", Boolean, primary_key=True),
    Column("text", Text, nullable=False),
    Column("source_digest", String(16), nullable=False),
    Column("translated_at", String(40), nullable=False),
    Column("position", Integer, nullable=False),
)


def _started(b: Batch, e: Any, position: int) -> None:
    b[translation_records].put(dict(record_id=str(e.record_id), record_kind=e.record_kind,
                                    source_language=e.source_language))


def _declared(b: Batch, e: Any, position: int) -> None:
    b[translation_records].update((str(e.record_id),), source_language=e.lang)


def _translated(b: Batch, e: Any, position: int) -> None:
    b[translations].put(dict(
        record_id=str(e.record_id), field=e.field, part_id=e.part_id or "", version=e.version or 0, lang=e.lang,
        easy_read=bool(e.easy_read), text=e.text, source_digest=e.source_digest,
        translated_at=iso_utc(e.timestamp), position=position))


class TranslationProjection:
    name = "translations"
    raw = False
    tables = (translation_records, translations)
    handlers = {
        Translations.Started: _started,
        Translations.SourceLanguageDeclared: _declared,
        Translations.TextTranslated: _translated,
    }
    topics = topics_of(handlers)

    def prepare(self, conn: Connection, b: Batch, items: Sequence[Item]) -> None:
        """Rows a batch replaces or updates are loaded first, so the flush deletes the stored ones."""
        texts, records = set(), set()
        for item in items:
            e = item.event
            if isinstance(e, Translations.TextTranslated):
                texts.add((str(e.record_id), e.field, e.part_id or "", e.version or 0, e.lang, bool(e.easy_read)))
            elif isinstance(e, Translations.SourceLanguageDeclared):
                records.add((str(e.record_id),))
        b[translations].load(conn, texts)
        b[translation_records].load(conn, records)

    def apply(self, b: Batch, item: Item) -> None:
        handler = self.handlers.get(type(item.event))
        if handler is not None:
            handler(b, item.event, item.position)
