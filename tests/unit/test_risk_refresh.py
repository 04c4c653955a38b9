"""The risk panel's figures: paced for ticks, immediate for anything the trader does.

The engine rebuilds the risk snapshot (every rule against the whole book) for
the GUI. Ticks alone refresh it ten times a second; a command or a state change
must show in the very next frame, or a halted trader would see "ACTIVE".
"""

from __future__ import annotations

import time
from typing import Any

from app.brokers.sim.broker import SimBroker
from app.domain.commands import Halt, SubmitOrder
from app.domain.enums import Side, TradingState
from app.domain.frame import MarketFrame
from app.domain.trading import OrderRequest
from app.engine.core import RISK_REFRESH_S, TradingCore
from tests.published import Published


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def take(core: TradingCore) -> MarketFrame:
    frame = core.next_frame()
    assert frame is not None
    core.frame_consumed(frame.seq)
    return frame


def ticks_arrive(core: TradingCore) -> None:
    deadline = time.monotonic() + 2.0
    while core.poll() == 0:  # the paper market ticks on the wall clock
        assert time.monotonic() < deadline, "no ticks from the paper broker"
        time.sleep(0.005)


def test_ticks_refresh_risk_at_most_ten_times_a_second_and_commands_at_once() -> None:
    clock = Clock()
    core = TradingCore(
        lambda: SimBroker(seed=5, ticks_per_second=2000, history_bars=20),
        Published(),
        monotonic=clock,
    )
    assert core.connect()
    built = [0]
    snapshot = core.gate.snapshot

    def counted(ctx: Any) -> Any:
        built[0] += 1
        return snapshot(ctx)

    core.gate.snapshot = counted  # type: ignore[method-assign]
    first = take(core)
    assert first.risk is not None and first.risk.state is TradingState.ACTIVE

    # A trade shows in the next frame, whatever the pace.
    core.handle(SubmitOrder(OrderRequest("r-1", "EURUSD", Side.BUY, 1.0)))
    after_trade = take(core)
    assert after_trade.risk is not None and after_trade.risk != first.risk

    # Ticks within the same tenth of a second: quotes go out, risk is not rebuilt.
    before = built[0]
    for _ in range(3):
        ticks_arrive(core)
        assert take(core).quotes
    assert built[0] == before

    # A tenth of a second later the figures are due again.
    clock.now += RISK_REFRESH_S
    ticks_arrive(core)
    take(core)
    assert built[0] == before + 1

    # The kill switch shows at once, not at the next tenth.
    core.handle(Halt("test"))
    halted = take(core)
    assert halted.risk is not None and halted.risk.state is TradingState.HALTED
