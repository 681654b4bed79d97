"""Declarations: agreements whose endorsements are signatures.

The Declaration of Nice (adopted in September 2017 by Efus and the Euromed
network and 60 mayors from 18 countries, co-signed by the city of Nice) is the
model. A declaration is the same versioned agreement as a plan or protocol
(domain/agreement.py): its text is the content, its partners are its
signatories (cities, networks, commissions, organisations), and each
signatory's endorsement is its signature. It is adopted when every named
signatory has signed (or the quorum).

Signatories the sources count but do not name ("60 mayors from 18 countries")
are recorded as stated, as a count with a description, never as invented
names: ``further_signatories`` and ``further_signatories_note``.
The month of adoption is kept as the sources give it (``adopted_in``, YYYY-MM):
an effective date, told apart from when citynet recorded the signatures.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from citynet.domain.agreement import Agreement, check_quorum, clean_partner_parties
from citynet.domain.errors import InvalidInput
from citynet.domain.values import clean_name, clean_note

YEAR_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class Declaration(Agreement):
    class Drafted(Aggregate.Created):
        title: str
        text: str
        network_ids: list[UUID]
        partner_city_ids: list[UUID]
        partner_parties: list[str]
        adopted_in: str | None
        further_signatories: int
        further_signatories_note: str
        quorum: int | None

    @event(Drafted)
    def __init__(self, id: UUID, title: str, text: str, network_ids: list[UUID], partner_city_ids: list[UUID],
                 partner_parties: list[str], adopted_in: str | None, further_signatories: int,
                 further_signatories_note: str, quorum: int | None) -> None:
        self.network_ids = list(network_ids)
        self.partner_city_ids = list(partner_city_ids)
        self.partner_parties = list(partner_parties)
        self.adopted_in = adopted_in
        self.further_signatories = further_signatories
        self.further_signatories_note = further_signatories_note
        self.quorum = quorum
        # What is signed: the text, and the signatories the sources count without naming.
        self._init_versions({"title": title, "text": text, "adopted_in": adopted_in,
                             "further_signatories": further_signatories,
                             "further_signatories_note": further_signatories_note})

    @classmethod
    def draft(cls, *, title: str, text: str = "", network_ids: list[UUID], partner_city_ids: list[UUID],
              partner_parties: list[str] | None = None, adopted_in: str | None = None,
              further_signatories: int = 0, further_signatories_note: str = "", quorum: int | None = None,
              declaration_id: UUID | None = None) -> Declaration:
        if not network_ids:
            raise InvalidInput("networkIds", "name at least one owning network")
        cities = list(dict.fromkeys(partner_city_ids))
        others = clean_partner_parties(partner_parties, "signatoryPartyIds")
        if not cities and not others:
            raise InvalidInput("signatoryPartyIds", "name at least one signatory")
        if adopted_in is not None and not YEAR_MONTH.match(adopted_in):
            raise InvalidInput("adoptedIn", f"{adopted_in!r} is not a month (YYYY-MM)")
        if not 0 <= further_signatories <= 100_000:
            raise InvalidInput("furtherSignatories", "must be between 0 and 100000")
        note = clean_name("furtherSignatoriesNote", further_signatories_note) if further_signatories else \
            clean_note("furtherSignatoriesNote", further_signatories_note, 500)
        return cls(id=declaration_id or uuid4(), title=clean_name("title", title), text=clean_note("text", text),
                   network_ids=list(dict.fromkeys(network_ids)), partner_city_ids=cities, partner_parties=others,
                   adopted_in=adopted_in, further_signatories=further_signatories,
                   further_signatories_note=note, quorum=check_quorum(quorum, len(cities) + len(others)))

    def _check_ready(self, content: dict[str, Any]) -> None:
        if not content["title"]:  # pragma: no cover - a title is required when drafting
            raise InvalidInput("version", "a declaration needs a title")
