"""Price alerts that never miss: evaluated on every tick in the engine thread.

The vocabulary (what an alert watches, its condition, trigger and actions) is
plain domain values in ``app.domain.alerts`` and ``app.domain.alert_facts``.
This package runs them on the engine's seam: the :class:`Evaluator` lays the
armed alerts out so a tick costs almost nothing (sorted levels per symbol and
price, judged only between the previous price and the new one), and the
``AlertHost`` keeps them in the journal, owns their commands and publishes
``AlertFired`` for the actions done outside the engine (Telegram, webhook).
See ``docs/alerts.md``.
"""
