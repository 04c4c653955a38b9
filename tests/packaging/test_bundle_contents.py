"""A PyInstaller build holds what the app loads by name, which the analysis cannot see.

PyInstaller follows ``import`` statements. Everything the app, or a library it
uses, loads by a name built at run time is missing from a bundle unless the spec
or a hook adds it, and then the frozen app fails only when a user reaches that
path: choosing MetaTrader 5, switching on Telegram, a PostgreSQL journal, the
first journal upgrade, the OS keyring, a time zone. Each test names such a path
and checks the bundle's contents, read from the files PyInstaller wrote (the
executable's archive and, for a one-folder build, the ``_internal`` folder).

Set ``TRADETERM_BUNDLE`` to a one-folder build (``dist/Tradeterm``) or a one-file
executable and run this file with the Python that built it (CI does, on Linux and
under Windows); without it the module is skipped. What is expected is read from
the installed packages where it can be (entry points, package folders, the
migration scripts), so an upgrade that adds a backend is checked too.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import importlib.util
import os
import pkgutil
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUNDLE_ENV = "TRADETERM_BUNDLE"
MIGRATIONS = REPO / "app" / "storage" / "migrations"
WINDOWS = sys.platform == "win32"

pytestmark = pytest.mark.skipif(
    not os.environ.get(BUNDLE_ENV),
    reason=f"no bundle to check: set {BUNDLE_ENV} to a PyInstaller build (CI does after building)",
)


class Bundle:
    """The module names and file paths (``a/b/c.ext``) a build holds."""

    def __init__(self, path: Path) -> None:
        readers = pytest.importorskip(
            "PyInstaller.archive.readers", reason="PyInstaller (uv's build group) is not installed"
        )
        if path.is_dir():
            executable = next(p for p in path.iterdir() if p.stem == path.name and p.is_file())
            internal = path / "_internal"
            self.files = {p.relative_to(internal).as_posix() for p in internal.rglob("*")}
        else:
            executable, self.files = path, set()
        self.modules: set[str] = set()
        archive = readers.CArchiveReader(str(executable))
        for name, entry in archive.toc.items():
            self.files.add(name.replace("\\", "/"))
            if entry[-1] == "z":  # the PYZ: every bundled pure-Python module
                self.modules |= set(archive.open_embedded_archive(name).toc)
        # A one-file build keeps the binaries in the archive, a one-folder build beside it;
        # extension modules count as modules either way.
        for file in self.files:
            stem = file.split(".", 1)[0]
            if file.endswith((".pyd", ".so")):
                self.modules.add(stem.replace("/", "."))

    def missing_modules(self, names: Iterable[str]) -> list[str]:
        return sorted(n for n in names if n not in self.modules)

    def missing_files(self, names: Iterable[str]) -> list[str]:
        return sorted(n for n in names if n not in self.files)


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    path = Path(os.environ[BUNDLE_ENV])
    assert path.exists(), f"{BUNDLE_ENV}={path} does not exist"
    return Bundle(path)


def submodules(package: str) -> set[str]:
    """Every module of an installed package, found on disk (nothing is imported)."""
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations, package
    found = {package}
    for info in pkgutil.walk_packages(spec.submodule_search_locations, prefix=f"{package}."):
        found.add(info.name)
    return found


def package_files(package: str, folder: str) -> set[str]:
    """The data files under ``package/folder`` as bundle paths (its modules go in the PYZ)."""
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin is not None
    root = Path(spec.origin).parent
    return {
        f"{package}/{p.relative_to(root).as_posix()}"
        for p in (root / folder).rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    }


@pytest.mark.skipif(not WINDOWS, reason="the MetaTrader5 package and broker exist on Windows only")
def test_the_metatrader5_package_for_broker_kind_mt5(bundle: Bundle) -> None:
    # app/brokers/registry.py imports it with importlib, by name.
    assert bundle.missing_modules(["MetaTrader5", "MetaTrader5._core"]) == []


def test_the_built_in_strategies_the_catalogue_imports_by_name(bundle: Bundle) -> None:
    # app/strategies/catalog.py imports them with importlib; the Strategy Tester's worker
    # process (app.tester.background) loads the same catalogue.
    from app.strategies.catalog import BUILTIN_MODULES

    assert bundle.missing_modules([*BUILTIN_MODULES, "app.tester.background"]) == []


def test_the_journal_modules_app_storage_loads_on_first_use(bundle: Bundle) -> None:
    from app import storage

    lazy = {f"app.storage.{module}" for module in storage._WHERE.values()}
    assert lazy and bundle.missing_modules(lazy) == []


def test_the_migration_scripts_and_what_they_import(bundle: Bundle) -> None:
    """Alembic reads the scripts as files and runs them, so their imports are hidden too."""
    scripts = [MIGRATIONS / "env.py", *sorted((MIGRATIONS / "versions").glob("*.py"))]
    expected_files = {
        f"app/storage/migrations/{p.relative_to(MIGRATIONS).as_posix()}" for p in scripts
    }
    assert bundle.missing_files(expected_files) == []
    imported: set[str] = set()
    for script in scripts:
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)
                for alias in node.names:  # ``from alembic import op``: op is a module
                    name = f"{node.module}.{alias.name}"
                    if importlib.util.find_spec(node.module) and _is_module(name):
                        imported.add(name)
    imported.discard("__future__")
    assert {"alembic.op", "alembic.context"} <= imported
    assert bundle.missing_modules(imported) == []


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


def test_alembic_and_sqlalchemy_for_both_journal_databases(bundle: Bundle) -> None:
    """SQLAlchemy imports a URL's dialect and driver by name, Alembic its DDL module by
    dialect, and psycopg its compiled libpq wrapper by name."""
    dialects = [
        "sqlalchemy.dialects.sqlite.pysqlite",  # the default journal
        "sqlalchemy.dialects.postgresql.psycopg",  # [storage] url = "postgresql+psycopg://…"
        "psycopg",
        "alembic.ddl.sqlite",
        "alembic.ddl.postgresql",
    ]
    if importlib.util.find_spec("psycopg_binary"):
        dialects.append("psycopg_binary.pq")
    assert bundle.missing_modules(dialects) == []


def test_every_keyring_backend_and_its_entry_point(bundle: Bundle) -> None:
    """keyring finds its backends through entry points, then imports each by name."""
    points = importlib.metadata.entry_points(group="keyring.backends")
    assert points, "keyring is installed with its backends"
    assert bundle.missing_modules({point.module for point in points}) == []
    dists = {point.dist.name for point in points if point.dist is not None}
    for dist in dists:
        version = importlib.metadata.version(dist)
        info = f"{dist.replace('-', '_')}-{version}.dist-info/entry_points.txt"
        assert any(f.lower() == info.lower() for f in bundle.files), info
    if WINDOWS:  # the Windows backend's ctypes layer is chosen at run time, by name
        assert bundle.missing_modules(submodules("win32ctypes.core.ctypes")) == []


def test_the_telegram_stack(bundle: Bundle) -> None:
    """python-telegram-bot over httpx; anyio loads its asyncio backend by name; and the
    CA certificates httpx verifies api.telegram.org with are a data file."""
    stack = ["telegram", "telegram.ext", "telegram.request", "httpx", "httpcore", "h11"]
    assert bundle.missing_modules([*stack, "anyio._backends._asyncio"]) == []
    assert bundle.missing_files(["certifi/cacert.pem"]) == []


@pytest.mark.skipif(not WINDOWS, reason="Windows has no system time-zone database to fall back on")
def test_the_time_zone_database(bundle: Bundle) -> None:
    """zoneinfo reads the tzdata package's files for [notify] and [risk] time zones."""
    zones = package_files("tzdata", "zoneinfo")
    assert "tzdata/zoneinfo/Europe/London" in zones
    assert bundle.missing_files(zones) == []


def test_the_qt_platform_plugins_the_app_starts_with(bundle: Bundle) -> None:
    """Qt loads a platform plugin by name: the desktop one, and offscreen for --smoke-test."""
    names = ("qwindows", "qoffscreen") if WINDOWS else ("libqxcb", "libqoffscreen")
    plugins = {f.rsplit("/", 1)[-1].split(".")[0] for f in bundle.files if "/platforms/" in f}
    assert sorted(set(names) - plugins) == []
