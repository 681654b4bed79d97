"""Translating a record's texts: which texts can be translated, who may, and against which source.

Each kind of record names its translatable texts (``TEXTS``). A text inside a
plan's or protocol's version (its title, purpose, actions and steps) is
translated for one exact version; a workshop's texts have no versions. The
service reads the current source text from the record itself, so the
translation remembers what it translated (``source_digest``) and shows as
stale once the source changes (decision 017).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from citynet.domain.agreement import Agreement, VersionStatus
from citynet.domain.errors import InvalidInput, NotFound, VersionSuperseded
from citynet.domain.language import fallback_chain, language_tag, shorter_forms
from citynet.domain.plan import ActionPlan
from citynet.domain.project import Project
from citynet.domain.protocol import Protocol
from citynet.domain.translation import TextKey, Translations, source_digest
from citynet.domain.workshop import Workshop
from citynet.services import authz
from citynet.services.readmodel.translation_queries import RecordTexts

if TYPE_CHECKING:
    from citynet.services.application import CitynetApplication, Recorded

DEFAULT_SOURCE_LANGUAGE = "en"  # records written before languages were recorded, and records never declared


@dataclass(frozen=True)
class Text:
    """A translatable text of a kind of record."""

    multi_line: bool  # descriptive texts: they may also carry an easy-read variant
    part: str | None = None  # "action" or "step": the text belongs to a part of a version
    versioned: bool = False
    source: Callable[[Any], str] | None = None  # the text, given the record (or the version's content/part)


def _networks_and_cities(record: Any) -> tuple[list[UUID], list[UUID]]:
    """Who works on a workshop, plan or protocol: its organising networks, its partner (and host) cities."""
    cities = list(getattr(record, "partner_city_ids", []))
    host = getattr(record, "host_city_id", None)
    return list(record.network_ids), cities + ([host] if host is not None else [])


def _project_participants(project: Any) -> tuple[list[UUID], list[UUID]]:
    """Who works on a project: its partner networks (directly or through a commission), its partner cities."""
    from citynet.services.projects import project_network_ids

    cities = [p.party.id for p in project.partnerships if p.party.kind.value == "city"]
    return sorted(project_network_ids(project), key=str), cities


@dataclass(frozen=True)
class RecordKind:
    name: str  # as stored on the translations' first event
    cls: type
    texts: dict[str, Text]
    participants: Callable[[Any], tuple[list[UUID], list[UUID]]] = _networks_and_cities

    def text(self, field: str) -> Text:
        try:
            return self.texts[field]
        except KeyError:
            raise InvalidInput("field", f"a {self.name} has no translatable text {field!r} "
                                        f"(it has {', '.join(sorted(self.texts))})") from None


WORKSHOP = RecordKind("workshop", Workshop, {
    "title": Text(False, source=lambda w: w.title),
    "topic": Text(False, source=lambda w: w.topic),
    "description": Text(True, source=lambda w: w.description),
    "outcomeSummary": Text(True, source=lambda w: getattr(w, "outcome_summary", "") or ""),
})
PLAN = RecordKind("plan", ActionPlan, {
    "title": Text(False, versioned=True, source=lambda c: c["title"]),
    "purpose": Text(True, versioned=True, source=lambda c: c.get("purpose", "")),
    "actionTitle": Text(False, part="action", versioned=True, source=lambda a: a["title"]),
    "actionDescription": Text(True, part="action", versioned=True, source=lambda a: a.get("description", "")),
})
PROTOCOL = RecordKind("protocol", Protocol, {
    "title": Text(False, versioned=True, source=lambda c: c["title"]),
    "stepInstruction": Text(True, part="step", versioned=True, source=lambda s: s["instruction"]),
})
PROJECT = RecordKind("project", Project, {
    "name": Text(False, source=lambda p: p.name),
    "objectives": Text(True, source=lambda p: p.objectives),
}, _project_participants)
KINDS: dict[str, RecordKind] = {k.name: k for k in (WORKSHOP, PLAN, PROTOCOL, PROJECT)}


def kind_of(name: str) -> RecordKind:
    try:
        return KINDS[name]
    except KeyError:
        raise InvalidInput("recordId", f"a {name} has no translatable texts") from None


def _parts(kind: RecordKind, content: dict[str, Any]) -> dict[str, dict[str, Any]]:
    if kind is PLAN:
        return dict(content.get("actions", {}))
    return {s["id"]: s for s in content.get("steps", [])}


def source_text(kind: RecordKind, record: Any, key: TextKey, *, for_new_translation: bool) -> str:
    """The source text ``key`` names; NotFound/VersionSuperseded/InvalidInput when there is none."""
    text = kind.text(key.field)
    if not text.versioned:
        if key.version is not None:
            raise InvalidInput("version", f"a {kind.name}'s texts have no versions")
        if key.part_id is not None:
            raise InvalidInput("partId", f"{key.field} is a text of the {kind.name} itself")
        return text.source(record)  # type: ignore[misc]
    agreement: Agreement = record
    if key.version is None:
        raise InvalidInput("version", f"a {kind.name}'s texts belong to a version: name it")
    version = agreement.versions.get(key.version)
    if version is None:
        raise NotFound("Version", str(key.version), "version")
    in_force = agreement.adopted
    current = {agreement.latest.number, in_force.number if in_force else 0}
    if for_new_translation and (version.status == VersionStatus.SUPERSEDED or version.number not in current):
        # Translate what readers get: the latest version, or the version in force (decision 017).
        raise VersionSuperseded(key.version, agreement.latest.number,
                                f"version {key.version} is superseded by version {agreement.latest.number}: "
                                "translate the current version")
    if text.part is None:
        if key.part_id is not None:
            raise InvalidInput("partId", f"{key.field} is a text of the {kind.name} itself")
        return text.source(version.content)  # type: ignore[misc]
    if key.part_id is None:
        raise InvalidInput("partId", f"{key.field} belongs to a {text.part}: name it")
    part = _parts(kind, version.content).get(key.part_id)
    if part is None:
        raise NotFound(text.part.capitalize(), key.part_id, "partId")
    return text.source(part)  # type: ignore[misc]


def _takes_part(kind: RecordKind, record: Any) -> bool:
    networks, cities = kind.participants(record)
    return authz.is_admin() or authz.takes_part(networks, cities)


class TranslationCommands:
    """``self`` is the CitynetApplication."""

    def _translations(self: CitynetApplication, record_id: UUID) -> Translations | None:
        try:
            found = self.repository.get(Translations.create_id(record_id))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Translations) else None

    def translate_text(
        self: CitynetApplication, *, record_kind: str, record_id: UUID, field: str, lang: str, text: str,
        part_id: UUID | None = None, version: int | None = None, easy_read: bool = False,
    ) -> Recorded:
        """Add or correct a translation. Coordinators of the record's networks and representatives of
        its partner (and host) cities may: those who may work on the record may translate it."""
        from citynet.services.application import Recorded

        authz.require_writer("translation:write")
        kind = kind_of(record_kind)
        spec = kind.text(field)
        record = (self.visible_workshop(record_id, "recordId") if kind is WORKSHOP
                  else self.get(kind.cls, record_id, "recordId"))
        authz.require("translation:write", _takes_part(kind, record))
        key = TextKey(field, str(part_id) if part_id else None, version)
        source = source_text(kind, record, key, for_new_translation=True)
        if not source:
            raise InvalidInput("field", f"the {kind.name} has no {field} to translate yet")
        translations = self._translations(record_id) or Translations.start(
            record_id, kind.name, DEFAULT_SOURCE_LANGUAGE)
        translations.translate(key, lang, text, source, easy_read=easy_read, multi_line=spec.multi_line)
        return Recorded(record_id, self._save(translations))

    def declare_source_language(self: CitynetApplication, *, record_kind: str, record_id: UUID,
                                lang: str) -> Recorded:
        """The language a record's texts are written in. Its managers (coordinators) may say."""
        from citynet.services.application import Recorded

        authz.require_writer("translation:source")
        kind = kind_of(record_kind)
        record = self.get(kind.cls, record_id, "recordId")
        authz.require_manager("translation:source", kind.participants(record)[0])
        lang = language_tag("lang", lang)
        translations = self._translations(record_id)
        if translations is None:
            translations = Translations.start(record_id, kind.name, lang)
        else:
            translations.declare_source_language(lang)
            if not translations.pending_events:  # already so: nothing to store, the answer is the same
                return Recorded(record_id, self.recorder.max_notification_id() or 0)
        return Recorded(record_id, self._save(translations))


