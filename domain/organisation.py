"""An organisation: a party that is neither a city nor a network citynet manages.

Projects, plans and declarations name associations (the National Association of
Piedmont Region Communes), expert groups (PACTESUR's expert committee of about
fifteen members, "law experts"), research and industry groups ("IA experts and
industry"), agencies and public bodies as partners, responsible or supporting
parties and signatories. Each has a kind from a closed set, an optional country
(international bodies have none) and a description.

Names are unique per country (or among international organisations), accents
and case folded, as for cities (decision 010): an ``OrganisationName`` claim is
saved atomically with the organisation, so a second "Law Experts" is refused
naming the first, even in a race.
"""

from __future__ import annotations

import enum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from citynet.domain.values import clean_country_code, clean_enum, clean_name, clean_note, fold_accents

ORGANISATION_NAMESPACE = UUID("3c5e9a71-8b2d-4f60-a1c4-7e0d9b6f2a58")
ORGANISATION_NAME_NAMESPACE = UUID("d94b1e20-6a7c-4c3f-8e15-2b7a0c9d4f61")


class OrganisationKind(str, enum.Enum):
    """What an organisation is (closed set; decision 016)."""

    ASSOCIATION = "association"  # associations of local authorities or of citizens (ANCI Piemonte's kind)
    AGENCY = "agency"  # operational agencies (civil protection, police, fire services as bodies)
    RESEARCH = "research"  # universities, institutes
    INDUSTRY = "industry"  # companies and industry groups
    EXPERT_GROUP = "expert_group"  # committees and groups of experts ("law experts", PACTESUR's committee)
    PUBLIC_BODY = "public_body"  # governments, EU institutions, regions
    NETWORK = "network"  # a network whose membership citynet does not record (the Euromed network)


def organisation_key(name: str, country_code: str | None) -> str:
    """Country (or ``*`` for an international organisation) and the accent- and case-folded name."""
    return f"{(country_code or '*').upper()}/{fold_accents(' '.join(name.split()))}"


def organisation_id_for(name: str, country_code: str | None = None) -> UUID:
    return uuid5(ORGANISATION_NAMESPACE, organisation_key(name, country_code))


def organisation_name_id(name: str, country_code: str | None = None) -> UUID:
    return uuid5(ORGANISATION_NAME_NAMESPACE, organisation_key(name, country_code))


class Organisation(Aggregate):
    @staticmethod
    def create_id(name: str, kind: str, country_code: str | None, description: str) -> UUID:
        return organisation_id_for(name, country_code)

    @event("Registered")
    def __init__(self, name: str, kind: str, country_code: str | None, description: str) -> None:
        self.name = name
        self.kind = OrganisationKind(kind)
        self.country_code = country_code
        self.description = description

    @classmethod
    def register(cls, name: str, kind: OrganisationKind | str, country_code: str | None = None,
                 description: str = "") -> Organisation:
        kind = clean_enum(OrganisationKind, "kind", kind)
        country = clean_country_code("countryCode", country_code) if country_code else None
        return cls(name=clean_name("name", name), kind=kind.value, country_code=country,
                   description=clean_note("description", description))


class OrganisationName(Aggregate):
    """Claims an organisation's name within its country (or among international ones)."""

    @staticmethod
    def create_id(key: str, organisation_id: UUID) -> UUID:
        return uuid5(ORGANISATION_NAME_NAMESPACE, key)

    @event("Claimed")
    def __init__(self, key: str, organisation_id: UUID) -> None:
        self.key = key
        self.organisation_id = organisation_id

    @classmethod
    def for_organisation(cls, organisation: Organisation) -> OrganisationName:
        return cls(key=organisation_key(organisation.name, organisation.country_code),
                   organisation_id=organisation.id)
