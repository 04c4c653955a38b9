"""A random market with random alerts, and the same alerts judged by a brute-force scan.

The scan is written independently of the evaluator: numpy over each alert's
whole price series (every consecutive pair of prices, no index, no shortcuts),
then the trigger applied in time order. The tick path must agree with it on
every firing — which tick, which alert — or it missed (or invented) one.
Shared by ``tests/alerts/test_never_miss.py`` and ``benchmarks/bench_alerts.py``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from app.domain.alerts import AlertSpec, Condition, TrendLine, Trigger, Watch
from app.domain.market import Tick

START_MS = 1_700_000_000_000


@dataclass
class Replay:
    ticks: list[Tick]
    start: dict[str, Tick]  # each symbol's quote when the alerts are armed
    alerts: dict[int, AlertSpec]


def make_replay(
    ticks: int,
    alerts: int,
    symbols: int = 20,
    seed: int = 7,
    step_ms: int = 1,
    names: list[str] | None = None,
    start_ms: int = START_MS,
) -> Replay:
    """``ticks`` quotes round robin over ``symbols`` (a random walk with gaps), ``alerts`` alerts."""
    rng = np.random.default_rng(seed)
    names = names or [f"S{i:02d}USD" for i in range(symbols)]
    per = ticks // symbols
    start: dict[str, Tick] = {}
    series: dict[str, np.ndarray] = {}
    for i, name in enumerate(names):
        steps = rng.choice([-1, 0, 1], size=per, p=[0.45, 0.1, 0.45]).astype(np.float64)
        gaps = rng.random(per) < 0.002  # now and then a jump of 20..60 points
        steps[gaps] = rng.integers(20, 60, size=int(gaps.sum())) * rng.choice(
            [-1, 1], int(gaps.sum())
        )
        base = 1.0 + i / 10
        series[name] = np.round(base + np.cumsum(steps) * 0.00001, 5)
        start[name] = Tick(name, start_ms, base, round(base + 0.0001, 5))
    out: list[Tick] = []
    t = start_ms
    for k in range(per):
        for name in names:
            t += step_ms
            bid = float(series[name][k])
            out.append(Tick(name, t, bid, round(bid + 0.0001, 5)))
    chooser = random.Random(seed)
    specs: dict[int, AlertSpec] = {}
    for number in range(1, alerts + 1):
        name = chooser.choice(names)
        low, high = float(series[name].min()), float(series[name].max())
        level = round(chooser.uniform(low, high), 5)
        kind = chooser.random()
        if kind < 0.55:
            condition = chooser.choice(
                [Condition.CROSSES, Condition.CROSSES_UP, Condition.CROSSES_DOWN]
            )
            trigger = chooser.choice([Trigger.EVERY, Trigger.EVERY, Trigger.ONCE])
            interval = chooser.choice([0, 0, 5])
            specs[number] = AlertSpec(
                name, Watch.BID, condition, level=level, trigger=trigger, interval_s=interval
            )
        elif kind < 0.75:
            condition = chooser.choice([Condition.ABOVE, Condition.BELOW])
            specs[number] = AlertSpec(
                name,
                Watch.BID,
                condition,
                level=level,
                trigger=Trigger.EVERY,
                interval_s=chooser.choice([1, 3]),
            )
        elif kind < 0.95:
            condition = chooser.choice([Condition.ENTERS_CHANNEL, Condition.EXITS_CHANNEL])
            width = round(chooser.uniform(0.00005, 0.0005), 5)
            specs[number] = AlertSpec(
                name,
                Watch.BID,
                condition,
                level=level,
                upper=round(level + width, 5),
                trigger=Trigger.EVERY,
            )
        else:
            t_end = out[-1].time_msc
            line = TrendLine(
                start_ms, level, t_end, round(level + chooser.uniform(-0.002, 0.002), 5)
            )
            specs[number] = AlertSpec(
                name, Watch.BID, Condition.CROSSES, line=line, trigger=Trigger.EVERY
            )
    return Replay(out, start, specs)


def brute_force(replay: Replay) -> dict[int, list[int]]:
    """Per alert, the times (ms) it must fire at, by scanning every pair of prices."""
    prices: dict[str, list[float]] = defaultdict(list)
    times: dict[str, list[int]] = defaultdict(list)
    for name, tick in replay.start.items():
        prices[name].append(tick.bid)
        times[name].append(tick.time_msc)
    for tick in replay.ticks:
        prices[tick.symbol].append(tick.bid)
        times[tick.symbol].append(tick.time_msc)
    arrays = {n: (np.asarray(prices[n]), np.asarray(times[n], dtype=np.int64)) for n in prices}
    expected: dict[int, list[int]] = {}
    for number, spec in replay.alerts.items():
        p, t = arrays[spec.symbol]
        expected[number] = _fire_times(spec, p, t)
    return expected


def _fire_times(spec: AlertSpec, p: np.ndarray, t: np.ndarray) -> list[int]:
    prev, cur = p[:-1], p[1:]
    condition = spec.condition
    if spec.line is not None:
        line = spec.line
        slope = (line.price2 - line.price1) / (line.time2_msc - line.time1_msc)
        ref = line.price1 + slope * (t - line.time1_msc)
        d = p - ref
        before, now = d[:-1], d[1:]
        hits = ((before < 0) & (now >= 0)) | ((before > 0) & (now <= 0))
    elif condition.is_channel:
        lo, hi = spec.level, spec.upper
        if condition is Condition.ENTERS_CHANNEL:
            hits = ((prev < lo) & (lo <= cur)) | ((prev > hi) & (hi >= cur))
        else:
            hits = ((prev <= hi) & (hi < cur)) | ((prev >= lo) & (lo > cur))
    else:
        level = spec.level
        up = (prev < level) & (level <= cur)
        down = (prev > level) & (level >= cur)
        hits = {
            Condition.CROSSES: up | down,
            Condition.CROSSES_UP: up,
            Condition.CROSSES_DOWN: down,
            Condition.ABOVE: cur > level,
            Condition.BELOW: cur < level,
        }[condition]
    when = t[1:][hits]
    if spec.trigger is Trigger.ONCE:
        return [int(when[0])] if len(when) else []
    interval = spec.interval_s * 1000
    if interval == 0:
        return [int(x) for x in when]
    fired: list[int] = []
    allowed = -(2**62)
    position = 0
    while True:
        position = int(np.searchsorted(when, allowed, side="left"))
        if position >= len(when):
            return fired
        moment = int(when[position])
        fired.append(moment)
        allowed = moment + interval


def make_desk_alerts(
    replay: Replay, alerts: int, seed: int = 5, away: tuple[float, float] = (0.001, 0.03)
) -> dict[int, AlertSpec]:
    """Alerts as a trader sets them: levels ``away`` (0.1 %–3 %) from the price, mostly ``once``.

    Over a replay most of them wait and some fire: what the engine carries all
    day. (``make_replay``'s own alerts sit inside each symbol's range and fire
    again and again, to test that none is missed.)
    """
    chooser = random.Random(seed)
    names = sorted(replay.start)
    specs: dict[int, AlertSpec] = {}
    for number in range(1, alerts + 1):
        name = names[(number - 1) % len(names)]
        price = replay.start[name].bid
        distance = chooser.uniform(*away) * chooser.choice([-1, 1])
        level = round(price * (1 + distance), 5)
        kind = chooser.random()
        if kind < 0.6:
            spec = AlertSpec(name, Watch.BID, Condition.CROSSES, level=level)
        elif kind < 0.8:
            condition = Condition.ABOVE if distance > 0 else Condition.BELOW
            spec = AlertSpec(name, Watch.BID, condition, level=level)
        elif kind < 0.9:
            low, high = sorted((level, round(level * 1.002, 5)))
            spec = AlertSpec(name, Watch.BID, Condition.ENTERS_CHANNEL, level=low, upper=high)
        elif kind < 0.98:
            spec = AlertSpec(
                name,
                Watch.BID,
                Condition.CROSSES,
                level=level,
                trigger=Trigger.EVERY,
                interval_s=300,
            )
        else:
            end = replay.ticks[-1].time_msc
            line = TrendLine(replay.start[name].time_msc, level, end, round(level * 1.001, 5))
            spec = AlertSpec(name, Watch.BID, Condition.CROSSES, line=line)
        specs[number] = spec
    return specs
