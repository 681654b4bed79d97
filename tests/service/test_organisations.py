"""Organisations in the directory: registration, unique names, projection (both stores)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from citynet.domain.errors import AlreadyExists, InvalidInput, NotAllowed
from citynet.domain.organisation import OrganisationKind, organisation_id_for
from citynet.services.attribution import ANONYMOUS, Actor
from citynet.services.commands.directory import RegisterOrganisation
from citynet.services.readmodel import tables
from citynet.services.rebuild import rebuild
from citynet.services.runtime import Citynet


def test_an_organisation_is_registered_projected_and_its_name_claimed(citynet: Citynet, run) -> None:
    done = citynet.bus.run(RegisterOrganisation("National Association of Piedmont Region Communes",
                                                OrganisationKind.ASSOCIATION, "it", "Partner of PACTESUR."))
    assert done.id == organisation_id_for("National Association of Piedmont Region Communes", "IT")
    row = run(citynet.reads.organisations_by_id([str(done.id)]))[str(done.id)]
    assert (row.name, row.kind, row.country_code, row.description) == (
        "National Association of Piedmont Region Communes", "association", "IT", "Partner of PACTESUR.")
    head = citynet.projector.head()
    # Accents, case and spacing folded: the same name is refused, naming the organisation that has it.
    with pytest.raises(AlreadyExists) as refused:
        citynet.bus.run(RegisterOrganisation("NATIONAL  Association of Piedmont Region Communes",
                                             OrganisationKind.AGENCY, "IT"))
    assert refused.value.id == done.id
    assert citynet.projector.head() == head
    # The same name elsewhere (or international) is another organisation.
    other = citynet.bus.run(RegisterOrganisation("National Association of Piedmont Region Communes",
                                                 OrganisationKind.ASSOCIATION))
    assert other.id != done.id
    page = run(citynet.reads.organisations_page(10, None, kind="association"))
    assert sorted(str(item.country_code) for _, item in page.items) == ["IT", "None"]


def test_bad_input_and_callers_without_the_right_are_refused_and_store_nothing(citynet: Citynet) -> None:
    head = citynet.projector.head()
    for command, field in [
        (RegisterOrganisation("", OrganisationKind.ASSOCIATION), "name"),
        (RegisterOrganisation("Law experts", "lawyers"), "kind"),  # type: ignore[arg-type]
        (RegisterOrganisation("Law experts", OrganisationKind.EXPERT_GROUP, "XX"), "countryCode"),
        (RegisterOrganisation("Law\u0000experts", OrganisationKind.EXPERT_GROUP), "name"),
        (RegisterOrganisation("Law experts", OrganisationKind.EXPERT_GROUP, None, "a\u200bb"), "description"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            citynet.bus.run(command)
        assert refused.value.field == field
    command = RegisterOrganisation("Law experts", OrganisationKind.EXPERT_GROUP)
    for actor in (ANONYMOUS, Actor("rep", "city_representative", city_id="x"), Actor("aud", "auditor"),
                  Actor("c0", "coordinator")):
        with pytest.raises(NotAllowed):
            citynet.bus.run(command, actor=actor)
    assert citynet.projector.head() == head
    # A coordinator of any network may register one.
    citynet.bus.run(command, actor=Actor("c1", "coordinator", network_ids=("some-network",)))
    assert citynet.projector.head() > head


def test_rebuilding_the_directory_gives_the_same_organisation_rows(citynet: Citynet) -> None:
    for name, kind in [("Law experts", OrganisationKind.EXPERT_GROUP), ("Euromed network", OrganisationKind.NETWORK)]:
        citynet.bus.run(RegisterOrganisation(name, kind))

    def rows() -> list[tuple[str, ...]]:
        with citynet.sync_engine.connect() as conn:
            return sorted(tuple(str(v) for v in r) for r in conn.execute(select(tables.organisations)))

    before = rows()
    assert len(before) == 2
    rebuild(citynet, ["directory"])
    assert rows() == before
