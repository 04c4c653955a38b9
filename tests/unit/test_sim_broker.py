"""The paper broker, driven by a fake clock: market, fills, P&L and account."""

from __future__ import annotations

import itertools
import statistics

import numpy as np
import pytest

from app.brokers.base import BrokerEvents
from app.brokers.sim.broker import SimBroker
from app.domain.bars import aggregate_rates
from app.domain.enums import OrderStatus, OrderType, Side
from app.domain.market import Tick
from app.domain.timeframes import Timeframe
from app.domain.trading import Fill, OrderRequest

START = 1_700_000_030.5  # half a minute into a minute


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_broker(
    clock: FakeClock,
    *,
    seed: int = 7,
    symbols: list[str] | None = None,
    history_bars: int = 200,
    balance: float = 10_000.0,
) -> SimBroker:
    broker = SimBroker(
        symbols=symbols if symbols is not None else ["EURUSD"],
        seed=seed,
        clock=clock,
        history_bars=history_bars,
        balance=balance,
    )
    broker.connect()
    return broker


def run(broker: SimBroker, clock: FakeClock, seconds: float, step: float = 1.0) -> list[Tick]:
    ticks: list[Tick] = []
    for _ in range(round(seconds / step)):
        clock.advance(step)
        ticks.extend(broker.poll().ticks)
    return ticks


def latest_quote(broker: SimBroker, clock: FakeClock, symbol: str) -> Tick:
    """Advance until ``symbol`` ticks, and return its newest quote."""
    for _ in range(1000):
        clock.advance(0.5)
        ticks = [t for t in broker.poll().ticks if t.symbol == symbol]
        if ticks:
            return ticks[-1]
    raise AssertionError(f"no tick for {symbol}")


def market(side: Side, volume: float, symbol: str = "EURUSD", **kwargs: float) -> OrderRequest:
    return OrderRequest(f"c-{side}-{volume}", symbol, side, volume, **kwargs)  # type: ignore[arg-type]


def profit_usd(side: Side, volume: float, open_: float, close: float, contract: float) -> float:
    sign = 1 if side is Side.BUY else -1
    return sign * (close - open_) * volume * contract


# -- market simulation -----------------------------------------------------------


def test_same_seed_and_clock_give_identical_ticks_and_another_seed_does_not() -> None:
    def ticks_for(seed: int) -> list[Tick]:
        clock = FakeClock()
        broker = make_broker(clock, seed=seed, symbols=["EURUSD", "USDJPY"])
        return run(broker, clock, 30, step=0.7)

    first, again, other = ticks_for(11), ticks_for(11), ticks_for(12)
    assert len(first) > 50
    assert first == again
    assert first != other


def test_ticks_have_a_positive_spread_and_prices_on_the_symbols_digits() -> None:
    clock = FakeClock()
    broker = make_broker(clock, symbols=["EURUSD", "USDJPY", "XAUUSD"])
    digits = {s.name: s.digits for s in broker.symbols()}
    ticks = run(broker, clock, 60, step=0.5)
    assert {t.symbol for t in ticks} == set(digits)
    for t in ticks:
        assert t.ask > t.bid, t
        scale = 10 ** digits[t.symbol]
        for price in (t.bid, t.ask):
            assert abs(price * scale - round(price * scale)) < 1e-6, t


def test_tick_times_never_go_backwards_and_stay_within_the_clock() -> None:
    clock = FakeClock()
    broker = make_broker(clock, symbols=["EURUSD", "GBPUSD", "XAUUSD"])
    last: dict[str, int] = {}
    for _ in range(200):
        clock.advance(0.3)
        for t in broker.poll().ticks:
            assert t.time_msc >= last.get(t.symbol, 0)
            assert t.time_msc <= clock.now * 1000 + 1
            last[t.symbol] = t.time_msc


def test_tick_rate_roughly_matches_ticks_per_second() -> None:
    clock = FakeClock()
    broker = make_broker(clock, symbols=["EURUSD", "USDJPY"])
    ticks = run(broker, clock, 100, step=2.0)
    for symbol in ("EURUSD", "USDJPY"):
        n = sum(1 for t in ticks if t.symbol == symbol)
        assert 300 <= n <= 500, (symbol, n)  # 4 per second for 100 s


