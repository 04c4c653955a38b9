"""Small SVG charts for the HTML report: lines over time and labelled bars.

Why hand-drawn SVG: matplotlib is not a dependency of the app (and is large),
and pyqtgraph's exporters need a QApplication, which a headless ``tradeterm
test`` on a server or a worker process must not start. An SVG polyline is a
few kilobytes, stays sharp at any zoom, is embedded in the file as an image
(``data:image/svg+xml``), and draws 2,000 points in a millisecond.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

WIDTH, HEIGHT = 960, 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 72, 16, 26, 28
GRID = "#e4e4e4"
TEXT = "#444"


def as_image(svg: str, alt: str) -> str:
    """An ``<img>`` tag carrying ``svg`` inside the page."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/svg+xml;base64,{data}">'


def _money(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        return [low]
    raw = (high - low) / count
    magnitude = 10 ** np.floor(np.log10(raw))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), default=raw)
    first = np.ceil(low / step) * step
    return [float(v) for v in np.arange(first, high + step * 0.001, step)]


def _svg(body: list[str], width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">'
        f'<rect width="{width}" height="{height}" fill="white"/>' + "".join(body) + "</svg>"
    )


def lines(
    time_msc: np.ndarray,
    series: Sequence[tuple[str, np.ndarray, str]],
    *,
    fill_below: bool = False,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> str:
    """Lines of ``(label, values, colour)`` over epoch-ms times; a legend at the top left."""
    body: list[str] = []
    if len(time_msc) == 0:
        body.append(f'<text x="{width / 2}" y="{height / 2}" fill="{TEXT}">no data</text>')
        return _svg(body, width, height)
    t0, t1 = float(time_msc[0]), float(time_msc[-1])
    values = np.concatenate([np.asarray(v, dtype=np.float64) for _, v, _ in series])
    lo, hi = float(values.min()), float(values.max())
    if fill_below:
        hi = max(hi, 0.0)
        lo = min(lo, 0.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.05
    lo, hi = lo - pad, hi + pad
    plot_w = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = height - MARGIN_TOP - MARGIN_BOTTOM

    def x(t: np.ndarray | float) -> np.ndarray | float:
        span = t1 - t0 or 1.0
        return MARGIN_LEFT + (np.asarray(t, dtype=np.float64) - t0) / span * plot_w

    def y(v: np.ndarray | float) -> np.ndarray | float:
        return MARGIN_TOP + (hi - np.asarray(v, dtype=np.float64)) / (hi - lo) * plot_h

    for level in _ticks(lo, hi):
        yy = float(y(level))
        body.append(
            f'<line x1="{MARGIN_LEFT}" y1="{yy:.1f}" x2="{width - MARGIN_RIGHT}" y2="{yy:.1f}" '
            f'stroke="{GRID}"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end" fill="{TEXT}">'
            f"{html.escape(_money(level))}</text>"
        )
    moments = np.linspace(t0, t1, 6)
    for i, moment in enumerate(moments):
        xx = float(x(moment))
        label = datetime.fromtimestamp(moment / 1000, UTC).strftime("%Y-%m-%d")
        anchor = "start" if i == 0 else "end" if i == len(moments) - 1 else "middle"
        body.append(
            f'<text x="{xx:.1f}" y="{height - 8}" text-anchor="{anchor}" fill="{TEXT}">'
            f"{label}</text>"
        )
    xs = np.asarray(x(time_msc))
    for _label, values_, colour in series:
        ys = np.asarray(y(values_))
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs.tolist(), ys.tolist(), strict=True))
        if fill_below:
            base = float(y(0.0))
            body.append(
                f'<polygon points="{xs[0]:.1f},{base:.1f} {points} {xs[-1]:.1f},{base:.1f}" '
                f'fill="{colour}" fill-opacity="0.35" stroke="none"/>'
            )
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.4"/>'
        )
    for i, (label, _, colour) in enumerate(series):
        lx = MARGIN_LEFT + i * 130
        body.append(
            f'<rect x="{lx}" y="9" width="12" height="3" fill="{colour}"/>'
            f'<text x="{lx + 16}" y="14" fill="{TEXT}">{html.escape(label)}</text>'
        )
    return _svg(body, width, height)


def bars(
    labels: Sequence[str], values: Sequence[float], *, width: int = 460, height: int = 220
) -> str:
    """One bar per label, green above zero and red below, the value over each bar."""
    body: list[str] = []
    n = max(1, len(labels))
    lo, hi = min(0.0, *values) if values else 0.0, max(0.0, *values) if values else 1.0
    if hi - lo < 1e-9:
        hi = lo + 1
    pad = (hi - lo) * 0.06
    hi, lo = hi + (pad if hi > 0 else 0), lo - (pad if lo < 0 else 0)
    plot_w = width - 48 - 8
    plot_h = height - 16 - 30
    slot = plot_w / n

    def y(v: float) -> float:
        return 16 + (hi - v) / (hi - lo) * plot_h

    zero = y(0.0)
    body.append(f'<line x1="48" y1="{zero:.1f}" x2="{width - 8}" y2="{zero:.1f}" stroke="#999"/>')
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        left = 48 + i * slot + slot * 0.15
        top, bottom = sorted((y(value), zero))
        colour = "#3a8f4b" if value >= 0 else "#c0392b"
        body.append(
            f'<rect x="{left:.1f}" y="{top:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{max(0.5, bottom - top):.1f}" fill="{colour}"/>'
            f'<text x="{left + slot * 0.35:.1f}" y="{height - 14}" text-anchor="middle" '
            f'fill="{TEXT}" font-size="10">{html.escape(label)}</text>'
        )
    for level in _ticks(lo, hi, 4):
        body.append(
            f'<text x="44" y="{y(level) + 4:.1f}" text-anchor="end" fill="{TEXT}" '
            f'font-size="10">{html.escape(_money(level))}</text>'
        )
    return _svg(body, width, height)
