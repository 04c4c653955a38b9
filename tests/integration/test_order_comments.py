"""An order's own comment is what the trader reads, never the id the broker keeps for us.

MetaTrader 5's one comment field carries the order's client id (how an order is
found again, and known as ours after a restart); the comment the trader typed
is kept in the journal and shown in the positions and orders the window gets,
also after a restart. The core runs over the MT5 adapter and the fake terminal
with a real SQLite journal.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.brokers.mt5.broker import Mt5Broker
from app.domain.commands import SubmitOrder, is_client_id, new_client_id
from app.domain.enums import OrderType, Side
from app.domain.frame import MarketFrame
from app.domain.trading import OrderRequest
from app.engine.comments import TraderComments
from app.engine.core import TradingCore
from app.settings import Mt5Settings
from app.storage.journal import Journal
from tests.fakes import metatrader5 as mt5
from tests.integration.test_order_truth import Mt5Desk
from tests.published import Published


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Mt5Desk]:
    d = Mt5Desk(tmp_path)
    yield d
    d.journal.close()
    mt5.control.reset()


def _send(desk: Mt5Desk, comment: str = "", **kw: Any) -> str:
    client_id = new_client_id()
    request = OrderRequest(client_id, "EURUSD", Side.BUY, 0.1, comment=comment, **kw)
    desk.core.handle(SubmitOrder(request))
    return client_id


def _frame(desk: Mt5Desk) -> MarketFrame:
    desk.later()
    frame = desk.core.next_frame()
    assert frame is not None
    desk.core.frame_consumed(frame.seq)
    return frame


def test_the_positions_and_orders_show_the_trader_s_comment_not_the_order_id(
    desk: Mt5Desk,
) -> None:
    with_comment = _send(desk, "scalp A")
    without = _send(desk)
    resting = _send(desk, "dip buy", order_type=OrderType.LIMIT, price=1.05)
    at_broker = {p.comment for p in mt5.positions_get()} | {o.comment for o in mt5.orders_get()}
    assert at_broker == {with_comment, without, resting}  # the broker keeps our ids
    frame = _frame(desk)
    assert frame.positions is not None and frame.orders is not None
    assert sorted(p.comment for p in frame.positions) == ["", "scalp A"]
    assert [o.comment for o in frame.orders] == ["dip buy"]
    shown = [p.comment for p in frame.positions] + [o.comment for o in frame.orders]
    assert not any(is_client_id(c) for c in shown)


def test_after_a_restart_the_comments_come_from_the_journal(desk: Mt5Desk, tmp_path: Path) -> None:
    _send(desk, "swing 2")
    _frame(desk)
    desk.core.disconnect()
    desk.journal.close()
    # A new session over the same terminal and the same journal file.
    desk.journal = Journal.open(f"sqlite:///{tmp_path / 'journal.sqlite'}")
    desk.core = TradingCore(
        lambda: Mt5Broker(mt5, Mt5Settings(), ["EURUSD"], clock=desk.clock),
        Published(),
        journal=desk.journal,
        clock=desk.clock,
        monotonic=desk.monotonic,
    )
    assert desk.core.connect()
    frame = _frame(desk)
    assert frame.positions is not None
    assert [p.comment for p in frame.positions] == ["swing 2"]


def test_a_position_opened_elsewhere_keeps_the_broker_s_comment() -> None:
    comments = TraderComments(lookup=lambda client_id: None)
    assert comments.shown("grid EA #3") == "grid EA #3"  # not one of ours: as the broker has it
    asked: list[str] = []

    def journal(client_id: str) -> str | None:
        asked.append(client_id)
        return "from the journal"

    comments = TraderComments(lookup=journal)
    ours = new_client_id()
    assert comments.shown(ours) == "from the journal"
    assert comments.shown(ours) == "from the journal"
    assert asked == [ours]  # asked once, then remembered
    comments.note(ours, "typed")
    assert comments.shown(ours) == "typed"