def test_no_time_passing_means_no_ticks() -> None:
    clock = FakeClock()
    broker = make_broker(clock)
    assert broker.poll().ticks == []


# -- history ---------------------------------------------------------------------


def test_history_is_consecutive_closed_minutes_up_to_connect() -> None:
    clock = FakeClock()
    broker = make_broker(clock, symbols=["EURUSD"], history_bars=500)
    rates = broker.history("EURUSD", Timeframe.M1, 10_000)
    # At least the minutes asked for, back to a UTC midnight (where the M15 tier takes over).
    assert 500 <= len(rates) < 500 + 1440
    times = [int(t) for t in rates["time"]]
    assert times[0] % 86_400 == 0
    assert all(b - a == 60 for a, b in itertools.pairwise(times))
    # connected at 30.5 s into a minute: that minute is forming, the one before is closed
    forming = int(START) - int(START) % 60
    assert times[-1] == forming - 60
    assert (rates["high"] >= rates["open"]).all() and (rates["high"] >= rates["close"]).all()
    assert (rates["low"] <= rates["open"]).all() and (rates["low"] <= rates["close"]).all()


def test_history_count_takes_the_newest_bars() -> None:
    clock = FakeClock()
    broker = make_broker(clock, history_bars=300)
    full = broker.history("EURUSD", Timeframe.M1, 300)
    last_50 = broker.history("EURUSD", Timeframe.M1, 50)
    assert len(last_50) == 50
    assert (last_50 == full[-50:]).all()
    assert len(broker.history("EURUSD", Timeframe.M1, 0)) == 0


def test_live_quotes_start_where_history_ends() -> None:
    clock = FakeClock()
    broker = make_broker(clock, symbols=["EURUSD", "XAUUSD"])
    for symbol in ("EURUSD", "XAUUSD"):
        last_close = float(broker.history(symbol, Timeframe.M1, 1)["close"][-1])
        first = latest_quote(broker, clock, symbol)
        assert abs(first.bid - last_close) <= 5 * first.spread, (symbol, last_close, first)


@pytest.mark.parametrize("m1_bars", [100, 3000])
def test_every_timeframe_has_a_screen_of_history_of_one_consistent_market(m1_bars: int) -> None:
    """An H1 bar is the aggregate of its M1 bars wherever both exist, and so for every pair."""
    clock = FakeClock()
    broker = make_broker(clock, symbols=["EURUSD", "XAUUSD"], history_bars=m1_bars)
    for symbol in ("EURUSD", "XAUUSD"):
        rates = {tf: broker.history(symbol, tf, 100_000) for tf in Timeframe}
        assert len(rates[Timeframe.D1]) >= 500
        for tf, bars in rates.items():
            assert len(bars) >= 500, tf
            assert (bars["time"] % tf.seconds == 0).all() and (np.diff(bars["time"]) > 0).all()
            assert float(bars["close"][-1]) == float(rates[Timeframe.M1]["close"][-1])
        for fine, coarse in itertools.combinations(Timeframe, 2):
            shared = rates[coarse][rates[coarse]["time"] >= rates[fine]["time"][0]]
            assert len(shared) > 0
            assert (aggregate_rates(rates[fine], coarse)[-len(shared) :] == shared).all(), (
                fine,
                coarse,
            )


def test_history_of_every_timeframe_is_made_at_connect_without_slowing_it() -> None:
    """About 6,000 bars per symbol, not the 700,000 minutes of 500 days."""
    clock = FakeClock()
    broker = make_broker(clock, symbols=["EURUSD", "XAUUSD"], history_bars=3000)
    generated = sum(len(broker.history(s, Timeframe.M1, 10**9)) for s in ("EURUSD", "XAUUSD"))
    assert generated < 2 * (3000 + 1440)
    d1 = broker.history("EURUSD", Timeframe.D1, 10**9)
    assert int(d1["time"][-1]) - int(d1["time"][0]) >= 499 * 86_400


