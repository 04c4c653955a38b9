"""The same MA cross in an independent backtester, on real market data, trades the same.

``backtesting`` (backtesting.py, a test-only dependency) ships 5,000 real EURUSD
hourly bars (2017-04-19 to 2018-02-07). Its SMA 10/30 cross — close any
position and go long when the fast SMA crosses above the slow one, short when
below — fills market orders at the next bar's open, as Tradeterm's open-prices
model does. With no spread and no commission, ``tradeterm test ma_cross``
must make exactly its trades: as many, entered and left at the same times and
prices. The last one is still open when the data ends: both close it at the
last bar's open, the last price either offers; Tradeterm marks it "end of test".
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from app.cli import main
from app.domain.market import RATES_DTYPE
from app.domain.timeframes import Timeframe
from app.history import HistoryStore

backtesting = pytest.importorskip("backtesting")


def _their_trades() -> pd.DataFrame:
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover
    from backtesting.test import EURUSD

    def sma(values: np.ndarray, n: int) -> pd.Series:
        return pd.Series(values).rolling(n).mean()

    class SmaCross(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            self.fast = self.I(sma, self.data.Close, 10)
            self.slow = self.I(sma, self.data.Close, 30)

        def next(self) -> None:
            if crossover(self.fast, self.slow):
                self.position.close()
                self.buy()
            elif crossover(self.slow, self.fast):
                self.position.close()
                self.sell()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = Backtest(
            EURUSD, SmaCross, cash=1_000_000, commission=0, spread=0, margin=1, finalize_trades=True
        ).run()
    return run._trades.sort_values("EntryTime").reset_index(drop=True)


def _store_eurusd(store: HistoryStore) -> None:
    from backtesting.test import EURUSD

    rates = np.zeros(len(EURUSD), dtype=RATES_DTYPE)
    rates["time"] = EURUSD.index.values.astype("datetime64[s]").astype(np.int64)
    for column in ("Open", "High", "Low", "Close"):
        rates[column.lower()] = EURUSD[column].to_numpy()
    rates["tick_volume"] = EURUSD["Volume"].to_numpy()
    store.write_bars("EURUSD", Timeframe.H1, rates)


def _msc(moment: pd.Timestamp) -> int:
    return int(moment.tz_localize("UTC").timestamp() * 1000)


def test_ma_cross_trades_as_backtesting_py_does_on_real_eurusd(home: Path) -> None:
    _store_eurusd(HistoryStore())
    out = home / "result.json"
    code = main(
        [
            "test", "ma_cross", "--symbol", "EURUSD", "--timeframe", "H1", "--model", "open",
            "--spread", "0", "--commission", "0", "--param", "fast=10", "--param", "slow=30",
            "--json", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    ours = json.loads(out.read_text(encoding="utf-8"))["trades"]
    theirs = _their_trades()
    assert len(ours) == len(theirs) == 167
    for i, (mine, row) in enumerate(zip(ours, theirs.itertuples(), strict=True)):
        assert mine["side"] == ("long" if row.Size > 0 else "short"), i
        assert mine["entry_time_msc"] == _msc(row.EntryTime), i
        assert mine["entry_price"] == pytest.approx(row.EntryPrice, abs=1e-9), i
        assert mine["exit_time_msc"] == _msc(row.ExitTime), i
        assert mine["exit_price"] == pytest.approx(row.ExitPrice, abs=1e-9), i
    assert [t["reason"] for t in ours] == ["strategy"] * 166 + ["end of test"]
    assert ours[-1]["exit_price"] == pytest.approx(1.23427)  # the open of 2018-02-07 15:00
