"""Mt5Broker against the fake terminal: every pitfall of the reference notes that applies.

The fake's market stands still (``ticks_per_second=0``) and its clock is ours, so
each test moves prices by hand and nothing depends on timing.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from app.brokers.base import OutcomeUnknownError, PermanentBrokerError, TransientBrokerError
from app.brokers.mt5 import mapping as m
from app.brokers.mt5.broker import Mt5Broker
from app.brokers.mt5.password import mt5_password
from app.brokers.registry import BrokerUnavailable, broker_factory
from app.domain.enums import OrderStatus, OrderType, Side
from app.domain.timeframes import Timeframe
from app.domain.trading import OrderRequest
from app.settings import Mt5Settings, Settings
from tests.fakes import metatrader5 as mt5
from tests.unit.test_fake_mt5_conformance import REFERENCE

SYMBOLS = ["EURUSD", "GBPUSD", "USDJPY", "XAUUSD"]
START = 1_700_000_000.25


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    c = Clock()
    mt5.control.reset(clock=c, ticks_per_second=0, history_bars=300)
    yield c
    mt5.control.reset()


def broker(clock: Clock, symbols: list[str] | None = None, **settings: Any) -> Mt5Broker:
    b = Mt5Broker(mt5, Mt5Settings(**settings), symbols or SYMBOLS, clock=clock)
    b.connect()
    return b


def order(symbol: str = "EURUSD", side: Side = Side.BUY, volume: float = 0.1, **kw: Any) -> OrderRequest:  # fmt: skip
    return OrderRequest(kw.pop("client_id", "tt-test-1"), symbol, side, volume, **kw)


def sent_requests() -> list[dict[str, Any]]:
    return [args[0] for name, args, _ in mt5.control.calls if name == "order_send"]


def call_names() -> list[str]:
    return [name for name, _, _ in mt5.control.calls]


# -- connecting (pitfalls 3, 4, 9, 11) -----------------------------------------------------


def test_initialize_gets_every_setting_and_the_password_is_never_logged(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    mt5.control.reset(clock=clock, ticks_per_second=0, password="s3cret-pw")
    caplog.set_level(logging.DEBUG)
    settings = Mt5Settings(
        terminal_path="C:\\MT5\\terminal64.exe", login=5_123_456, server="MetaQuotes-Demo",
        timeout_ms=5000, portable=True,
    )  # fmt: skip
    info = Mt5Broker(mt5, settings, SYMBOLS, password="s3cret-pw", clock=clock).connect()
    name, args, kwargs = mt5.control.calls[0]
    assert name == "initialize" and args == ("C:\\MT5\\terminal64.exe",)
    assert kwargs == {"login": 5_123_456, "password": "s3cret-pw", "server": "MetaQuotes-Demo",
                      "timeout": 5000, "portable": True}  # fmt: skip
    assert "s3cret-pw" not in caplog.text and "s3cret-pw" not in repr(info)


def test_a_wrong_password_stops_with_the_reason_in_words(clock: Clock) -> None:
    mt5.control.reset(clock=clock, password="right")
    b = Mt5Broker(mt5, Mt5Settings(login=5_123_456), SYMBOLS, password="wrong", clock=clock)
    with pytest.raises(PermanentBrokerError, match="Authorization failed: check the login"):
        b.connect()


def test_no_terminal_is_permanent_and_a_closed_terminal_is_worth_retrying(clock: Clock) -> None:
    mt5.control.reset(clock=clock, installed=False)
    with pytest.raises(PermanentBrokerError, match="Could not start or reach"):
        Mt5Broker(mt5, Mt5Settings(), SYMBOLS).connect()
    mt5.control.reset(clock=clock)
    mt5.control.disconnect()
    with pytest.raises(TransientBrokerError, match="-10004"):
        Mt5Broker(mt5, Mt5Settings(), SYMBOLS).connect()


def test_connect_reports_the_terminal_the_account_and_hedging(clock: Clock) -> None:
    info = Mt5Broker(mt5, Mt5Settings(), SYMBOLS, clock=clock).connect()
    assert info.hedging and info.account == "5123456" and info.currency == "USD"
    assert any("build 5120" in f for f in info.facts)
    assert any(f.startswith("Hedging account") for f in info.facts)
    assert info.warnings == ()


def test_netting_account_and_disabled_algo_trading_are_said_plainly(clock: Clock) -> None:
    mt5.control.reset(clock=clock, ticks_per_second=0, hedging=False)
    mt5.control.set_algo_trading(allowed=False, api_disabled=True)
    info = Mt5Broker(mt5, Mt5Settings(), SYMBOLS, clock=clock).connect()
    assert not info.hedging
    assert any(f.startswith("Netting account") for f in info.facts)
    assert any("'Algo Trading' button" in w for w in info.warnings)
    assert any("Python API is disabled" in w for w in info.warnings)


def test_orders_are_refused_in_words_while_algo_trading_is_off(clock: Clock) -> None:
    b = broker(clock)
    mt5.control.set_algo_trading(allowed=False)
    report = b.submit(order())
    assert report.status is OrderStatus.REJECTED
    assert "Algo trading is disabled in the MetaTrader 5 terminal" in report.reason
    mt5.control.set_algo_trading(allowed=True, api_disabled=True)
    assert "Python API is disabled" in b.submit(order()).reason


# -- symbols (pitfall 5) -----------------------------------------------------------------


def test_symbols_are_selected_in_market_watch_before_ticks_are_read(clock: Clock) -> None:
    assert mt5.initialize() and mt5.symbol_info_tick("EURUSD") is None  # not selected yet
    del mt5.control.calls[:]
    broker(clock)
    names = call_names()
    for symbol in SYMBOLS:
        selected = names.index("symbol_select")
        assert selected < names.index("symbol_info_tick")
        assert mt5.symbol_info(symbol).select


def test_specs_come_from_symbol_info(clock: Clock) -> None:
    specs = {s.name: s for s in broker(clock).symbols()}
    gold, pound, yen = specs["XAUUSD"], specs["GBPUSD"], specs["USDJPY"]
    assert (gold.digits, gold.point, gold.contract_size) == (2, 0.01, 100)
    assert (gold.stops_level, gold.freeze_level, gold.volume_max) == (50, 10, 50.0)
    assert pound.filling_modes == ("ioc",) and yen.filling_modes == ("fok",)
    assert gold.trade_mode == "full" and "close by" in gold.order_modes
    assert yen.profit_currency == "JPY" and yen.tick_value > 0


def test_an_unknown_symbol_is_left_out_with_a_warning(clock: Clock) -> None:
    b = Mt5Broker(mt5, Mt5Settings(), ["EURUSD", "NOSUCH"], clock=clock)
    info = b.connect()
    assert [s.name for s in b.symbols()] == ["EURUSD"]
    assert any("NOSUCH is not offered" in w for w in info.warnings)


# -- ticks: none lost, none twice (pitfall 12: tz-aware UTC) ----------------------------------


def test_ticks_arrive_once_each_even_when_they_share_a_millisecond(clock: Clock) -> None:
    b = broker(clock, ["EURUSD"])
    ms = int(START * 1000) + 500
    mt5.control.push_tick("EURUSD", 1.08001, time_msc=ms)
    mt5.control.push_tick("EURUSD", 1.08002, time_msc=ms)
    first = b.poll().ticks
    mt5.control.push_tick("EURUSD", 1.08003, time_msc=ms)  # same millisecond, new quote
    mt5.control.push_tick("EURUSD", 1.08002, time_msc=ms + 1)
    second = b.poll().ticks
    assert [t.bid for t in first] == [1.08001, 1.08002]
    assert [(t.time_msc, t.bid) for t in second] == [(ms, 1.08003), (ms + 1, 1.08002)]
    assert b.poll().ticks == []


def test_every_tick_the_terminal_has_is_delivered_in_order(clock: Clock) -> None:
    b = broker(clock, ["EURUSD"])
    seen = []
    for i in range(60):
        clock.now += 0.01 * (i % 3)
        mt5.control.push_tick("EURUSD", 1.08 + (i % 7) * 1e-5)
        if i % 5 == 0:
            seen += b.poll().ticks
    seen += b.poll().ticks
    terminal = mt5.control.ticks("EURUSD")
    expected = [(int(r["time_msc"]), float(r["bid"])) for r in terminal[1:]]  # after connect
    assert [(t.time_msc, t.bid) for t in seen] == expected


def test_ticks_are_asked_from_a_tz_aware_utc_time(clock: Clock) -> None:
    b = broker(clock, ["EURUSD"])
    b.poll()
    args = next(a for n, a, _ in reversed(mt5.control.calls) if n == "copy_ticks_from")
    assert isinstance(args[1], datetime) and args[1].tzinfo is UTC
    assert args[1].timestamp() == pytest.approx(START, abs=0.001)


def test_when_copy_ticks_fails_the_latest_quote_is_used(clock: Clock) -> None:
    b = broker(clock, ["EURUSD"])
    clock.now += 1
    mt5.control.push_tick("EURUSD", 1.09)
    mt5.control.fail_next("copy_ticks_from", -1)
    ticks = b.poll().ticks
    assert [t.bid for t in ticks] == [1.09]
    assert b.poll().ticks == []  # not delivered again


# -- bars (pitfall 13) ---------------------------------------------------------------------


def test_history_beyond_max_bars_is_paged_by_date_range(clock: Clock) -> None:
    mt5.control.reset(clock=clock, ticks_per_second=0, history_bars=450, maxbars=100)
    b = broker(clock, ["EURUSD"])
    rates = b.history("EURUSD", Timeframe.M1, 400)
    assert len(rates) == 400
    assert set(map(int, rates["time"][1:] - rates["time"][:-1])) == {60}
    assert rates["time"][-1] == mt5.copy_rates_from_pos("EURUSD", 1, 0, 1)["time"][0]
    for name, args, _ in mt5.control.calls:
        if name == "copy_rates_from_pos":
            assert args[2] + args[3] <= 100
        if name == "copy_rates_range":
            assert all(a.tzinfo is UTC for a in args[2:])


def test_history_of_higher_timeframes_uses_the_real_constants(clock: Clock) -> None:
    b = broker(clock, ["EURUSD"])
    rates = b.history("EURUSD", Timeframe.H1, 10)
    assert len(rates) == 6 and all(int(t) % 3600 == 0 for t in rates["time"])
    tf = next(a[1] for n, a, _ in mt5.control.calls if n == "copy_rates_from_pos")
    assert tf == mt5.TIMEFRAME_H1 == 16385


# -- sending orders (pitfalls 6, 7, 8, 10) ----------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "filling"), [("EURUSD", 0), ("GBPUSD", 1), ("USDJPY", 0)]
)  # FOK|IOC -> FOK, IOC only -> IOC, FOK only -> FOK
def test_the_filling_enum_follows_the_symbols_bit_mask(clock: Clock, symbol: str, filling: int) -> None:  # fmt: skip
    report = broker(clock).submit(order(symbol))
    assert report.status is OrderStatus.FILLED
    assert sent_requests()[-1]["type_filling"] == filling


def test_passing_the_bit_mask_itself_is_what_the_terminal_refuses(clock: Clock) -> None:
    broker(clock)
    result = mt5.order_send(
        {"action": 1, "symbol": "GBPUSD", "volume": 0.1, "type": 0, "type_filling": 2}
    )  # GBPUSD's filling_mode is 2 (IOC bit); 2 as an enum is RETURN
    assert result.retcode == mt5.TRADE_RETCODE_INVALID_FILL
    assert "filling mode" in m.retcode_words(result.retcode)


def test_a_request_carries_our_settings_and_client_id(clock: Clock) -> None:
    b = broker(clock, deviation_points=15, magic=777)
    long_id = "tt-" + "x" * 40
    report = b.submit(order(volume=0.1000000001, client_id=long_id, sl=1.0, tp=1.2))
    assert report.status is OrderStatus.FILLED
    req = sent_requests()[-1]
    assert (req["deviation"], req["magic"], req["volume"]) == (15, 777, 0.1)
    assert req["comment"] == long_id[:31] and len(req["comment"]) == 31
    assert (req["sl"], req["tp"]) == (1.0, 1.2)
    assert mt5.positions_get()[0].comment == long_id[:31]


def test_order_check_runs_first_and_a_refusal_is_never_sent(clock: Clock) -> None:
    b = broker(clock)
    bid = mt5.symbol_info_tick("EURUSD").bid
    report = b.submit(order(sl=round(bid - 0.00002, 5)))  # inside the 10-point stops level
    assert report.status is OrderStatus.REJECTED
    assert "stop loss or take profit too close" in report.reason and "10016" in report.reason
    assert "order_check" in call_names() and sent_requests() == []


@pytest.mark.parametrize(
    ("symbols", "request_kw", "words"),
    [
        (["EURUSD"], {"volume": 90.0}, "Not enough money (MT5 10019"),
        (["EURUSD"], {"volume": 0.001}, "Invalid volume for this symbol (MT5 10014)"),
        (["US500"], {"symbol": "US500", "volume": 1.0}, "The market is closed (MT5 10018"),
    ],
)
def test_rejections_carry_the_retcode_in_words(
    clock: Clock, symbols: list[str], request_kw: dict[str, Any], words: str
) -> None:
    report = broker(clock, symbols).submit(order(**request_kw))
    assert report.status is OrderStatus.REJECTED and words in report.reason


def test_every_retcode_and_error_code_has_words() -> None:
    for name, value in REFERENCE["constants"].items():
        if name.startswith("TRADE_RETCODE_"):
            assert value in m.RETCODE_WORDS, name
        if name.startswith("RES_"):
            assert value in m.ERROR_WORDS, name


def test_none_from_order_send_is_read_through_last_error(clock: Clock) -> None:
    b = broker(clock)
    mt5.control.fail_next("order_send", -2)
    report = b.submit(order())
    assert report.status is OrderStatus.REJECTED
    assert "Invalid arguments" in report.reason and "-2" in report.reason


def test_a_requote_is_sent_again_at_the_new_price_within_the_deviation(clock: Clock) -> None:
    b = broker(clock, deviation_points=10)
    mt5.control.requote_next(2, move_points=3)
    report = b.submit(order())
    assert report.status is OrderStatus.FILLED and len(sent_requests()) == 3
    assert sent_requests()[-1]["price"] == pytest.approx(sent_requests()[0]["price"] + 6e-5)
    notices = b.poll().notices
    assert len(notices) == 2 and "sending again" in notices[0].message


def test_a_requote_beyond_the_deviation_is_not_chased(clock: Clock) -> None:
    b = broker(clock, deviation_points=10)
    mt5.control.requote_next(1, mt5.TRADE_RETCODE_PRICE_CHANGED, move_points=25)
    report = b.submit(order())
    assert report.status is OrderStatus.REJECTED and len(sent_requests()) == 1
    assert "moved 25 points, more than the allowed deviation of 10" in report.reason


def test_pending_orders_modify_and_cancel(clock: Clock) -> None:
    b = broker(clock)
    ask = mt5.symbol_info_tick("EURUSD").ask
    report = b.submit(order(order_type=OrderType.LIMIT, price=round(ask - 0.001, 5)))
    assert report.status is OrderStatus.WORKING
    assert sent_requests()[-1]["type_filling"] == mt5.ORDER_FILLING_RETURN
    ticket = report.broker_ticket
    assert ticket is not None
    moved = b.modify_order(ticket, round(ask - 0.002, 5), round(ask - 0.003, 5), None)
    assert moved.status is OrderStatus.WORKING
    [working] = b.working_orders()
    assert (working.price, working.sl, working.tp) == (round(ask - 0.002, 5), round(ask - 0.003, 5), None)  # fmt: skip
    wrong_side = b.modify_order(ticket, round(ask + 0.002, 5), None, None)
    assert "Invalid price (MT5 10015)" in wrong_side.reason
    assert b.cancel_order(ticket).status is OrderStatus.CANCELLED
    assert b.working_orders() == []


# -- closing: hedging vs netting (pitfall 9), partial close, close-by --------------------------


def test_hedging_closes_part_of_one_position_by_its_ticket(clock: Clock) -> None:
    b = broker(clock)
    first = b.submit(order(volume=0.3)).fills[0].position_ticket
    b.submit(order(volume=0.1, client_id="tt-test-2"))
    report = b.close_position(first, 0.1, "tt-close")
    assert report.status is OrderStatus.FILLED and report.fills[0].closes_position
    assert sent_requests()[-1]["position"] == first
    volumes = sorted(p.volume for p in b.positions())
    assert volumes == [0.1, 0.2]


def test_netting_reduces_and_reverses_the_one_position(clock: Clock) -> None:
    mt5.control.reset(clock=clock, ticks_per_second=0, hedging=False)
    b = broker(clock)
    ticket = b.submit(order(volume=0.3)).fills[0].position_ticket
    b.close_position(ticket, 0.1, "tt-reduce")
    assert "position" not in sent_requests()[-1]
    [p] = b.positions()
    assert (p.ticket, p.side, p.volume) == (ticket, Side.BUY, 0.2)
    reverse = b.submit(order(side=Side.SELL, volume=0.5, client_id="tt-reverse"))
    assert reverse.fills[0].closes_position  # the INOUT deal closes the long...
    [p] = b.positions()
    assert (p.ticket, p.side, p.volume) == (ticket, Side.SELL, 0.3)  # ...and opens short


def test_close_by_on_hedging_and_refused_on_netting(clock: Clock) -> None:
    b = broker(clock)
    long = b.submit(order(volume=0.2)).fills[0].position_ticket
    short = b.submit(order(side=Side.SELL, volume=0.1, client_id="t2")).fills[0].position_ticket
    report = b.close_by(long, short, "tt-closeby")
    assert report.status is OrderStatus.FILLED
    assert [(p.ticket, p.volume) for p in b.positions()] == [(long, 0.1)]
    mt5.control.reset(clock=clock, ticks_per_second=0, hedging=False)
    assert "hedging account" in broker(clock).close_by(1, 2, "x").reason


def test_sl_tp_are_set_and_removed_and_bad_ones_refused(clock: Clock) -> None:
    b = broker(clock)
    ticket = b.submit(order()).fills[0].position_ticket
    bid = mt5.symbol_info_tick("EURUSD").bid
    assert b.modify_position(ticket, round(bid - 0.005, 5), None).status is OrderStatus.WORKING
    assert b.positions()[0].sl == round(bid - 0.005, 5)
    assert b.modify_position(ticket, None, None).status is OrderStatus.WORKING
    assert b.positions()[0].sl is None
    wrong = b.modify_position(ticket, round(bid + 0.005, 5), None)  # above the bid of a buy
    assert wrong.status is OrderStatus.REJECTED and "10016" in wrong.reason


# -- the account changing on its own ---------------------------------------------------


def test_trades_made_outside_show_up_within_one_poll(clock: Clock) -> None:
    b = broker(clock)
    ticket = mt5.control.open_external_position("EURUSD", True, 0.2)
    events = b.poll()
    assert events.state_changed and [f.position_ticket for f in events.fills] == [ticket]
    assert events.fills[0].reason == "mobile app" and events.fills[0].client_id == ""
    assert "outside Tradeterm" in events.notices[0].message
    assert [p.ticket for p in b.positions()] == [ticket]
    mt5.control.close_external_position(ticket)
    events = b.poll()
    assert events.fills[0].closes_position and b.positions() == []
    assert not b.poll().state_changed


def test_a_stop_loss_hit_is_reported_as_a_fill_of_our_order(clock: Clock) -> None:
    b = broker(clock)
    bid = mt5.symbol_info_tick("EURUSD").bid
    b.submit(order(sl=round(bid - 0.001, 5)))
    mt5.control.push_tick("EURUSD", bid - 0.002)
    fill = b.poll().fills[0]
    assert fill.closes_position and fill.reason == "stop loss" and fill.client_id == "tt-test-1"


def test_a_triggered_pending_order_reports_filled_with_our_client_id(clock: Clock) -> None:
    b = broker(clock)
    ask = mt5.symbol_info_tick("EURUSD").ask
    b.submit(order(order_type=OrderType.STOP, price=round(ask + 0.001, 5), client_id="tt-stop"))
    mt5.control.push_tick("EURUSD", ask + 0.002)
    events = b.poll()
    [update] = events.order_updates
    assert (update.client_id, update.status) == ("tt-stop", OrderStatus.FILLED)
    assert events.fills[0].client_id == "tt-stop"


# -- losing the terminal (pitfalls 2, 4, 10) ------------------------------------------------


def test_losing_the_terminal_or_its_server_is_a_transient_error(clock: Clock) -> None:
    b = broker(clock)
    mt5.control.lose_server()
    with pytest.raises(TransientBrokerError, match="trade server"):
        b.poll()
    mt5.control.restore_server()
    mt5.control.disconnect()
    with pytest.raises(TransientBrokerError, match="No IPC connection"):
        b.poll()


def test_after_reconnecting_the_ticks_and_trades_of_the_outage_arrive(clock: Clock) -> None:
    b = broker(clock, ["EURUSD"])
    mt5.control.disconnect()
    clock.now += 5
    mt5.control.push_tick("EURUSD", 1.091)
    ticket = mt5.control.open_external_position("EURUSD", False, 0.1)
    mt5.control.reconnect()
    b.connect()
    events = b.poll()
    assert [t.bid for t in events.ticks][-1] == 1.091
    assert [f.position_ticket for f in events.fills] == [ticket]


def test_a_lost_answer_is_looked_up_not_resent(clock: Clock) -> None:
    b = broker(clock)
    mt5.control.lose_next_reply()
    report = b.submit(order())
    assert report.status is OrderStatus.FILLED and len(sent_requests()) == 1
    assert len(b.positions()) == 1
    assert "answer was lost" in b.poll().notices[0].message


def test_a_lost_answer_with_the_connection_is_unknown_until_checked(clock: Clock) -> None:
    b = broker(clock)
    mt5.control.lose_next_reply(then_disconnect=True)
    with pytest.raises(OutcomeUnknownError) as lost:
        b.submit(order(client_id="tt-lost"))
    assert lost.value.client_id == "tt-lost"
    mt5.control.reconnect()
    b.connect()
    outcome = b.order_outcome("tt-lost")
    assert outcome is not None and outcome.status is OrderStatus.FILLED
    assert len(sent_requests()) == 1
    assert b.order_outcome("tt-never-sent") is None


def test_only_the_thread_that_connected_may_call(clock: Clock) -> None:
    b = broker(clock)
    errors: list[BaseException] = []

    def other() -> None:
        try:
            b.poll()
        except RuntimeError as exc:
            errors.append(exc)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert errors and "second thread" in str(errors[0])


def test_the_terminals_margin_figure_is_offered_to_the_risk_gate(clock: Clock) -> None:
    b = broker(clock)
    margin = b.order_margin("EURUSD", Side.BUY, 1.0, 1.085)
    assert margin == pytest.approx(1085.0)


# -- the password and the developer switch ------------------------------------------------


class FakeKeyring:
    def __init__(self, stored: dict[tuple[str, str], str] | None = None, broken: bool = False):
        self.stored, self.broken = stored or {}, broken

    def get_password(self, service: str, user: str) -> str | None:
        if self.broken:
            raise RuntimeError("no keyring backend")
        return self.stored.get((service, user))


def test_the_password_comes_from_the_keyring_then_the_environment(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    ring = FakeKeyring({("Tradeterm", "5123456"): "from-keyring"})
    env = {"TRADETERM_MT5_PASSWORD": "from-env"}
    assert mt5_password(5123456, environ=env, keyring_module=ring) == "from-keyring"
    assert mt5_password(777, environ=env, keyring_module=ring) == "from-env"
    assert mt5_password(5123456, environ=env, keyring_module=FakeKeyring(broken=True)) == "from-env"
    assert mt5_password(5123456, environ={}, keyring_module=FakeKeyring()) is None
    assert "from-keyring" not in caplog.text and "from-env" not in caplog.text


def test_the_factory_uses_the_switch_or_stops_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(broker={"kind": "mt5"})  # type: ignore[arg-type]
    monkeypatch.setenv("TRADETERM_MT5_MODULE", "tests.fakes.metatrader5")
    assert isinstance(broker_factory(settings)(), Mt5Broker)
    monkeypatch.setenv("TRADETERM_MT5_MODULE", "no.such.module")
    with pytest.raises(BrokerUnavailable, match=r"TRADETERM_MT5_MODULE=no\.such\.module") as stop:
        broker_factory(settings)
    assert "\n" not in str(stop.value)


@pytest.mark.skipif(
    importlib.util.find_spec("MetaTrader5") is not None,
    reason="the MetaTrader5 package is installed here (tests/unit/test_real_mt5_package.py)",
)
def test_without_the_package_mt5_stops_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRADETERM_MT5_MODULE", raising=False)
    settings = Settings(broker={"kind": "mt5"})  # type: ignore[arg-type]
    with pytest.raises(BrokerUnavailable, match="runs on Windows only") as stop:
        broker_factory(settings)
    assert "\n" not in str(stop.value)
