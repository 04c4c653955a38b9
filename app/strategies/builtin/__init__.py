"""The example strategies that ship with the terminal (off until the trader attaches one)."""
