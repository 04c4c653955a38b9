"""No missed alert: the tick path against a brute-force scan, on gaps and random levels."""

from __future__ import annotations

from collections import defaultdict

import pytest

from app.alerts.evaluator import Evaluator
from app.domain.alert_facts import AlertFired, CreateAlert
from tests.alerts.brute_force import brute_force, make_replay
from tests.alerts.desk import AlertDesk
from tests.replay_market import START, Clock


def evaluator_times(ticks: int, alerts: int) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    replay = make_replay(ticks, alerts)
    evaluator = Evaluator()
    for number, spec in replay.alerts.items():
        evaluator.arm(number, spec, quote=replay.start[spec.symbol])
    got: dict[int, list[int]] = defaultdict(list)
    on_tick = evaluator.on_tick
    for tick in replay.ticks:
        for firing in on_tick(tick) or ():
            got[firing.armed.number].append(firing.time_msc)
    expected = brute_force(replay)
    return {n: got.get(n, []) for n in expected}, expected


def test_ten_thousand_ticks_and_two_hundred_levels_agree_with_the_scan() -> None:
    got, expected = evaluator_times(10_000, 200)
    assert sum(map(len, expected.values())) > 200  # the market crossed plenty of them
    assert got == expected


@pytest.mark.slow
def test_a_million_ticks_and_a_thousand_levels_miss_nothing() -> None:
    got, expected = evaluator_times(1_000_000, 1_000)
    total = sum(map(len, expected.values()))
    assert total > 10_000
    missed = {n: sorted(set(expected[n]) - set(got[n])) for n in expected if expected[n] != got[n]}
    assert missed == {} and got == expected


def test_through_the_engine_core_with_the_alert_host() -> None:
    """The same check end to end: the replay broker, the core's polls, the host's facts."""
    names = ["EURUSD", "GBPUSD", "AUDUSD", "USDCHF"]
    replay = make_replay(20_000, 150, names=names, step_ms=5, start_ms=(START + 1) * 1000, seed=11)
    desk = AlertDesk(symbols=tuple(names), clock=Clock(START + 1))
    desk.market.broker.feed(replay.start.values())
    assert desk.core.connect()
    desk.core.poll()
    for number, spec in replay.alerts.items():
        reply = desk.send(CreateAlert(spec, f"r-{number}"))
        assert reply.ok and reply.number == number, reply
    broker, core, clock = desk.market.broker, desk.core, desk.market.clock
    for i in range(0, len(replay.ticks), 200):  # polls of 200 ticks: 10,000 ticks/s at 20 ms
        batch = replay.ticks[i : i + 200]
        clock.now = batch[-1].time_msc / 1000
        broker.feed(batch)
        core.poll()
    got: dict[int, list[int]] = defaultdict(list)
    for fact in desk.market.out.other:
        if isinstance(fact, AlertFired) and not fact.repeat:
            got[fact.number].append(fact.time_msc)
    expected = brute_force(replay)
    assert sum(map(len, expected.values())) > 150
    assert {n: got.get(n, []) for n in expected} == expected
