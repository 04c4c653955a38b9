"""Shared test setup: offscreen Qt, and no test ever touches the real user's files."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["TRADETERM_HOME"] = tempfile.mkdtemp(prefix="tradeterm-tests-")