# -- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Localized:
    """A text as one reader gets it, saying which language it is actually in."""

    text: str
    lang: str
    source_language: str
    requested: str | None  # the reader's first choice, if any
    is_source: bool  # the text as written, not a translation
    is_easy_read: bool
    is_stale: bool  # translated from a source text that has changed since
    translated_at: str | None = None

    @property
    def is_fallback(self) -> bool:
        """The reader did not get exactly the language they asked for first (``de`` for ``de-AT`` too)."""
        return self.requested is not None and self.lang != self.requested


def languages_to_load(requested: list[str]) -> tuple[str, ...]:
    """The translations a reader can be served: each requested tag and its shorter forms (the source
    language's text is the record's own; easy-read variants, few, are loaded in every language)."""
    return tuple(form for tag in requested for form in shorter_forms(tag))


def localize(texts: RecordTexts | None, key: TextKey, source: str, requested: list[str],
             easy_read: bool = False, include_stale: bool = False) -> Localized:
    """The best text for a reader (decision 017): each requested language and its shorter forms, then the
    source language; within a language its easy-read variant first when the reader asks for one. A stale
    translation (its source changed since) is skipped unless asked for: a crisis protocol's step must not
    say in German what the English no longer says."""
    source_language = (texts.source_language if texts else None) or DEFAULT_SOURCE_LANGUAGE
    first = requested[0] if requested else None
    rows = texts.rows if texts else {}
    part, version = key.part_id or "", key.version or 0
    for lang in fallback_chain(requested, source_language):
        for variant in ((True, False) if easy_read else (False,)):
            row = rows.get((key.field, part, version, lang, variant))
            if row is None:
                continue
            stale = row.source_digest != source_digest(source)
            if not stale or include_stale:
                return Localized(row.text, lang, source_language, first, False, variant, stale, row.translated_at)
        if lang == source_language:
            return Localized(source, lang, source_language, first, True, False, False)
    raise AssertionError("the fallback chain always ends with the source language")  # pragma: no cover