# -- market orders and the account -----------------------------------------------


def test_market_buy_fills_at_the_ask_and_sell_at_the_bid() -> None:
    clock = FakeClock()
    broker = make_broker(clock)
    quote = latest_quote(broker, clock, "EURUSD")
    buy = broker.submit(market(Side.BUY, 0.1))
    sell = broker.submit(market(Side.SELL, 0.1))
    assert buy.status is OrderStatus.FILLED and sell.status is OrderStatus.FILLED
    assert buy.price == quote.ask
    assert sell.price == quote.bid
    assert buy.fills[0].price == quote.ask and buy.fills[0].volume == 0.1
    assert not buy.fills[0].closes_position
    by_ticket = {p.ticket: p for p in broker.positions()}
    assert by_ticket[buy.broker_ticket].price_open == quote.ask  # type: ignore[index]
    assert by_ticket[sell.broker_ticket].price_open == quote.bid  # type: ignore[index]


def test_a_deal_is_stamped_with_the_market_time_not_its_symbols_older_quote() -> None:
    """Deals sort in the order they were done, whichever symbol last ticked."""
    clock = FakeClock()
    broker = make_broker(clock, symbols=["EURUSD", "USDJPY"])
    newest: dict[str, int] = {}
    while not newest or newest.get("EURUSD", 0) >= newest.get("USDJPY", 0):
        clock.advance(0.05)
        newest.update({t.symbol: t.time_msc for t in broker.poll().ticks})
    jpy = broker.submit(market(Side.BUY, 0.1, "USDJPY"))
    eur = broker.submit(market(Side.BUY, 0.1, "EURUSD"))
    assert jpy.fills[0].time_msc == eur.fills[0].time_msc == newest["USDJPY"]
    assert eur.fills[0].time_msc > newest["EURUSD"]


def test_opening_leaves_balance_and_equity_is_balance_plus_floating() -> None:
    clock = FakeClock()
    broker = make_broker(clock, symbols=["EURUSD", "USDJPY"])
    latest_quote(broker, clock, "USDJPY")
    q = latest_quote(broker, clock, "EURUSD")
    broker.submit(market(Side.BUY, 0.5))
    account = broker.account()
    assert account.balance == 10_000.0
    # opened at the ask, marked at the bid: down by the spread straight away
    assert account.floating_pnl == pytest.approx(-(q.ask - q.bid) * 50_000, abs=0.01)
    assert account.margin == pytest.approx(q.ask * 50_000 / 100, abs=0.01)
    run(broker, clock, 20)
    account = broker.account()
    floating = sum(p.profit for p in broker.positions())
    assert account.balance == 10_000.0
    assert account.floating_pnl == pytest.approx(floating, abs=0.01)
    assert account.equity == pytest.approx(account.balance + floating, abs=0.011)
    assert account.free_margin == pytest.approx(account.equity - account.margin, abs=0.011)


def test_closing_realises_the_hand_computed_profit_into_balance() -> None:
    clock = FakeClock()
    broker = make_broker(clock)
    opened = latest_quote(broker, clock, "EURUSD")
    report = broker.submit(market(Side.BUY, 0.5))
    ticket = report.broker_ticket
    assert ticket is not None
    now = latest_quote(broker, clock, "EURUSD")
    closed = broker.close_position(ticket, None, "close-1")
    expected = round(profit_usd(Side.BUY, 0.5, opened.ask, now.bid, 100_000), 2)
    assert closed.status is OrderStatus.FILLED
    assert closed.price == now.bid
    fill = closed.fills[0]
    assert fill.closes_position and fill.side is Side.SELL and fill.position_ticket == ticket
    assert fill.realized_pnl == pytest.approx(expected, abs=1e-9)
    assert broker.account().balance == pytest.approx(10_000.0 + expected, abs=1e-9)
    assert broker.positions() == []
    assert broker.account().margin == 0.0


