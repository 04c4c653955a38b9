"""The GUI process machinery: frame pacing, GC, single instance, window state, smoke test."""
