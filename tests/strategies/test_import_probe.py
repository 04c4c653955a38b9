"""A strategy file that hangs or ends its process at import never reaches the engine.

Real child processes (spawn, as on Windows), real files in a user data folder.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.strategies import import_probe
from app.strategies.catalog import load_catalog
from app.strategies.setup import CHECKED_FILES, install_strategies
from tests.replay_market import Market

GOOD = """
from app.strategies.base import Strategy


class Good(Strategy):
    key = "good"
    title = "Good"
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "strategies"
    path.mkdir()
    (path / "good.py").write_text(GOOD, encoding="utf-8")
    return path


def test_a_file_looping_at_import_is_refused_in_one_line_and_the_others_load(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_probe, "IMPORT_LIMIT_S", 2.0)
    (folder / "a_loop.py").write_text("while True:\n    pass\n", encoding="utf-8")
    started = time.monotonic()
    catalog = load_catalog(folder, entry_points=False, checked=tmp_path / "checked.json")
    assert time.monotonic() - started < 60
    assert catalog.problems == [
        "strategies/a_loop.py: cannot be loaded (its import did not finish within 2 s "
        "(a loop at import?))"
    ]
    assert "good" in catalog.classes


def test_a_file_ending_its_process_at_import_is_refused_and_the_terminal_lives_on(
    folder: Path, tmp_path: Path
) -> None:
    (folder / "exits.py").write_text("import os\nos._exit(3)\n", encoding="utf-8")
    catalog = load_catalog(folder, entry_points=False, checked=tmp_path / "checked.json")
    assert catalog.problems == [
        "strategies/exits.py: cannot be loaded (it ended its process while being imported "
        "(exit code 3))"
    ]
    assert "good" in catalog.classes


def test_a_file_that_passed_is_not_tried_again_until_it_changes(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = tmp_path / "checked.json"
    tried: list[list[str]] = []
    real = import_probe._probe

    def counting(files: list[tuple[Path, bytes]], *args: float) -> tuple[int, str | None]:
        tried.append([p.name for p, _source in files])
        return real(files, *args)

    monkeypatch.setattr(import_probe, "_probe", counting)
    assert "good" in load_catalog(folder, entry_points=False, checked=checked).classes
    assert "good" in load_catalog(folder, entry_points=False, checked=checked).classes
    assert tried == [["good.py"]], "an unchanged file cost a process on every start"

    (folder / "good.py").write_text(GOOD + "\nimport os\nos._exit(1)\n", encoding="utf-8")
    catalog = load_catalog(folder, entry_points=False, checked=checked)
    assert tried == [["good.py"], ["good.py"]]
    assert catalog.classes.keys().isdisjoint({"good"})
    assert "exit code 1" in catalog.problems[0]


def test_errors_a_file_raises_are_still_told_by_the_engines_own_import(
    folder: Path, tmp_path: Path
) -> None:
    (folder / "broken.py").write_text("x = 1\nraise ValueError('bad file')\n", encoding="utf-8")
    catalog = load_catalog(folder, entry_points=False, checked=tmp_path / "checked.json")
    assert catalog.problems == [
        "strategies/broken.py: cannot be loaded (ValueError: bad file (line 2))"
    ]


def test_the_terminals_engine_connects_past_a_hanging_file_and_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_probe, "IMPORT_LIMIT_S", 2.0)
    data = tmp_path / "data"
    (data / "strategies").mkdir(parents=True)
    (data / "strategies" / "hangs.py").write_text(
        "import time\nwhile True:\n    time.sleep(0.01)\n", encoding="utf-8"
    )
    market = Market()
    install_strategies(market.core, data)
    market.connect()
    assert any(
        e.message.startswith(
            "Strategy not loaded: strategies/hangs.py: cannot be loaded "
            "(its import did not finish within 2 s"
        )
        for e in market.out.logs
    )
    assert (data / CHECKED_FILES).exists()


def test_the_engine_imports_exactly_the_bytes_the_probe_tried(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that rewrites itself into a loop while it is tried: the engine runs what
    was tried, not what the file says afterwards."""
    (folder / "shifty.py").write_text(
        "from pathlib import Path\n"
        "Path(__file__).write_text('while True:\\n    pass\\n')\n"
        + GOOD.replace("Good", "Shifty").replace('"good"', '"shifty"'),
        encoding="utf-8",
    )
    catalog = load_catalog(folder, entry_points=False, checked=tmp_path / "checked.json")
    assert {"good", "shifty"} <= set(catalog.classes)
    assert (folder / "shifty.py").read_text(encoding="utf-8").startswith("while True")


@pytest.mark.parametrize("line", ["input('press enter')", "breakpoint()"])
def test_a_forgotten_input_or_breakpoint_at_import_never_waits_on_a_console(
    folder: Path, tmp_path: Path, line: str
) -> None:
    (folder / "pauses.py").write_text(
        line + "\n" + GOOD.replace("Good", "Pauses").replace('"good"', '"pauses"'), encoding="utf-8"
    )
    catalog = load_catalog(folder, entry_points=False, checked=tmp_path / "checked.json")
    if line.startswith("input"):
        assert catalog.problems == [
            "strategies/pauses.py: cannot be loaded (EOFError: EOF when reading a line (line 1))"
        ]
    else:
        assert "pauses" in catalog.classes and catalog.problems == []


def test_hung_files_together_cost_the_start_at_most_the_total_limit(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_probe, "IMPORT_LIMIT_S", 1.0)
    monkeypatch.setattr(import_probe, "TOTAL_LIMIT_S", 1.5)
    for name in ("x1", "x2", "x3"):  # after good.py, which is tried first
        (folder / f"{name}_loop.py").write_text("while True:\n    pass\n", encoding="utf-8")
    catalog = load_catalog(folder, entry_points=False, checked=tmp_path / "checked.json")
    first, *rest = sorted(catalog.problems)
    assert first.startswith("strategies/x1_loop.py: cannot be loaded (its import did not finish")
    assert [p.split(":")[0] for p in rest] == ["strategies/x2_loop.py", "strategies/x3_loop.py"]
    assert "not checked: another file's import hung" in rest[-1]  # the time ran out
    assert "good" in catalog.classes


def test_a_remembered_file_too_deep_to_read_is_read_as_none_remembered(
    folder: Path, tmp_path: Path
) -> None:
    checked = tmp_path / "checked.json"
    checked.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    catalog = load_catalog(folder, entry_points=False, checked=checked)
    assert "good" in catalog.classes and "ma_cross" in catalog.classes
    assert catalog.problems == []
    assert checked.read_text(encoding="utf-8").startswith('["good.py:')  # written anew
