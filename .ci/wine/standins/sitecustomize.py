"""Put into the Wine prefix's Windows Python (``C:\\Python311\\Lib``), never into a bundle.

Two things Windows programs may rely on that Wine 8.0 does otherwise, each fixed here
in the one module that depends on it, when that module is first imported (so an
interpreter that uses neither starts no slower). On real Windows nothing here runs.

* Wine's named pipes block a read of a zero-length message that ``poll()`` has just
  reported. ``concurrent.futures``' process pool wakes its manager thread with exactly
  such a message (``_ThreadWakeup.wakeup`` sends ``b""``), so under Wine the manager
  hangs in ``clear()`` and the pool stops handing out work after its first tasks: the
  optimiser's local worker processes wait for ever. The reader throws the content
  away, so one byte wakes it just the same.
* Wine's ``time.time()`` is as fine as ``perf_counter()``, where Windows' ticks every
  15.6 ms. Dask's Windows clock (``distributed.metrics._WindowsTime.resync``) waits
  for five equal readings of it in a row, which under Wine never come: every Dask
  client, scheduler and worker hangs at its first clock reading. A fine clock needs
  no averaging: one reading of each gives the offset.
"""

import importlib.machinery
import sys
import time


def _wakeup_with_one_byte(module) -> None:
    def wakeup(self) -> None:
        if not self._closed:
            self._writer.send_bytes(b"\0")

    module._ThreadWakeup.wakeup = wakeup


def _resync_from_one_reading(module) -> None:
    def resync(self) -> None:
        self.delta = self.base_timer() - time.perf_counter()

    module._WindowsTime.resync = resync  # its clocks first sync when first read


FIXES = {
    "concurrent.futures.process": _wakeup_with_one_byte,
    "distributed.metrics": _resync_from_one_reading,
}


class _FixOnImport:
    """A meta-path finder that loads a module as usual, then applies its fix."""

    def find_spec(self, name, path=None, target=None):
        fix = FIXES.get(name)
        if fix is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module) -> None:
            execute(module)
            fix(module)

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _FixOnImport())
