"""The command bus, on both stores: idempotency keys, conflict retries, committed means succeeded."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from citynet.domain.network import Network
from citynet.domain.values import MemberRole
from citynet.services.application import Recorded
from citynet.services.attribution import Actor
from citynet.services.commands import receipts
from citynet.services.commands.base import HANDLERS, Command
from citynet.services.commands.bus import Outcome
from citynet.services.commands.directory import AdmitMember, FoundNetwork, RegisterCity
from citynet.services.commands.workshops import ProposeWorkshop
from citynet.services.errors import Conflict, IdempotencyKeyReused, InvalidInput
from citynet.domain.errors import AlreadyExists, NotAllowed
from citynet.services.runtime import Citynet

ALICE = Actor("alice", "admin")
BOB = Actor("bob", "admin")


def _network_and_city(c: Citynet) -> tuple[Any, Any]:
    network = c.bus.run(FoundNetwork("Test Network", "TN", date(2020, 1, 1))).id
    city = c.bus.run(RegisterCity("Kiel", "DE", "Europe/Berlin")).id
    c.bus.run(AdmitMember(network, city, MemberRole.MEMBER, date(2020, 1, 1)))
    return network, city


def _proposal(network: Any, city: Any) -> ProposeWorkshop:
    # A new workshop id every time it is built, as a resolver does: only the key makes a repeat a repeat.
    return ProposeWorkshop(title="Storm drill", topic="storms", network_ids=(network,), partner_city_ids=(city,),
                           host_city_id=city, capacity=10, venue="Kiel town hall")


def test_a_repeated_key_answers_the_first_result_and_stores_nothing(citynet: Citynet) -> None:
    network, city = _network_and_city(citynet)
    first = citynet.bus.run(_proposal(network, city), actor=ALICE, idempotency_key="req-1")
    head = citynet.projector.head()

    again = citynet.bus.run(_proposal(network, city), actor=ALICE, idempotency_key="req-1")

    assert (again.id, again.position, again.replayed) == (first.id, first.position, True)
    assert not first.replayed and first.position == head, "the receipt is saved with the command, last"
    assert citynet.projector.head() == head, "a repeat stores nothing"
    # Without a key the same request is a new workshop.
    assert citynet.bus.run(_proposal(network, city), actor=ALICE).id != first.id


def test_a_key_reused_for_another_request_is_refused(citynet: Citynet) -> None:
    citynet.bus.run(RegisterCity("Kiel", "DE", "Europe/Berlin"), actor=ALICE, idempotency_key="req-1")
    head = citynet.projector.head()
    with pytest.raises(IdempotencyKeyReused) as refused:
        citynet.bus.run(RegisterCity("Lübeck", "DE", "Europe/Berlin"), actor=ALICE, idempotency_key="req-1")
    assert refused.value.first_command == "registerCity"
    assert citynet.projector.head() == head


def test_keys_belong_to_their_caller(citynet: Citynet) -> None:
    kiel = citynet.bus.run(RegisterCity("Kiel", "DE", "Europe/Berlin"), actor=ALICE, idempotency_key="same")
    lubeck = citynet.bus.run(RegisterCity("Lübeck", "DE", "Europe/Berlin"), actor=BOB, idempotency_key="same")
    assert kiel.id != lubeck.id and not lubeck.replayed


def test_a_key_belongs_to_one_capacity_not_only_one_subject(citynet: Citynet) -> None:
    """Dev tokens share a subject per role: another city's representative under the same subject must not
    replay (and so see the result of) a command it may not issue (review)."""
    network, kiel = _network_and_city(citynet)
    other = citynet.bus.run(RegisterCity("Lübeck", "DE", "Europe/Berlin")).id
    citynet.bus.run(AdmitMember(network, other, MemberRole.MEMBER, date(2020, 1, 1)))
    first = citynet.bus.run(RegisterCity("Rendsburg", "DE", "Europe/Berlin"), actor=ALICE, idempotency_key="k")
    as_rep = Actor("alice", "city_representative", str(other))
    with pytest.raises(NotAllowed):
        citynet.bus.run(RegisterCity("Rendsburg", "DE", "Europe/Berlin"), actor=as_rep, idempotency_key="k")
    assert citynet.bus.run(RegisterCity("Rendsburg", "DE", "Europe/Berlin"), actor=ALICE,
                           idempotency_key="k").id == first.id


@pytest.mark.parametrize("key", ["", "has space", "x" * 201, "nul\x00", "é"])
def test_malformed_keys_are_refused(citynet: Citynet, key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        citynet.bus.run(RegisterCity("Kiel", "DE", "Europe/Berlin"), idempotency_key=key)
    assert refused.value.field == "clientMutationId"
    assert citynet.projector.head() == 0


def test_a_refused_command_leaves_its_key_unused(citynet: Citynet) -> None:
    with pytest.raises(Exception):
        citynet.bus.run(AdmitMember(uuid4(), uuid4(), MemberRole.MEMBER, date(2020, 1, 1)), idempotency_key="k")
    assert citynet.bus.run(RegisterCity("Kiel", "DE", "Europe/Berlin"), idempotency_key="k").replayed is False


def test_racing_duplicates_store_once(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A double click reaching two servers: both requests pass the receipt check before either commits."""
    servers = [Citynet(database_url), Citynet(database_url)]
    try:
        network, city = _network_and_city(servers[0])
        head = servers[0].projector.head()
        both_checked = threading.Barrier(2, timeout=30)
        checked = threading.local()
        real_find = receipts.find

        def find_then_wait(app: Any, actor_id: str, key: str) -> Any:
            found = real_find(app, actor_id, key)
            if not getattr(checked, "once", False):
                checked.once = True
                both_checked.wait()
            return found

        monkeypatch.setattr(receipts, "find", find_then_wait)
        commands = [_proposal(network, city), _proposal(network, city)]
        outcomes: list[Any] = [None, None]

        def click(i: int) -> None:
            outcomes[i] = servers[i].bus.run(commands[i], actor=ALICE, idempotency_key="double-click")

        threads = [threading.Thread(target=click, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)

        assert outcomes[0] is not None and outcomes[1] is not None
        assert outcomes[0].id == outcomes[1].id and outcomes[0].position == outcomes[1].position
        assert sorted(o.replayed for o in outcomes) == [False, True]
        assert [servers[0].app.exists(c.workshop_id) for c in commands].count(True) == 1
        # One workshop proposal (one event) and one receipt: nothing of the loser.
        assert servers[0].projector.head() > head
        events = list(servers[0].app.recorder.select_notifications(start=head, limit=100, inclusive_of_start=False))
        assert len(events) == 2
    finally:
        for s in servers:
            s.close()


@dataclass(frozen=True)
class _AddTwoCommissions(Command):
    raises = (Conflict,)
    network_id: Any


@dataclass(frozen=True)
class _Undeclared(Command):
    network_id: Any


def test_a_version_clash_reruns_the_handler_on_fresh_state(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    c, other = Citynet(database_url), Citynet(database_url)
    try:
        network = c.bus.run(FoundNetwork("Test Network", "TN", date(2020, 1, 1))).id
        attempts: list[int] = []

        def handler(citynet: Citynet, cmd: _AddTwoCommissions) -> Recorded:
            def decide(n: Network) -> None:
                attempts.append(n.version)
                if len(attempts) == 1:  # another server changes the network between our read and our save
                    other.bus.run(_add(cmd.network_id, "Youth Commission"))
                n.add_commission("Energy Commission")

            return Recorded(cmd.network_id, citynet.execute(lambda app: app._change(Network, cmd.network_id, "networkId",
                                                                                  decide)))

        monkeypatch.setitem(HANDLERS, _AddTwoCommissions, handler)
        c.bus.run(_AddTwoCommissions(network))

        assert len(attempts) == 2 and attempts[1] == attempts[0] + 1, "decided again on the newer version"
        names = {x.name for x in c.app.repository.get(network).commissions.values()}
        assert names == {"Youth Commission", "Energy Commission"}
    finally:
        c.close()
        other.close()


def _add(network_id: Any, name: str) -> Command:
    from citynet.services.commands.directory import AddCommission

    return AddCommission(network_id, name)


def test_endless_clashes_end_in_a_typed_conflict_and_undeclared_errors_are_bugs(
        citynet: Citynet, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def always_clashing(c: Citynet, cmd: Command) -> Recorded:
        calls.append(1)
        raise IntegrityError("duplicate key")

    monkeypatch.setitem(HANDLERS, _AddTwoCommissions, always_clashing)
    monkeypatch.setitem(HANDLERS, _Undeclared, always_clashing)
    monkeypatch.setattr(citynet.bus, "max_attempts", 3)
    with pytest.raises(Conflict) as conflict:
        citynet.bus.run(_AddTwoCommissions(uuid4()))
    assert len(calls) == 3 and "changed by someone else 3 times" in conflict.value.message
    with pytest.raises(TypeError, match="does not declare"):
        citynet.bus.run(_Undeclared(uuid4()))


def test_a_committed_command_is_never_reported_as_failed(citynet: Citynet, run: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("projection failed")

    monkeypatch.setattr(citynet.projector, "catch_up", broken)
    outcome = run(citynet.bus.handle(RegisterCity("Kiel", "DE", "Europe/Berlin")))
    assert citynet.app.exists(outcome.id) and outcome.position == citynet.projector.head()
    assert outcome.current is False

    async def times_out(position: int, timeout: float = 5.0) -> bool:
        return False

    monkeypatch.setattr(citynet, "wait_for_position", times_out)
    outcome = run(citynet.bus.handle(RegisterCity("Lübeck", "DE", "Europe/Berlin")))
    assert citynet.app.exists(outcome.id) and outcome.current is False
    # The synchronous path (CLI, demo) answers the same way.
    assert citynet.bus.run(RegisterCity("Riga", "LV", "Europe/Riga")).current is False


def test_a_replay_whose_position_read_lost_its_connection_reads_again(
        citynet: Citynet, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError as SQLOperationalError

    first = citynet.bus.run(RegisterCity("Kiel", "DE", "Europe/Berlin"), actor=ALICE, idempotency_key="req-1")
    engine, calls = citynet.sync_engine, []
    real = engine.connect

    def connect() -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise SQLOperationalError("SELECT", {}, Exception("terminating connection due to administrator command"))
        return real()

    monkeypatch.setattr(engine, "connect", connect)
    again = citynet.bus.run(RegisterCity("Kiel", "DE", "Europe/Berlin"), actor=ALICE, idempotency_key="req-1")
    assert (again.id, again.position, again.replayed) == (first.id, first.position, True)
    assert len(calls) >= 2


def test_one_of_many_simultaneous_registrations_of_a_city_wins(citynet: Citynet) -> None:
    """Registrations are not read first: the store's unique keys (the city's id, its name's claim) decide.
    Eight at once, some spelled with other accents or case (on PostgreSQL in one group commit): one
    stores the city and its claim, each of the others is refused naming that city, and nothing else
    is stored."""
    head = citynet.projector.head()
    names = ["Liepāja", "Liepaja", "LIEPĀJA", "Liepāja", "liepaja", "Liepāja", "LIEPAJA", "Liepāja"]
    start = threading.Barrier(len(names), timeout=30)
    outcomes: list[Any] = [None] * len(names)

    def register(i: int) -> None:
        start.wait()
        try:
            outcomes[i] = citynet.bus.run(RegisterCity(names[i], "LV", "Europe/Riga"))
        except Exception as error:  # noqa: BLE001 - the test looks at what each got
            outcomes[i] = error

    threads = [threading.Thread(target=register, args=(i,)) for i in range(len(names))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    won = [o for o in outcomes if isinstance(o, Outcome)]
    refused = [o for o in outcomes if not isinstance(o, Outcome)]
    assert len(won) == 1, outcomes
    assert all(isinstance(e, AlreadyExists) and e.id == won[0].id for e in refused), refused
    winner = names[outcomes.index(won[0])]
    assert all(winner in e.message for e in refused)
    assert citynet.projector.head() == won[0].position
    assert len(list(citynet.app.recorder.select_notifications(start=head, limit=10, inclusive_of_start=False))) == 2
