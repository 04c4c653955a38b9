"""``python -m app`` starts the terminal (and the frozen app's entry point)."""

import multiprocessing
import sys

if __name__ == "__main__":
    # The Strategy Tester runs its passes in spawned worker processes. In the frozen
    # app the worker is Tradeterm.exe itself, started with multiprocessing's own
    # arguments: this hands such a start to the worker code before the terminal
    # would start a second window. (A no-op anywhere else.)
    multiprocessing.freeze_support()
    from app.cli import main

    sys.exit(main())
