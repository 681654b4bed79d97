"""Commands on the languages of records' texts (decision 017)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from citynet.domain.errors import NotFound, VersionSuperseded
from citynet.services.commands.base import Command, handles
from citynet.services.errors import Conflict

if TYPE_CHECKING:
    from citynet.services.application import Recorded
    from citynet.services.runtime import Citynet


@dataclass(frozen=True)
class TranslateText(Command):
    raises = (NotFound, VersionSuperseded, Conflict)
    record_kind: str
    record_id: UUID
    field: str
    lang: str
    text: str
    part_id: UUID | None = None
    version: int | None = None
    easy_read: bool = False


@dataclass(frozen=True)
class DeclareSourceLanguage(Command):
    raises = (NotFound, Conflict)
    record_kind: str
    record_id: UUID
    lang: str


@handles(TranslateText)
def translate_text(c: Citynet, cmd: TranslateText) -> Recorded:
    return c.execute(lambda app: app.translate_text(
        record_kind=cmd.record_kind, record_id=cmd.record_id, field=cmd.field, lang=cmd.lang, text=cmd.text,
        part_id=cmd.part_id, version=cmd.version, easy_read=cmd.easy_read))


@handles(DeclareSourceLanguage)
def declare_source_language(c: Citynet, cmd: DeclareSourceLanguage) -> Recorded:
    return c.execute(lambda app: app.declare_source_language(
        record_kind=cmd.record_kind, record_id=cmd.record_id, lang=cmd.lang))