def test_usdjpy_sell_profit_is_converted_from_yen() -> None:
    clock = FakeClock()
    broker = make_broker(clock, symbols=["USDJPY"])
    opened = latest_quote(broker, clock, "USDJPY")
    ticket = broker.submit(market(Side.SELL, 0.3, "USDJPY")).broker_ticket
    assert ticket is not None
    now = latest_quote(broker, clock, "USDJPY")
    fill = broker.close_position(ticket, None, "close-jpy").fills[0]
    yen = profit_usd(Side.SELL, 0.3, opened.bid, now.ask, 100_000)
    assert fill.price == now.ask
    assert fill.realized_pnl == pytest.approx(round(yen / now.mid, 2), abs=1e-9)
    assert broker.account().balance == pytest.approx(10_000.0 + fill.realized_pnl, abs=1e-9)


def test_partial_close_leaves_the_remainder_open() -> None:
    clock = FakeClock()
    broker = make_broker(clock)
    opened = latest_quote(broker, clock, "EURUSD")
    ticket = broker.submit(market(Side.BUY, 0.5)).broker_ticket
    assert ticket is not None
    now = latest_quote(broker, clock, "EURUSD")
    report = broker.close_position(ticket, 0.2, "part")
    assert report.status is OrderStatus.FILLED and report.filled_volume == 0.2
    expected = round(profit_usd(Side.BUY, 0.2, opened.ask, now.bid, 100_000), 2)
    assert report.fills[0].realized_pnl == pytest.approx(expected, abs=1e-9)
    (position,) = broker.positions()
    assert position.ticket == ticket
    assert position.volume == pytest.approx(0.3)
    assert position.price_open == opened.ask
    assert broker.account().balance == pytest.approx(10_000.0 + expected, abs=1e-9)


def test_closing_more_than_held_is_rejected_and_changes_nothing() -> None:
    clock = FakeClock()
    broker = make_broker(clock)
    latest_quote(broker, clock, "EURUSD")
    ticket = broker.submit(market(Side.BUY, 0.5)).broker_ticket
    assert ticket is not None
    report = broker.close_position(ticket, 0.6, "too-much")
    assert report.status is OrderStatus.REJECTED
    assert "0.6" in report.reason and "0.5" in report.reason
    assert report.fills == ()
    assert [p.volume for p in broker.positions()] == [0.5]
    assert broker.account().balance == 10_000.0
    missing = broker.close_position(999_999, None, "nope")
    assert missing.status is OrderStatus.REJECTED and "999999" in missing.reason


def test_order_beyond_free_margin_is_rejected_and_changes_nothing() -> None:
    clock = FakeClock()
    broker = make_broker(clock)
    quote = latest_quote(broker, clock, "EURUSD")
    broker.submit(market(Side.BUY, 0.5))
    before_account, before_positions = broker.account(), broker.positions()
    # 10 lots need 10 * 100,000 * ask / 100 ≈ 10,850 USD of margin: more than we have
    assert 10 * 100_000 * quote.ask / 100 > before_account.free_margin
    report = broker.submit(market(Side.BUY, 10.0))
    assert report.status is OrderStatus.REJECTED
    assert report.reason.startswith("Not enough money")
    assert report.fills == ()
    assert broker.account() == before_account
    assert broker.positions() == before_positions


def test_unknown_symbol_is_rejected_by_name() -> None:
    clock = FakeClock()
    broker = make_broker(clock, symbols=["EURUSD"])
    for symbol in ("BTCUSD", "GBPUSD"):  # unheard of / not in this broker's list
        report = broker.submit(market(Side.BUY, 0.1, symbol))
        assert report.status is OrderStatus.REJECTED
        assert symbol in report.reason
    assert broker.positions() == []


def test_invalid_order_is_rejected_with_the_validation_sentence() -> None:
    clock = FakeClock()
    broker = make_broker(clock)
    latest_quote(broker, clock, "EURUSD")
    report = broker.submit(market(Side.BUY, 0.015))
    assert report.status is OrderStatus.REJECTED
    assert "0.015" in report.reason
    assert broker.positions() == []


def test_constructing_with_an_unknown_symbol_names_it() -> None:
    with pytest.raises(ValueError, match="DOGEUSD"):
        SimBroker(symbols=["EURUSD", "DOGEUSD"], clock=FakeClock())


