"""The desk model and the order desk are plain Python: tested here without a QApplication."""

from __future__ import annotations

from datetime import UTC, datetime

from app.domain.commands import CancelAll, CloseAll, ClosePosition, Command, SubmitOrder
from app.domain.enums import OrderSource, Side, TradingState
from app.domain.frame import MarketFrame
from app.domain.market import Tick
from app.domain.risk_facts import RiskSnapshot, TradingStateChanged
from app.domain.trading import AccountState, Position
from app.ui.desk.model import DeskChange, DeskModel
from app.ui.desk.orders import OrderDesk, Proposal, Verdict, distance_stops
from tests.specs import fx_spec

T0_MS = 1_700_000_000_000


def model_with_eurusd() -> DeskModel:
    model = DeskModel()
    model.set_symbols([fx_spec("EURUSD"), fx_spec("GBPUSD")])
    model.select("EURUSD")
    model.apply_frame(
        MarketFrame(
            1,
            {"EURUSD": Tick("EURUSD", T0_MS, 1.08500, 1.08510)},
            {},
            1,
            account=AccountState("USD", 10_000, 10_000, 0, 10_000, 0, 0, 100),
        )
    )
    return model


class Recorder:
    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.asked: list[tuple[str, str]] = []
        self.sent: list[Command] = []
        self.reported: list[str] = []

    def confirm(self, title: str, text: str) -> bool:
        self.asked.append((title, text))
        return self.answer


def order_desk(model: DeskModel, recorder: Recorder, *, one_click: bool = False) -> OrderDesk:
    return OrderDesk(
        model,
        recorder.sent.append,
        confirm=recorder.confirm,
        default_volume=0.1,
        one_click=one_click,
        report=recorder.reported.append,
        clock=lambda: datetime(2026, 1, 5, 12, tzinfo=UTC),
    )


# -- the desk model --------------------------------------------------------------------


def test_a_frame_updates_the_one_copy_and_says_what_changed() -> None:
    model = model_with_eurusd()
    changes: list[DeskChange] = []
    model.subscribe(changes.append)
    gbp = Tick("GBPUSD", T0_MS + 1, 1.27000, 1.27012)
    position = Position(7, "EURUSD", Side.BUY, 0.1, 1.085, 1.0851, 1.0, T0_MS)
    model.apply_frame(MarketFrame(2, {"GBPUSD": gbp}, {}, 1, positions=(position,)))
    (change,) = changes
    assert dict(change.quotes) == {"GBPUSD": gbp}
    assert change.positions and not change.orders and not change.account and not change.risk
    assert set(model.quotes) == {"EURUSD", "GBPUSD"}  # the model keeps every quote
    assert model.position(7) is position and model.position(8) is None


def test_the_trading_state_follows_the_snapshot_and_a_state_fact_at_once() -> None:
    model = model_with_eurusd()
    changes: list[DeskChange] = []
    model.subscribe(changes.append)
    model.apply_fact(
        TradingStateChanged(
            TradingState.ACTIVE, TradingState.HALTED, "kill switch", OrderSource.MENU
        )
    )
    assert model.halted and model.state_reason == "kill switch" and changes[-1].state
    snapshot = RiskSnapshot(TradingState.HALTED, "kill switch", ())
    model.apply_frame(MarketFrame(3, {}, {}, 0, risk=snapshot))
    assert changes[-1].risk and not changes[-1].state  # same state: nothing to redraw
    model.apply_frame(MarketFrame(4, {}, {}, 0, risk=RiskSnapshot(TradingState.ACTIVE, "ok", ())))
    assert changes[-1].state and not model.halted


def test_selecting_a_symbol_tells_every_panel_once() -> None:
    model = model_with_eurusd()
    changes: list[DeskChange] = []
    model.subscribe(changes.append)
    assert model.select("GBPUSD") and model.symbol == "GBPUSD"
    assert not model.select("GBPUSD") and not model.select("XAUUSD")
    assert [c.symbol for c in changes] == [True]


