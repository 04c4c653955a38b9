"""Drawing objects on the chart: lines, rays, rectangles, Fibonacci retracements, text.

Objects are anchored by time and price, not by bar index, so one saved set shows
on every chart and timeframe of its symbol; they are kept per symbol in the
user's data folder (:mod:`.store`) and drawn, all of them, by one item bound by
the visible range like the candles (:mod:`.item`).
"""
