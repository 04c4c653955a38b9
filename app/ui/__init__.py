"""Qt widgets. They react to bus events and send commands; they never call a broker."""
