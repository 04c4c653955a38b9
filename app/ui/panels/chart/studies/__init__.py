"""Indicators on the chart: overlays on the price, oscillators in panes underneath.

The numbers come from :mod:`app.indicators`, the library the strategies use:
``batch`` over the history when it loads, ``peek`` on every tick of the forming
bar and ``push`` when it closes, so a live tick costs O(1) per indicator. The
drawing follows the candles' rule: only the visible bars, and one column per
pixel when zoomed out.
"""
