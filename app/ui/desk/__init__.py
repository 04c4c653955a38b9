"""The desk: the GUI's one model of the desk and its one road for orders (plain Python)."""
