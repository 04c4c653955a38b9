"""Saving and loading the paper broker's account, so it survives a restart or a crash.

A real broker remembers every order after the terminal dies; the paper broker
must too, or crash recovery would have nothing to reconcile against. The file is
JSON, replaced atomically (write a temp file, fsync, ``os.replace``, fsync the
folder): after a crash it holds either the old state or the new one, never half.
A temp file left by a kill mid-write is deleted at the next connect; a damaged
file stops the start (``tradeterm --fresh-paper-account`` sets it aside).
"""

from __future__ import annotations

import enum
import glob
import json
import os
import tempfile
import types
import typing
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from app.domain.enums import OrderStatus
from app.domain.trading import Fill, OrderRequest, Position, WorkingOrder
from app.paths import not_a_file

FORMAT_VERSION = 1
T = TypeVar("T")


@dataclass(slots=True)
class SimOrderRecord:
    """What became of one client order at the paper broker (its order history)."""

    client_id: str
    status: OrderStatus
    ticket: int | None
    filled_volume: float = 0.0
    price: float | None = None
    reason: str = ""
    deal_tickets: list[int] = field(default_factory=list)


@dataclass(slots=True)
class SimAccountState:
    balance: float
    next_ticket: int
    next_deal: int
    positions: list[Position] = field(default_factory=list)
    position_client: dict[int, str] = field(default_factory=dict)
    orders: list[tuple[WorkingOrder, OrderRequest]] = field(default_factory=list)
    history: list[SimOrderRecord] = field(default_factory=list)
    deals: list[Fill] = field(default_factory=list)


def save_state(path: Path, state: SimAccountState) -> None:
    """Replace ``path`` with ``state`` atomically and durably."""
    data = {
        "version": FORMAT_VERSION,
        "balance": state.balance,
        "next_ticket": state.next_ticket,
        "next_deal": state.next_deal,
        "positions": [asdict(p) for p in state.positions],
        "position_client": {str(k): v for k, v in state.position_client.items()},
        "orders": [{"order": asdict(o), "request": asdict(r)} for o, r in state.orders],
        "history": [asdict(h) for h in state.history],
        "deals": [asdict(d) for d in state.deals],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, separators=(",", ":"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def load_state(path: Path) -> SimAccountState | None:
    """The saved state, ``None`` if there is none; ``ValueError`` (one line naming the
    file) if it is damaged or is not a file at all."""
    kind = not_a_file(path)
    if kind is not None:
        raise ValueError(f"The paper account file {path} is {kind}, not a paper account file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError as exc:  # not JSON, cut short, or not UTF-8 text
        raise ValueError(f"The paper account file {path} is damaged ({_first_line(exc)})") from None
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ValueError(f"The paper account file {path} cannot be read ({reason})") from None
    try:
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"unknown format version {data.get('version')!r}")
        return SimAccountState(
            balance=float(data["balance"]),
            next_ticket=int(data["next_ticket"]),
            next_deal=int(data["next_deal"]),
            positions=[_decode(Position, p) for p in data["positions"]],
            position_client={int(k): v for k, v in data["position_client"].items()},
            orders=[
                (_decode(WorkingOrder, o["order"]), _decode(OrderRequest, o["request"]))
                for o in data["orders"]
            ],
            history=[_decode(SimOrderRecord, h) for h in data["history"]],
            deals=[_decode(Fill, d) for d in data["deals"]],
        )
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"The paper account file {path} is damaged ({_first_line(exc)})") from None


def discard_unfinished_writes(path: Path) -> list[Path]:
    """Delete the temp files of saves that never finished (the process was killed mid-write).

    ``save_state`` writes ``<name>.<random>.tmp`` and renames it over the file; a
    kill before the rename leaves the temp file behind, and the file itself still
    holds the last complete state. Call only from the process that owns the file
    (the single running terminal), at connect, before it saves anything.
    """
    removed = []
    for leftover in path.parent.glob(f"{glob.escape(path.name)}.*.tmp"):
        try:
            leftover.unlink()
        except OSError:
            continue  # not ours to explain: the next start tries again
        removed.append(leftover)
    return removed


def set_aside(path: Path, now: datetime | None = None) -> Path | None:
    """Rename ``path`` to ``<name>.<time>.bak`` (never deletes); ``None`` if there is none."""
    if not path.exists():
        return None
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{stamp}.bak")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.{stamp}-{counter}.bak")
    path.rename(target)
    return target


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def _decode(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a dataclass from JSON, turning strings back into its enum fields."""
    enums = _enum_fields(cls)  # type: ignore[arg-type]  # classes are hashable
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    values = {
        k: (enums[k](v) if k in enums and v is not None else v)
        for k, v in data.items()
        if k in names
    }
    return cls(**values)


@cache
def _enum_fields(cls: type) -> dict[str, type[enum.Enum]]:
    """Field name -> enum class, for fields typed ``SomeEnum`` or ``SomeEnum | None``."""
    found: dict[str, type[enum.Enum]] = {}
    for name, hint in typing.get_type_hints(cls).items():
        options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        for option in options:
            if isinstance(option, type) and issubclass(option, enum.Enum):
                found[name] = option
    return found


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); Windows cannot open a folder this way."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
