"""The docked panels of the main window; each is independent of the others."""
