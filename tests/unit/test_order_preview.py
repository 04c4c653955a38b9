"""The preview: the money an order ties up and puts at risk, worked out by hand."""

from __future__ import annotations

import pytest

from app.brokers.sim.broker import DEFAULT_MARKETS
from app.domain.enums import OrderType, Side, TimeInForce
from app.domain.market import Tick
from app.domain.normalize import clamp_volume, pip_size, step_volume
from app.domain.order_preview import preview_order
from app.domain.trading import OrderRequest

SPECS = {name: market.spec for name, market in DEFAULT_MARKETS.items()}
QUOTES = {
    "EURUSD": Tick("EURUSD", 1, 1.08500, 1.08510),
    "USDJPY": Tick("USDJPY", 1, 150.000, 150.010),
    "XAUUSD": Tick("XAUUSD", 1, 2340.00, 2340.30),
}


def preview(request: OrderRequest, quotes: dict[str, Tick] = QUOTES):  # type: ignore[no-untyped-def]
    return preview_order(request, SPECS[request.symbol], SPECS, quotes, "USD", 100)


def test_market_buy_margin_risk_and_reward_in_dollars() -> None:
    # 0.5 lot = 50,000 EUR at the ask 1.08510, 1:100 → 542.55 USD margin.
    # SL 1.08400 is 11 pips below the entry: 50,000 × 0.0011 = 55 USD at risk.
    # TP 1.09500 is 99 pips above: 495 USD.
    p = preview(OrderRequest("c", "EURUSD", Side.BUY, 0.5, sl=1.084, tp=1.095))
    assert p.entry == 1.08510
    assert p.margin == pytest.approx(542.55)
    assert p.risk == pytest.approx(55.0)
    assert p.reward == pytest.approx(495.0)
    assert p.text(SPECS["EURUSD"]) == (
        "BUY 0.50 EURUSD market ≈1.08510 · SL 1.08400 (-55.00 USD) · "
        "TP 1.09500 (+495.00 USD) · margin 542.55 USD"
    )


def test_sell_limit_on_yen_converts_the_risk_to_dollars() -> None:
    # Sell 1 lot USDJPY at 151.000, SL 151.500: 100,000 × 0.5 = 50,000 JPY; / 150.005 = 333.32 USD.
    r = OrderRequest(
        "c", "USDJPY", Side.SELL, 1.0, OrderType.LIMIT, price=151.0, sl=151.5,
        time_in_force=TimeInForce.DAY,
    )  # fmt: skip
    p = preview(r)
    assert p.entry == 151.0
    assert p.risk == pytest.approx(50_000 / 150.005, abs=0.01)
    # Notional 100,000 × 151 JPY in dollars at the mid 150.005, at 1:100 (domain pnl rule).
    assert p.margin == pytest.approx(100_000 * 151 / 150.005 / 100)
    text = p.text(SPECS["USDJPY"])
    assert text.startswith("SELL 1.00 USDJPY limit 151.000 · SL 151.500 (-333.32 USD)")
    assert "no SL" not in text and "expires end of day" in text


def test_stop_limit_risk_is_measured_from_its_limit_price() -> None:
    r = OrderRequest(
        "c", "XAUUSD", Side.BUY, 0.1, OrderType.STOP_LIMIT, price=2350.0, stop_limit=2348.0,
        sl=2338.0,
    )  # fmt: skip
    p = preview(r)
    assert p.entry == 2348.0
    assert p.risk == pytest.approx(100.0)  # 10 oz × 10 USD
    assert "stop-limit 2350.00 → limit 2348.00" in p.text(SPECS["XAUUSD"])


def test_no_quote_leaves_market_money_unknown_without_failing() -> None:
    p = preview(OrderRequest("c", "EURUSD", Side.BUY, 0.1, sl=1.08), quotes={})
    assert p.entry is None and p.margin is None and p.risk is None
    assert p.text(SPECS["EURUSD"]).startswith("BUY 0.10 EURUSD market · SL 1.08000")


def test_pips_volume_steps_and_clamping() -> None:
    eurusd, jpy, gold = SPECS["EURUSD"], SPECS["USDJPY"], SPECS["XAUUSD"]
    assert pip_size(eurusd) == pytest.approx(0.0001)
    assert pip_size(jpy) == pytest.approx(0.01)
    assert pip_size(gold) == pytest.approx(0.01)
    assert step_volume(eurusd, 0.10, 1) == 0.11
    assert step_volume(eurusd, 0.01, -1) == 0.01  # never below the minimum
    assert step_volume(eurusd, 100.0, 1) == 100.0  # never above the maximum
    assert clamp_volume(eurusd, 0.014) == 0.01
    assert clamp_volume(eurusd, float("nan")) == 0.01