# -- stops and pending orders ----------------------------------------------------


def poll_until_fill(
    broker: SimBroker, clock: FakeClock, seconds: float, step: float = 1.0
) -> tuple[list[Fill], BrokerEvents]:
    for _ in range(round(seconds / step)):
        clock.advance(step)
        events = broker.poll()
        if events.fills:
            return events.fills, events
    raise AssertionError("nothing filled")


@pytest.mark.parametrize("symbol", ["EURUSD", "XAUUSD"])
def test_stop_loss_closes_the_position_on_a_later_tick(symbol: str) -> None:
    clock = FakeClock()
    broker = make_broker(clock, symbols=[symbol])
    spec = broker.symbols()[0]
    q = latest_quote(broker, clock, symbol)
    gap = spec.stops_level * spec.point
    # A buy stopped just under the bid and a sell just over the ask: whichever way the
    # market walks, one of them is stopped out.
    buy_sl = spec.round_price(q.bid - gap)
    sell_sl = spec.round_price(q.ask + gap)
    buy = broker.submit(market(Side.BUY, 0.1, symbol, sl=buy_sl))
    sell = broker.submit(market(Side.SELL, 0.1, symbol, sl=sell_sl))
    assert buy.status is OrderStatus.FILLED, buy.reason
    assert sell.status is OrderStatus.FILLED, sell.reason
    balance = broker.account().balance

    fills, _ = poll_until_fill(broker, clock, 4 * 3600)
    for fill in fills:
        assert fill.reason == "stop loss"
        assert fill.closes_position
        if fill.position_ticket == buy.broker_ticket:
            assert fill.side is Side.SELL and fill.price <= buy_sl
            assert buy.price is not None and fill.price < buy.price
            expected = profit_usd(Side.BUY, 0.1, buy.price, fill.price, spec.contract_size)
        else:
            assert fill.position_ticket == sell.broker_ticket
            assert fill.side is Side.BUY and fill.price >= sell_sl
            assert sell.price is not None and fill.price > sell.price
            expected = profit_usd(Side.SELL, 0.1, sell.price, fill.price, spec.contract_size)
        assert fill.realized_pnl < 0
        assert fill.realized_pnl == pytest.approx(round(expected, 2), abs=1e-9)
    closed = {f.position_ticket for f in fills}
    assert closed.isdisjoint(p.ticket for p in broker.positions())
    assert broker.account().balance == pytest.approx(
        balance + sum(f.realized_pnl for f in fills), abs=1e-9
    )


def test_position_does_not_stop_out_without_the_price_reaching_its_stop() -> None:
    clock = FakeClock()
    broker = make_broker(clock)
    q = latest_quote(broker, clock, "EURUSD")
    far = round(q.bid - 0.05, 5)  # 500 pips away
    ticket = broker.submit(market(Side.BUY, 0.1, sl=far)).broker_ticket
    ticks = run(broker, clock, 120)
    assert min(t.bid for t in ticks) > far
    assert [p.ticket for p in broker.positions()] == [ticket]


def test_take_profit_closes_at_or_beyond_the_target() -> None:
    clock = FakeClock()
    broker = make_broker(clock)
    spec = broker.symbols()[0]
    q = latest_quote(broker, clock, "EURUSD")
    gap = spec.stops_level * spec.point
    buy_tp = spec.round_price(q.ask + gap)
    sell_tp = spec.round_price(q.bid - gap)
    buy = broker.submit(market(Side.BUY, 0.1, tp=buy_tp))
    sell = broker.submit(market(Side.SELL, 0.1, tp=sell_tp))
    fills, _ = poll_until_fill(broker, clock, 4 * 3600)
    for fill in fills:
        assert fill.reason == "take profit"
        if fill.position_ticket == buy.broker_ticket:
            assert fill.side is Side.SELL and fill.price >= buy_tp
        else:
            assert fill.position_ticket == sell.broker_ticket
            assert fill.side is Side.BUY and fill.price <= sell_tp
        assert fill.realized_pnl > 0


