"""The engine's history jobs: live ticks recorded with their polls, the broker's history downloaded."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.brokers.base import PermanentBrokerError
from app.brokers.mt5.broker import Mt5Broker
from app.domain.history_jobs import (
    CancelDownload,
    DownloadHistory,
    DownloadProgress,
    RecordingState,
    StartTickRecording,
    StopTickRecording,
)
from app.domain.market import POLL_END, Tick
from app.domain.timeframes import Timeframe
from app.engine import history_jobs
from app.engine.core import TradingCore
from app.engine.history_jobs import HistoryJobs
from app.engine.history_writer import HistoryWriter
from app.history import HistoryStore
from app.settings import Mt5Settings
from tests.fakes import metatrader5 as mt5
from tests.published import Published
from tests.replay_market import START, Market


def _facts(out: Published, kind: type) -> list[Any]:
    return [f for f in out.other if isinstance(f, kind)]


# -- recording ----------------------------------------------------------------------------------


def test_recording_stores_every_tick_and_where_each_poll_ended(tmp_path: Path) -> None:
    market = Market(symbols=("EURUSD", "GBPUSD"))
    HistoryJobs(market.core, root=tmp_path, record=True)
    market.connect()  # one EURUSD tick at START, in a poll of its own
    polls: list[list[Tick]] = [[Tick("EURUSD", START * 1000, 1.1, 1.1001)]]
    for poll in range(30):
        fed = []
        for i in range(poll % 4 + 1):  # polls of 1 to 4 ticks, both symbols mixed
            symbol = "EURUSD" if (poll + i) % 3 else "GBPUSD"
            fed.append(
                market.tick(START + 1 + poll + i * 0.01, 1.1 + 1e-5 * (poll + i), symbol=symbol)
            )
        market.core.poll()
        polls.append(fed)
    market.core.disconnect()  # the engine stops: what was recorded is written first
    store = HistoryStore(tmp_path)
    for symbol in ("EURUSD", "GBPUSD"):
        rows = store.read_ticks(symbol)
        expected = [
            (t.time_msc, t.bid, t.ask) for poll in polls for t in poll if t.symbol == symbol
        ]
        assert (
            list(
                zip(
                    rows["time_msc"].tolist(),
                    rows["bid"].tolist(),
                    rows["ask"].tolist(),
                    strict=True,
                )
            )
            == expected
        )
        # The last tick of the symbol in each poll carries POLL_END, and no other does.
        last_of_poll = [
            i == max(j for j, u in enumerate(poll) if u.symbol == symbol)
            for poll in polls
            for i, t in enumerate(poll)
            if t.symbol == symbol
        ]
        assert ((rows["flags"] & POLL_END) != 0).tolist() == last_of_poll
        assert set((rows["flags"] & 0xFF).tolist()) == {6}  # MT5's bid | ask flags


def test_recording_is_off_until_switched_on_and_stops_when_told(tmp_path: Path) -> None:
    market = Market()
    HistoryJobs(market.core, root=tmp_path)
    market.connect()
    market.tick(START + 5, 1.1001, poll=True)
    market.core.handle(StartTickRecording(("EURUSD",)))
    market.tick(START + 6, 1.1002, poll=True)
    market.tick(START + 7, 1.1003, poll=True)
    market.core.handle(StopTickRecording())
    market.tick(START + 8, 1.1004, poll=True)
    market.core.disconnect()
    rows = HistoryStore(tmp_path).read_ticks("EURUSD")
    assert rows["bid"].tolist() == [1.1002, 1.1003]
    states = _facts(market.out, RecordingState)
    assert [s.recording for s in states][:2] == [True, False]
    assert states[-1].stored == 2 and states[-1].waiting == 0


class _StuckWriter(HistoryWriter):
    """A disk that hangs: jobs wait until the test lets them go."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.gate = threading.Event()

    def put(self, tag: str, job: Any) -> None:
        gate = self.gate

        def slow(store: Any) -> int:
            gate.wait(30)
            return int(job(store))

        super().put(tag, slow)


