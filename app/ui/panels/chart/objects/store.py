"""Drawing objects saved per symbol, one JSON file each, in the user's data folder.

Every chart of a symbol reads the same list from one :class:`ObjectStore`, and
hears about every change (``subscribe``), so a line drawn on one chart shows on
every other chart of that symbol at once. A file is written whole to a
temporary name and renamed over the old one, so a crash never leaves half a
file. A file from a newer Tradeterm (a higher ``version``) or one it cannot read
is refused in words: its objects are not shown, and the file is never
overwritten, so nothing the trader drew is lost.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

from app.paths import user_data_dir
from app.ui.panels.chart.objects.model import DrawingObject, ObjectError, object_from_json

#: Version of the file format; a newer one is refused in words.
FILE_VERSION = 1
FOLDER = "chart_objects"

Listener = Callable[[str], None]


class ObjectFileError(ValueError):
    """A symbol's objects file that cannot be used; ``str()`` says why in one line."""


def file_name(symbol: str) -> str:
    """A file name for ``symbol`` on any system (``EURUSD.json``, ``US_30.json`` for ``US 30``)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", symbol) or "_"
    return f"{safe}.json"


class ObjectStore:
    """Objects by symbol, loaded on first use and saved on every change."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._objects: dict[str, list[DrawingObject]] = {}
        self._refused: dict[str, str] = {}  # symbol -> why its file was not used
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def objects(self, symbol: str) -> list[DrawingObject]:
        """The symbol's objects (a copy of the list), loading its file the first time."""
        if symbol not in self._objects:
            try:
                self._objects[symbol] = self._load(symbol)
            except ObjectFileError as exc:
                self._refused[symbol] = str(exc)
                self._objects[symbol] = []
        return list(self._objects[symbol])

    def refused(self, symbol: str) -> str:
        """Why the symbol's file was not used ("" if it was, or there is none)."""
        self.objects(symbol)
        return self._refused.get(symbol, "")

    def put(self, symbol: str, item: DrawingObject) -> None:
        """Add ``item``, or replace the object with its id."""
        items = self.objects(symbol)
        for i, old in enumerate(items):
            if old.id == item.id:
                items[i] = item
                break
        else:
            items.append(item)
        self._replace(symbol, items)

    def remove(self, symbol: str, ident: str) -> None:
        self._replace(symbol, [o for o in self.objects(symbol) if o.id != ident])

    def set_all(self, symbol: str, items: list[DrawingObject]) -> None:
        self._replace(symbol, list(items))

    def _replace(self, symbol: str, items: list[DrawingObject]) -> None:
        if symbol in self._refused:
            raise ObjectFileError(
                f"{symbol}'s objects are not saved while its file is refused: {self._refused[symbol]}"
            )
        self._save(symbol, items)
        self._objects[symbol] = items
        for listener in list(self._listeners):
            listener(symbol)

    def path(self, symbol: str) -> Path:
        return self.folder / file_name(symbol)

    def _load(self, symbol: str) -> list[DrawingObject]:
        path = self.path(symbol)
        if not path.exists():
            return []
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ObjectFileError(f"{path.name} cannot be read ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("version"), int):
            raise ObjectFileError(f"{path.name} has no version number")
        if data["version"] > FILE_VERSION:
            raise ObjectFileError(
                f"{path.name} is from a newer Tradeterm (format {data['version']}; "
                f"this version reads up to {FILE_VERSION})"
            )
        raw = data.get("objects", [])
        if not isinstance(raw, list):
            raise ObjectFileError(f"{path.name}: 'objects' is not a list")
        try:
            return [object_from_json(item, n) for n, item in enumerate(raw, start=1)]
        except ObjectError as exc:
            raise ObjectFileError(f"{path.name}: {exc}") from None

    def _save(self, symbol: str, items: list[DrawingObject]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(symbol)
        data = {"version": FILE_VERSION, "symbol": symbol, "objects": [o.to_json() for o in items]}
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(temporary, path)


_SHARED: dict[Path, ObjectStore] = {}


def shared_store(folder: Path | None = None) -> ObjectStore:
    """The one store of a folder (the user's data folder by default), shared by every chart."""
    where = folder or user_data_dir() / FOLDER
    store = _SHARED.get(where)
    if store is None:
        store = _SHARED[where] = ObjectStore(where)
    return store
