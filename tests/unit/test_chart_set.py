"""Chart sets and templates as files: round trips, and refusals that change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.ui.workspace.chart_set import (
    FORMAT_VERSION,
    ChartSet,
    DocumentError,
    NamedDocuments,
    chart_set_from,
    chart_set_from_json,
    chart_set_json,
    check_name,
    template_document,
    template_from,
)

CHART = {"symbol": "EURUSD", "timeframe": "M5", "chart_type": "bars", "chart_shift": True}


def test_a_chart_set_comes_back_as_it_was_saved(tmp_path: Path) -> None:
    text = chart_set_json([CHART, {**CHART, "symbol": "USDJPY"}], 1, "tile")
    charts = chart_set_from_json(text)
    assert charts == ChartSet((CHART, {**CHART, "symbol": "USDJPY"}), 1, "tile")
    store = NamedDocuments(tmp_path / "profiles", "profile")
    store.save("Morning", charts.to_document())
    assert store.names() == ["Morning"]
    assert chart_set_from(store.load("Morning")) == charts


def test_a_template_carries_styles_but_never_the_symbol_or_timeframe() -> None:
    document = template_document(CHART)
    assert document["version"] == FORMAT_VERSION
    assert template_from(document) == {"chart_type": "bars", "chart_shift": True}
    # Even a hand-edited template that names a symbol does not move a chart.
    document["chart"] = dict(CHART)
    assert "symbol" not in template_from(document)


@pytest.mark.parametrize(
    "document,message",
    [
        ({"format": "tradeterm-chart-template", "version": 2, "chart": {}}, "newer Tradeterm"),
        ({"format": "tradeterm-profile", "version": 1, "charts": []}, "not a Tradeterm"),
        ({"format": "tradeterm-chart-template", "version": "1", "chart": {}}, "no valid version"),
        ({"format": "tradeterm-chart-template", "version": 1, "chart": []}, "no chart settings"),
        ([1, 2], "not a Tradeterm"),
    ],
)
def test_templates_that_cannot_be_used_are_refused_with_the_reason(
    document: object, message: str
) -> None:
    with pytest.raises(DocumentError, match=message):
        template_from(document)


def test_a_profile_from_a_newer_version_is_refused_and_a_bad_arrangement_falls_back() -> None:
    with pytest.raises(DocumentError, match="format 7; this one reads up to 1"):
        chart_set_from({"format": "tradeterm-profile", "version": 7, "charts": []})
    odd = chart_set_from(
        {"format": "tradeterm-profile", "version": 1, "charts": [CHART], "arrangement": "x",
         "active": 5}
    )  # fmt: skip
    assert (odd.arrangement, odd.active) == ("tabs", 0)
    with pytest.raises(DocumentError, match="damaged"):
        chart_set_from_json("{")


@pytest.mark.parametrize("name", ["", "../up", "a/b", "x" * 65, " .hidden", "con\\sole"])
def test_names_that_are_no_safe_file_name_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="A name is"):
        check_name(name)
    with pytest.raises(DocumentError):
        NamedDocuments(tmp_path, "profile").save(name, {})
    assert list(tmp_path.iterdir()) == []


def test_a_missing_or_damaged_file_says_so(tmp_path: Path) -> None:
    store = NamedDocuments(tmp_path, "template")
    with pytest.raises(DocumentError, match="does not exist"):
        store.load("nothing")
    (tmp_path / "half.json").write_text('{"format": ')
    with pytest.raises(DocumentError, match="damaged"):
        store.load("half")