def test_buy_limit_triggers_when_the_ask_touches_it() -> None:
    clock = FakeClock()
    broker = make_broker(clock)
    q = latest_quote(broker, clock, "EURUSD")
    limit = round(q.ask - 0.00012, 5)  # beyond the 10-point stops level
    report = broker.submit(
        OrderRequest("bl-1", "EURUSD", Side.BUY, 0.2, OrderType.LIMIT, price=limit)
    )
    assert report.status is OrderStatus.WORKING
    assert [o.price for o in broker.working_orders()] == [limit]
    assert broker.positions() == []
    for _ in range(4 * 3600):
        clock.advance(0.5)
        events = broker.poll()
        asks = [t.ask for t in events.ticks]
        if not events.fills:
            assert all(a > limit for a in asks), "touched the limit without filling"
            continue
        assert min(asks) <= limit
        (update,) = events.order_updates
        assert update.client_id == "bl-1" and update.status is OrderStatus.FILLED
        (fill,) = events.fills
        assert fill.client_id == "bl-1" and fill.price == limit and fill.side is Side.BUY
        break
    else:
        raise AssertionError("the buy limit never triggered")
    assert broker.working_orders() == []
    (position,) = broker.positions()
    assert position.price_open == limit and position.volume == 0.2


def test_cancel_order_removes_a_working_order() -> None:
    clock = FakeClock()
    broker = make_broker(clock)
    q = latest_quote(broker, clock, "EURUSD")
    far = round(q.ask - 0.02, 5)
    ticket = broker.submit(
        OrderRequest("bl-2", "EURUSD", Side.BUY, 0.1, OrderType.LIMIT, price=far)
    ).broker_ticket
    assert ticket is not None
    assert [o.ticket for o in broker.working_orders()] == [ticket]
    cancelled = broker.cancel_order(ticket)
    assert cancelled.status is OrderStatus.CANCELLED
    assert broker.working_orders() == []
    again = broker.cancel_order(ticket)
    assert again.status is OrderStatus.REJECTED and str(ticket) in again.reason
    run(broker, clock, 30)
    assert broker.positions() == []


def test_pending_order_on_the_wrong_side_is_rejected() -> None:
    clock = FakeClock()
    broker = make_broker(clock)
    q = latest_quote(broker, clock, "EURUSD")
    above = round(q.ask + 0.001, 5)
    report = broker.submit(
        OrderRequest("bl-3", "EURUSD", Side.BUY, 0.1, OrderType.LIMIT, price=above)
    )
    assert report.status is OrderStatus.REJECTED
    assert "below" in report.reason
    assert broker.working_orders() == []


def _bid_after(seconds: float, poll_every: float, seed: int) -> float:
    clock = [1_700_000_000.0]
    broker = SimBroker(clock=lambda: clock[0], seed=seed)
    broker.connect()
    for _ in range(round(seconds / poll_every)):
        clock[0] += poll_every
        broker.poll()
    tick = broker.last_tick("EURUSD")
    assert tick is not None
    return tick.bid


def test_price_moves_as_much_when_polled_every_20_ms_as_every_15_s() -> None:
    """The engine polls every 20 ms; the market must not go quiet because of it.

    EURUSD at 7 % yearly volatility moves about 23 points (1 sigma) in 5 minutes.
    """
    seeds = range(10)
    fast = statistics.pstdev(_bid_after(300, 0.02, s) for s in seeds) / 1e-5
    slow = statistics.pstdev(_bid_after(300, 15.0, s) for s in seeds) / 1e-5
    assert 8 < fast < 60, f"5-minute dispersion {fast:.1f} points with 20 ms polls"
    assert 0.4 < fast / slow < 2.5


def test_a_seed_gives_the_newest_minutes_the_same_shape_at_any_time_of_day() -> None:
    """The minutes asked for come first from the seed; only the stretch back to midnight varies."""
    closes = []
    for hours in (0, 7, 23):
        broker = make_broker(FakeClock(START + hours * 3600), history_bars=300)
        closes.append(broker.history("EURUSD", Timeframe.M1, 300)["close"].tolist())
    assert closes[0] == closes[1] == closes[2]
