"""Which strategies there are: built-in, dropped in the user's folder, or installed.

Three sources, in this order: the built-in examples in ``app.strategies.builtin``;
every ``.py`` file in the ``strategies`` folder of the user data folder (a user
of the packaged exe drops a file there); and the ``tradeterm.strategies``
entry-point group of installed packages. A file that fails to import, or a
class that breaks the API, is one line in the catalogue's ``problems`` (the
event log shows it, naming the file) and the rest load; for the live terminal a
file that hangs or ends its process at import is caught first in a child process.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import inspect
import logging
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from app.domain.strategies import StrategyCatalog, StrategyDescriptor
from app.engine.clients import client_failures
from app.strategies.base import Strategy
from app.strategies.import_probe import check_files, run_source
from app.strategies.params import ParamError, StrategyParams, specs

log = logging.getLogger(__name__)

BUILTIN_MODULES = (
    "app.strategies.builtin.ma_cross",
    "app.strategies.builtin.donchian_breakout",
    "app.strategies.builtin.rsi_reversion",
)
ENTRY_POINT_GROUP = "tradeterm.strategies"
USER_FOLDER = "strategies"
_CALLBACKS = {"on_start": 0, "on_bar": 1, "on_tick": 1, "on_order": 1, "on_fill": 1, "on_timer": 1}


@dataclass
class Catalog:
    """The strategy classes by key, where each came from, and what failed to load."""

    classes: dict[str, type[Strategy]] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    _descriptors: dict[str, StrategyDescriptor] = field(default_factory=dict, repr=False)

    def add(self, cls: object, origin: str) -> None:
        problem = api_problem(cls)
        if problem is None:
            assert isinstance(cls, type) and issubclass(cls, Strategy)
            if cls.key in self.classes:
                problem = (
                    f"{cls.__name__}: the key {cls.key!r} is taken already (by "
                    f"{self.origins[cls.key]})"
                )
            else:
                try:  # what the panel shows of it: a class whose description breaks is refused
                    self._descriptors[cls.key] = _descriptor(cls, origin)
                except Exception as exc:
                    problem = f"{cls.__name__}: cannot be described ({type(exc).__name__}: {exc})"
                else:
                    self.classes[cls.key] = cls
                    self.origins[cls.key] = origin
                    return
        self.problems.append(f"{origin}: {problem}; not loaded")

    def fact(self) -> StrategyCatalog:
        return StrategyCatalog(
            tuple(self._descriptors[key] for key in self.classes), tuple(self.problems)
        )


def _descriptor(cls: type[Strategy], origin: str) -> StrategyDescriptor:
    doc = cls.__doc__
    return StrategyDescriptor(
        cls.key,
        cls.title,
        inspect.cleandoc(doc) if isinstance(doc, str) else "",
        specs(cls.Params),
        origin,
    )


def load_catalog(
    user_folder: Path | None, *, entry_points: bool = True, checked: Path | None = None
) -> Catalog:
    """Every strategy there is. With ``checked`` (the live terminal's engine), each new
    or changed user file is imported first in a throwaway process (``import_probe``),
    so a file that hangs or ends its process at import is refused, not imported."""
    catalog = Catalog()
    for name in BUILTIN_MODULES:
        module = importlib.import_module(name)
        for cls in _strategies_in(module):
            catalog.add(cls, "built-in")
    if user_folder is not None and user_folder.is_dir():
        paths = sorted(user_folder.glob("*.py"))
        found = check_files(paths, checked) if checked is not None and paths else None
        for path in paths:
            problem = found.problems.get(path) if found is not None else None
            if problem is not None:
                origin = f"{USER_FOLDER}/{path.name}"
                catalog.problems.append(f"{origin}: cannot be loaded ({problem})")
                continue
            _load_file(catalog, path, found.sources.get(path) if found is not None else None)
    if entry_points:
        for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            origin = f"package {point.value}"
            try:
                loaded = point.load()
            except client_failures() as exc:  # a package's sys.exit() is its problem
                catalog.problems.append(f"{origin}: cannot be loaded ({_why(exc)})")
                continue
            classes = _strategies_in(loaded) if isinstance(loaded, ModuleType) else [loaded]
            for cls in classes:
                catalog.add(cls, origin)
    return catalog


def _load_file(catalog: Catalog, path: Path, source: bytes | None = None) -> None:
    """Import one user file: ``source``, the bytes the probe tried, when there was one."""
    origin = f"{USER_FOLDER}/{path.name}"
    module_name = f"tradeterm_user_strategies.{path.stem}"
    try:
        module = run_source(module_name, path, path.read_bytes() if source is None else source)
    except client_failures() as exc:  # a file's sys.exit() is one problem line
        sys.modules.pop(module_name, None)
        log.error("strategy file %s failed to load", path, exc_info=exc)
        catalog.problems.append(f"{origin}: cannot be loaded ({_why(exc, path)})")
        return
    found = _strategies_in(module)
    if not found:
        catalog.problems.append(f"{origin}: defines no Strategy subclass")
    for cls in found:
        catalog.add(cls, origin)


def _strategies_in(module: ModuleType) -> list[type[Strategy]]:
    """The Strategy subclasses a module defines (not the ones it imports)."""
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Strategy)
        and value is not Strategy
        and value.__module__ == module.__name__
    ]


def api_problem(cls: object) -> str | None:
    """Why ``cls`` cannot run as a strategy, in one sentence; ``None`` if it can."""
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        return f"{cls!r} is not a Strategy subclass"
    name = cls.__name__
    if not isinstance(cls.key, str) or not cls.key.isidentifier():
        return f"{name}: its key must be a name like 'ma_cross' (got {cls.key!r})"
    if not (isinstance(cls.Params, type) and issubclass(cls.Params, StrategyParams)):
        return f"{name}: its Params must subclass StrategyParams"
    try:
        cls.Params.parse({})
    except ParamError as exc:
        return f"{name}: its parameters' defaults are refused ({exc})"
    for method, arity in _CALLBACKS.items():
        callback = getattr(cls, method)
        if not callable(callback):
            return f"{name}: {method} is not a method"
        try:
            inspect.signature(callback).bind(object(), *([None] * arity))
        except TypeError:
            return f"{name}: {method} must take {arity} argument(s) besides self"
    if not isinstance(cls.timer_ms, int) or cls.timer_ms < 0:
        return f"{name}: timer_ms must be a whole number of milliseconds"
    return None


def _why(exc: BaseException, path: Path | None = None) -> str:
    """The error in one line, with the line of the user's file where it happened."""
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if path is not None and Path(f.filename) == path
    ]
    where = f" (line {frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"
