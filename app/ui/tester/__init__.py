"""The Strategy Tester window: settings, a worker process per run, the report and the chart.

``window.py`` is the window; ``runner.py`` runs a pass in a worker process;
``report_view.py`` shows any trading report (the History window reuses it);
``trades_chart.py`` draws the trades on the tested bars.
"""