def test_a_stuck_disk_never_holds_up_a_poll_and_recording_stops_before_memory_runs_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_jobs, "MAX_WAITING", 40)
    monkeypatch.setattr(history_jobs, "FLUSH_TICKS", 10)
    market = Market()
    writer = _StuckWriter(tmp_path)
    HistoryJobs(market.core, root=tmp_path, record=True, writer=writer)
    market.connect()
    for i in range(100):  # every 10 ticks a batch goes to a writer that never finishes
        market.tick(START + 1 + i * 0.01, 1.1 + 1e-5 * i, poll=True)
    states = _facts(market.out, RecordingState)
    assert not states[-1].recording
    assert "ticks wait for the disk, which does not keep up" in states[-1].error
    assert any("Tick recording stopped" in m for m in market.out.messages())
    taken = states[-1].waiting  # recorded, held for the writer when recording stopped
    assert 40 < taken < 60
    writer.gate.set()  # the disk recovers: everything taken is written, nothing lost
    market.core.disconnect()
    assert len(HistoryStore(tmp_path).read_ticks("EURUSD")) == taken


# -- downloads ---------------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def terminal() -> Iterator[tuple[TradingCore, Published, _Clock]]:
    clock = _Clock()
    mt5.control.reset(clock=clock, ticks_per_second=0, history_bars=3000)
    out = Published()
    core = TradingCore(
        lambda: Mt5Broker(mt5, Mt5Settings(), ["EURUSD"], clock=clock), out, clock=clock
    )
    yield core, out, clock
    mt5.control.reset()


