"""The paper account's file after a crash: leftovers are cleaned, damage is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.brokers.sim.broker import SimBroker
from app.brokers.sim.state import load_state
from app.domain.enums import Side
from app.domain.trading import OrderRequest


def _paper_account_with_a_position(path: Path) -> None:
    broker = SimBroker(state_path=path, history_bars=5, seed=3)
    broker.connect()
    broker.submit(OrderRequest("first", "EURUSD", Side.BUY, 0.1))
    broker.disconnect()


def test_a_temp_file_left_by_a_kill_mid_write_is_removed_at_connect(tmp_path: Path) -> None:
    path = tmp_path / "paper-account.json"
    _paper_account_with_a_position(path)
    orphan = tmp_path / "paper-account.json.k3x9_q.tmp"  # what save_state's mkstemp makes
    orphan.write_text('{"version": 1, "bal')  # killed half way through json.dump
    unrelated = tmp_path / "notes.json.tmp"
    unrelated.write_text("mine")

    broker = SimBroker(state_path=path, history_bars=5, seed=3)
    broker.connect()
    assert not orphan.exists()
    assert unrelated.read_text() == "mine"  # only the paper account's own leftovers
    assert [p.volume for p in broker.positions()] == [0.1]  # the last complete state


def test_a_damaged_file_is_named_as_damaged(tmp_path: Path) -> None:
    path = tmp_path / "paper-account.json"
    path.write_text('{"version": 1, "balance": ')
    with pytest.raises(ValueError) as info:
        load_state(path)
    assert str(info.value).startswith(f"The paper account file {path} is damaged (")


def test_a_directory_where_the_file_should_be_is_named(tmp_path: Path) -> None:
    path = tmp_path / "paper-account.json"
    path.mkdir()
    with pytest.raises(ValueError) as info:
        load_state(path)
    assert str(info.value) == (
        f"The paper account file {path} is a directory, not a paper account file"
    )


def test_set_aside_keeps_the_old_file_under_a_new_name(tmp_path: Path) -> None:
    from app.brokers.sim.state import set_aside

    path = tmp_path / "paper-account.json"
    path.write_text("damaged")
    moved = set_aside(path)
    assert moved is not None and moved.read_text() == "damaged"
    assert moved.name.startswith("paper-account.json.") and moved.name.endswith(".bak")
    assert not path.exists()
    assert set_aside(path) is None  # nothing left to move
