"""Demo organisations from the seed documents (shared/seeds).

Every name and fact here is from the seeds; the descriptions say where each
comes from. Members of the groups (PACTESUR's expert committee, the law
experts, the AI experts and industry) are not named in the seeds and are not
invented. Loading is idempotent: ids are derived from the names.
"""

from __future__ import annotations

from uuid import UUID

from citynet.domain.organisation import Organisation, OrganisationKind, OrganisationName, organisation_id_for
from citynet.services.runtime import Citynet

ANCI_PIEMONTE = "National Association of Piedmont Region Communes"
PACTESUR_EXPERTS = "PACTESUR expert committee"
AI_EXPERTS_AND_INDUSTRY = "IA experts and industry"
LAW_EXPERTS = "Law experts"
EUROMED = "Euromed network"

# (name, kind, country or None, description)
ORGANISATIONS: list[tuple[str, OrganisationKind, str | None, str]] = [
    (ANCI_PIEMONTE, OrganisationKind.ASSOCIATION, "IT",
     "Association of the communes of the Piedmont region (Italy); a partner of PACTESUR with Nice, Liège, "
     "Turin and Efus (seed: PACTESUR)."),
    (PACTESUR_EXPERTS, OrganisationKind.EXPERT_GROUP, None,
     "The expert committee of PACTESUR, about 15 members, supporting local practices and experiences; "
     "specialised in urban planning, crisis communication and crime prevention among other domains "
     "(seed: PACTESUR). Its members are not named in the seeds."),
    (AI_EXPERTS_AND_INDUSTRY, OrganisationKind.EXPERT_GROUP, None,
     "AI (\"IA\") experts and industry, named as one party with Madrid and Lille for the mapping exercise of "
     "safe and smart cities' experiments in Action 3 of the Urban Agenda Partnership on Security in Public "
     "Spaces (seed: Nice's practice). Who they are is not named in the seeds."),
    (LAW_EXPERTS, OrganisationKind.EXPERT_GROUP, None,
     "Law experts supporting Nice in the overview of legal challenges in Action 3 of the Urban Agenda "
     "Partnership on Security in Public Spaces (seed: Nice's practice). Who they are is not named in the seeds."),
    (EUROMED, OrganisationKind.NETWORK, None,
     "The Euromed network of cities; co-signed the Declaration of Nice with the city of Nice and Efus, adopted "
     "in September 2017 (seed: PACTESUR). citynet does not record its members."),
]


def organisation_id(name: str) -> UUID:
    """The id of a demo organisation, by its name."""
    for org_name, _kind, country, _description in ORGANISATIONS:
        if org_name == name:
            return organisation_id_for(org_name, country)
    raise KeyError(name)


def load_demo_organisations(citynet: Citynet) -> None:
    app = citynet.app
    for name, kind, country, description in ORGANISATIONS:
        organisation = Organisation.register(name, kind, country, description)
        if not app.exists(organisation.id):
            app.save(organisation, OrganisationName.for_organisation(organisation))