def _run_until_done(core: TradingCore, out: Published, clock: _Clock) -> DownloadProgress:
    """Poll as the engine does (its timer every 50 ms) until the download says it is done;
    the writer thread works in real time meanwhile."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        clock.now += 0.05
        core.poll()
        done = [p for p in _facts(out, DownloadProgress) if p.finished]
        if done:
            return done[-1]
        time.sleep(0.002)
    raise AssertionError("the download did not finish")


def test_bars_download_in_chunks_with_progress_into_the_store(
    terminal: tuple[TradingCore, Published, _Clock], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_jobs, "BAR_CHUNK", 500)
    core, out, clock = terminal
    HistoryJobs(core, root=tmp_path)
    assert core.connect()
    wanted = mt5.copy_rates_from_pos("EURUSD", mt5.TIMEFRAME_M1, 0, 3000)
    start, end = int(wanted["time"][100]), int(wanted["time"][2899])
    core.handle(DownloadHistory("EURUSD", "M1", start, end))
    final = _run_until_done(core, out, clock)
    stored = HistoryStore(tmp_path).read_bars("EURUSD", Timeframe.M1)
    assert stored["time"].tolist() == wanted["time"][100:2900].tolist()
    assert stored["close"].tolist() == wanted["close"][100:2900].tolist()
    assert (final.received, final.stored, final.error) == (2800, 2800, "")
    progress = _facts(out, DownloadProgress)
    assert len(progress) >= 6  # a fact per chunk of 500 minutes
    assert [p.share for p in progress] == sorted(p.share for p in progress)
    calls = [a for n, a, _ in mt5.control.calls if n == "copy_rates_range"]
    assert len(calls) >= 6


def test_ticks_download_from_the_terminal(
    terminal: tuple[TradingCore, Published, _Clock], tmp_path: Path
) -> None:
    core, out, clock = terminal
    HistoryJobs(core, root=tmp_path)
    assert core.connect()
    base = int(clock.now * 1000)
    for i in range(200):
        mt5.control.push_tick(
            "EURUSD", round(1.08 + 1e-5 * (i % 17), 5), time_msc=base + 1000 + 37 * i
        )
    core.handle(DownloadHistory("EURUSD", "ticks", int(clock.now), int(clock.now) + 60))
    final = _run_until_done(core, out, clock)
    terminal_ticks = mt5.control.ticks("EURUSD")
    mine = terminal_ticks[
        (terminal_ticks["time_msc"] >= base) & (terminal_ticks["time_msc"] <= base + 60_999)
    ]
    stored = HistoryStore(tmp_path).read_ticks("EURUSD")
    assert stored["time_msc"].tolist() == mine["time_msc"].tolist()
    assert stored["bid"].tolist() == mine["bid"].tolist()
    assert stored["volume"].tolist() == mine["volume_real"].tolist()
    assert final.stored == len(mine) >= 200


def test_a_download_is_cancelled_at_its_next_chunk(
    terminal: tuple[TradingCore, Published, _Clock], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_jobs, "BAR_CHUNK", 100)
    core, out, clock = terminal
    HistoryJobs(core, root=tmp_path)
    assert core.connect()
    rates = mt5.copy_rates_from_pos("EURUSD", mt5.TIMEFRAME_M1, 0, 3000)
    core.handle(DownloadHistory("EURUSD", "M1", int(rates["time"][0]), int(rates["time"][-1])))
    for _ in range(3):
        clock.now += 0.05
        core.poll()
    core.handle(CancelDownload())
    final = _run_until_done(core, out, clock)
    assert final.cancelled and final.finished
    assert 0 < final.stored < 3000
    assert len(HistoryStore(tmp_path).read_bars("EURUSD", Timeframe.M1)) == final.stored
    calls = len([1 for n, _a, _k in mt5.control.calls if n == "copy_rates_range"])
    for _ in range(5):  # nothing more is asked of the broker
        clock.now += 0.05
        core.poll()
    assert len([1 for n, _a, _k in mt5.control.calls if n == "copy_rates_range"]) == calls


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (DownloadHistory("NOSUCH", "M1", 0, 10), "no symbol 'NOSUCH' at this broker"),
        (DownloadHistory("EURUSD", "H2", 0, 10), "unknown timeframe 'H2'"),
        (DownloadHistory("EURUSD", "M1", 10, 0), "the range must end after it starts"),
    ],
)
def test_a_download_that_cannot_run_is_refused_in_words(
    terminal: tuple[TradingCore, Published, _Clock],
    tmp_path: Path,
    command: DownloadHistory,
    reason: str,
) -> None:
    core, out, _clock = terminal
    HistoryJobs(core, root=tmp_path)
    assert core.connect()
    core.handle(command)
    (progress,) = _facts(out, DownloadProgress)
    assert progress.finished and reason in progress.error
    assert any(f"Download refused: {reason}" in m for m in out.messages())


def test_a_broker_failure_ends_the_download_with_the_reason(
    terminal: tuple[TradingCore, Published, _Clock], tmp_path: Path
) -> None:
    core, out, clock = terminal
    HistoryJobs(core, root=tmp_path)
    assert core.connect()
    mt5.control.fail_next("copy_rates_range", -2)
    core.handle(DownloadHistory("EURUSD", "M1", int(clock.now) - 86_400, int(clock.now)))
    final = _run_until_done(core, out, clock)
    assert "downloading EURUSD M1 bars" in final.error
    assert final.stored == 0


def test_the_mt5_adapter_downloads_bars_and_ticks_as_the_store_keeps_them() -> None:
    clock = _Clock()
    mt5.control.reset(clock=clock, ticks_per_second=0, history_bars=500)
    try:
        broker = Mt5Broker(mt5, Mt5Settings(), ["EURUSD"], clock=clock)
        broker.connect()
        base = int(clock.now * 1000)
        mt5.control.push_tick("EURUSD", 1.08111, time_msc=base + 5)
        bars = broker.rates_range("EURUSD", Timeframe.M5, int(clock.now) - 3600, int(clock.now))
        assert bars is not None and len(bars) > 0 and bars.dtype.names[0] == "time"
        assert np.all(bars["time"] % 300 == 0)
        ticks = broker.ticks_range("EURUSD", base, base + 10)
        assert ticks is not None and ticks["bid"].tolist()[-1] == 1.08111
        assert ticks.dtype.names == ("time_msc", "bid", "ask", "last", "volume", "flags")
        mt5.control.fail_next("copy_ticks_range", -2)
        with pytest.raises(PermanentBrokerError):
            broker.ticks_range("EURUSD", base, base + 10)
    finally:
        mt5.control.reset()
