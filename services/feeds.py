"""What a calendar feed holds for a caller: visible workshops, their agendas and when they last changed.

Visibility is the read model's for this caller (VisibleReads, over authz): a
proposal is shown only to those taking part, and a feed of a workshop the caller
may not see does not exist for them (404, not 403: its title is not theirs to
learn, nor is its existence). Meeting links are shown only to those taking part.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from citynet.domain.errors import NotFound
from citynet.domain.translation import Translations
from citynet.services.attribution import Actor
from citynet.services.clock import Clock
from citynet.services.readmodel.feed_queries import last_changes
from citynet.services.readmodel.queries import ReadModel
from citynet.services.readmodel.visibility import VisibleReads
from citynet.services.readmodel.workshop_queries import SessionRow, WorkshopRow
from citynet.services.translations import languages_to_load, localize, workshop_sources


@dataclass(frozen=True)
class Feed:
    name: str
    workshops: list[WorkshopRow]
    sessions: dict[str, list[SessionRow]]
    changed: dict[str, datetime]  # workshop id -> its last change
    last_modified: datetime | None  # of anything the feed shows, its name included
    show_meeting_links: bool = field(default=False)


async def in_languages(reads: ReadModel, rows: list[WorkshopRow], languages: list[str]) -> list[WorkshopRow]:
    """The rows with their texts in the reader's languages (decision 017's fallback chain)."""
    if not languages or not rows:
        return rows
    wanted = languages_to_load(languages)
    texts = await reads.texts_by_record([(w.id, wanted) for w in rows])
    out = []
    for w in rows:
        found = {key.field: localize(texts.get((w.id, wanted)), key, source, languages).text
                 for key, source in workshop_sources(w)}
        out.append(replace(w, title=found.get("title", w.title), topic=found.get("topic", w.topic),
                           description=found.get("description", w.description)))
    return out


async def _feed(reads: ReadModel, actor: Actor, clock: Clock, name: str, owner_id: str | None,
                ids: list[str], languages: list[str]) -> Feed:
    rows = await VisibleReads(reads, actor, clock).workshops_by_id(ids)
    shown = await in_languages(reads, [rows[i] for i in ids if i in rows and rows[i].start_date is not None],
                               languages)
    shown_ids = [w.id for w in shown]
    sessions = await reads.sessions_of_workshops(shown_ids) if shown_ids else {}
    # A feed in a language changes when a translation it shows does: the translations have their own history.
    texts_of = {str(Translations.create_id(UUID(i))): i for i in shown_ids} if languages else {}
    changed = await last_changes(reads.engine, [*shown_ids, *texts_of, *([owner_id] if owner_id else [])])
    for texts_id, workshop in texts_of.items():
        if texts_id in changed:
            at = changed.pop(texts_id)
            changed[workshop] = max(at, changed.get(workshop, at))
    return Feed(name, shown, dict(sessions), {i: changed[i] for i in shown_ids if i in changed},
                max(changed.values(), default=None), show_meeting_links=True)  # hidden rows carry none


async def workshop_feed(reads: ReadModel, actor: Actor, clock: Clock, workshop_id: str,
                        languages: list[str] = []) -> Feed:  # noqa: B006 - never mutated
    row = (await VisibleReads(reads, actor, clock).workshops_by_id([workshop_id])).get(workshop_id)
    if row is None:
        raise NotFound("Workshop", workshop_id)
    (row,) = await in_languages(reads, [row], languages)
    return await _feed(reads, actor, clock, row.title, None, [workshop_id], languages)


async def city_feed(reads: ReadModel, actor: Actor, clock: Clock, city_id: str,
                    languages: list[str] = []) -> Feed:  # noqa: B006 - never mutated
    city = (await reads.cities_by_id([city_id])).get(city_id)
    if city is None:
        raise NotFound("City", city_id)
    ids = await reads.workshop_ids_for_feed(city_id=city_id)
    return await _feed(reads, actor, clock, f"Workshops with {city.name}", city_id, ids, languages)


async def network_feed(reads: ReadModel, actor: Actor, clock: Clock, network_id: str,
                       languages: list[str] = []) -> Feed:  # noqa: B006 - never mutated
    network = (await reads.networks_by_id([network_id])).get(network_id)
    if network is None:
        raise NotFound("Network", network_id)
    ids = await reads.workshop_ids_for_feed(network_id=network_id)
    return await _feed(reads, actor, clock, f"{network.short_name} workshops", network_id, ids, languages)
