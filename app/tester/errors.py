"""The errors of the tester: one sentence for the trader, and the cancel."""

from __future__ import annotations


class TesterError(Exception):
    """A test that cannot run as asked (unknown strategy, no data, a bad parameter);
    ``str()`` is one line the trader can act on. Nothing ran."""

    __test__ = False  # not a pytest test class


class TestCancelled(Exception):
    """The test was cancelled before it finished."""

    __test__ = False  # not a pytest test class
