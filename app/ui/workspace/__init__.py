"""The workspace around the charts: several charts, their sets, templates and one-click trading."""
