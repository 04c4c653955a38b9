"""The engine: the one thread that talks to the broker, and the bus it speaks on."""
