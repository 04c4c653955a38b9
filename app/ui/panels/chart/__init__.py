"""The chart panel: candles, volume and the trading lines drawn on it."""
