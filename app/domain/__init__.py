"""Plain-Python trading domain: events, commands, symbols, validation, P&L, bars.

Nothing in this package imports Qt or any other part of the app, so it tests fast
and every client (ticket, chart, Telegram, strategies) shares one set of rules.
"""
