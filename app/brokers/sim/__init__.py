"""The paper broker: a simulated MetaTrader 5 hedging account, the default."""