def project_sources(row: Any) -> list[tuple[TextKey, str]]:
    return [(TextKey("name"), row.name), (TextKey("objectives"), row.objectives)]


def workshop_sources(row: Any) -> list[tuple[TextKey, str]]:
    """A workshop's translatable texts as the read model has them now."""
    return [(TextKey("title"), row.title), (TextKey("topic"), row.topic), (TextKey("description"), row.description),
            (TextKey("outcomeSummary"), row.outcome_summary or "")]


def agreement_sources(kind: str, version: int, content: dict[str, Any]) -> list[tuple[TextKey, str]]:
    """A plan's or protocol's translatable texts in one version, parts in their order."""
    texts = [(TextKey("title", None, version), content["title"])]
    if kind == PLAN.name:
        texts.append((TextKey("purpose", None, version), content.get("purpose", "")))
        for action_id, a in sorted(content.get("actions", {}).items(), key=lambda kv: (kv[1]["due_on"], kv[1]["title"])):
            texts.append((TextKey("actionTitle", action_id, version), a["title"]))
            texts.append((TextKey("actionDescription", action_id, version), a.get("description", "")))
    else:
        for step in content.get("steps", []):
            texts.append((TextKey("stepInstruction", step["id"], version), step["instruction"]))
    return [(key, text) for key, text in texts if text]


@dataclass(frozen=True)
class Coverage:
    key: TextKey
    source: str
    state: str  # missing, stale, current
    translation: str | None


def coverage(texts: RecordTexts | None, sources: list[tuple[TextKey, str]], lang: str) -> list[Coverage]:
    """Each text and its translation into exactly ``lang`` (the easy-read variants are extras, not counted)."""
    lang = language_tag("lang", lang)
    source_language = (texts.source_language if texts else None) or DEFAULT_SOURCE_LANGUAGE
    rows = texts.rows if texts else {}
    out = []
    for key, source in sources:
        if lang == source_language:
            out.append(Coverage(key, source, "current", source))
            continue
        row = rows.get((key.field, key.part_id or "", key.version or 0, lang, False))
        if row is None:
            out.append(Coverage(key, source, "missing", None))
        else:
            state = "stale" if row.source_digest != source_digest(source) else "current"
            out.append(Coverage(key, source, state, row.text))
    return out
