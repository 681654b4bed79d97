"""Stored event names do not move with the Python modules."""

from __future__ import annotations

from datetime import date

from eventsourcing.utils import get_topic, resolve_topic

from citynet.domain.network import Network
from citynet.domain.topics import STORED_TOPICS, register_stored_topics
from citynet.services.application import CitynetApplication

# Names already in logs: a refactor must keep each of them readable.
ALREADY_STORED = [
    "citynet.domain.city:City",
    "citynet.domain.city:City.Registered",
    "citynet.domain.network:Network",
    "citynet.domain.network:Network.Founded",
    "citynet.domain.network:Network.MemberAdmitted",
    "citynet.domain.workshop:Workshop.Proposed",
    "citynet.domain.workshop:Workshop.DelegateRegistered",
    "citynet.domain.plan:ActionPlan.ProgressReported",
    "citynet.domain.protocol:Protocol.StepAdded",
    "citynet.domain.person:Erasure.PersonErased",
    "citynet.domain.calendar:Calendar.Booked",
]


def test_every_class_stores_under_its_frozen_name() -> None:
    for topic, cls in STORED_TOPICS.items():
        assert get_topic(cls) == topic, f"{cls} moved: keep {topic!r} in STORED_TOPICS pointing at it"
    assert set(ALREADY_STORED) <= set(STORED_TOPICS)
    for topic in ALREADY_STORED:
        assert resolve_topic(topic) is STORED_TOPICS[topic]


def test_events_stored_under_the_current_names_load() -> None:
    writer = CitynetApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    network = Network.found("Union of the Baltic Cities", "UBC", date(1991, 9, 20))
    network.add_commission("Safe Cities Commission")
    writer.save(network)
    stored = [item.topic for item in writer.recorder.select_events(network.id)]
    assert stored == ["citynet.domain.network:Network.Founded", "citynet.domain.network:Network.CommissionAdded"]
    register_stored_topics()  # idempotent
    loaded = writer.repository.get(network.id)
    assert loaded.short_name == "UBC" and len(loaded.commissions) == 1