# -- the order desk ----------------------------------------------------------------------


def test_what_is_confirmed_is_the_object_that_is_sent() -> None:
    model, seen = model_with_eurusd(), Recorder()
    desk = order_desk(model, seen)
    outcome = desk.submit("buy 0.2 sl 20p", OrderSource.TICKET)
    assert outcome.verdict is Verdict.SENT
    proposal = outcome.proposal
    assert proposal is not None
    ((title, text),) = seen.asked
    assert title == "Send order" and text == proposal.confirmation_text()
    assert seen.sent == list(proposal.commands)
    (command,) = seen.sent
    assert isinstance(command, SubmitOrder)
    request = command.request
    assert (request.symbol, request.volume, request.source) == ("EURUSD", 0.2, OrderSource.TICKET)
    assert request.sl == 1.08310  # 20 pips under the ask of the moment
    assert "SL 20p from the ask at confirmation, then fixed" in text


def test_a_declined_or_invalid_command_sends_nothing_and_says_why() -> None:
    model, seen = model_with_eurusd(), Recorder(answer=False)
    desk = order_desk(model, seen)
    assert desk.submit("sell 0.1", OrderSource.HOTKEY).verdict is Verdict.DECLINED
    refused = desk.submit("buy 0.1 eurusx", OrderSource.CHART)
    assert refused.verdict is Verdict.REFUSED and "eurusx" in refused.message
    assert seen.sent == [] and seen.reported == [refused.message]


def test_one_click_skips_the_question_but_bulk_commands_always_ask() -> None:
    model, seen = model_with_eurusd(), Recorder()
    desk = order_desk(model, seen, one_click=True)
    desk.submit("b", OrderSource.MENU)
    assert seen.asked == [] and len(seen.sent) == 1
    desk.submit("flat", OrderSource.HOTKEY)
    assert len(seen.asked) == 1 and "EVERYTHING" in seen.asked[0][1]
    assert [type(c) for c in seen.sent[1:]] == [CancelAll, CloseAll]
    assert {c.source for c in seen.sent[1:]} == {OrderSource.HOTKEY}  # type: ignore[union-attr]


def test_several_table_rows_are_confirmed_once() -> None:
    model, seen = model_with_eurusd(), Recorder()
    positions = tuple(
        Position(t, "EURUSD", Side.BUY, 0.1, 1.085, 1.0851, 1.0, T0_MS) for t in (7, 8)
    )
    model.apply_frame(MarketFrame(2, {}, {}, 0, positions=positions))
    desk = order_desk(model, seen)
    outcome = desk.submit_many(["close #7", "close #8"], OrderSource.TABLE)
    assert outcome.sent and len(seen.asked) == 1
    title, text = seen.asked[0]
    assert title == "Close positions" and text.endswith("Close these positions at market?")
    assert [(c.ticket, c.source) for c in seen.sent if isinstance(c, ClosePosition)] == [
        (7, OrderSource.TABLE),
        (8, OrderSource.TABLE),
    ]


def test_only_stops_typed_as_distances_are_measured_at_confirmation() -> None:
    assert distance_stops("buy 0.1 sl 20p tp 2r") == ["SL 20p", "TP 2r"]
    assert distance_stops("buy 0.1 sl 1.0850 tp 150pt") == ["TP 150pt"]
    model, seen = model_with_eurusd(), Recorder()
    desk = order_desk(model, seen)
    limit = desk.propose("buy 0.1 limit 1.08 sl 20p", OrderSource.TICKET, preview=True)
    assert isinstance(limit, Proposal) and limit.note == ""  # measured from the order's price
    sell = desk.propose("sell 0.1 sl 20p", OrderSource.TICKET, preview=True)
    assert isinstance(sell, Proposal)
    assert sell.note == "SL 20p from the bid at confirmation, then fixed"
    assert sell.summary.endswith(" · SL 20p from the bid at confirmation, then fixed")
