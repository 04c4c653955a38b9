"""Real files in a temporary folder, and a store of its own for every test."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.history import HistoryStore

MT5_BAR_HEADER = "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>"
MT5_DAILY_HEADER = "<DATE>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>"
MT5_TICK_HEADER = "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>"


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(tmp_path / "history")


def write_lines(path: Path, lines: list[str], *, newline: str = "\r\n") -> Path:
    """A file as MetaTrader 5 writes it on Windows (CRLF) unless told otherwise."""
    path.write_bytes(newline.join(lines).encode("utf-8") + newline.encode())
    return path
