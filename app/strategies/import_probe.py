"""A user's strategy file is first imported in a throwaway process, then in the engine.

The engine imports strategy files in its own thread, and Python cannot stop a
thread: a file that loops forever at import would freeze the terminal's engine
(no ticks, no fills, no kill switch), and one that calls ``os._exit`` would end
the terminal with it. So each new or changed file is imported first in a child
process with a time limit; a file that does not finish, or ends its process, is
named in one line and never imported by the engine. Errors a file raises are not
judged here: the engine's own import reports them with the line that failed.

A file that passed is remembered by its content (with the Python and Tradeterm
versions), so a start with unchanged files costs no process at all. Its top
level runs twice on the start that checks it: keep side effects out of import.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import logging
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from types import ModuleType

from app import __version__

log = logging.getLogger(__name__)

#: Seconds one file may take to import in the probe before it is called stuck.
IMPORT_LIMIT_S = 10.0
#: Seconds the probe process may take to start (a cold start on Windows is slow).
START_LIMIT_S = 60.0
#: What strategy files import, loaded in the child before any file is timed.
_STRATEGY_API = ("app.strategies.base", "app.strategies.params", "app.indicators")
#: Seconds hung files may cost the start together; the files after wait for the next one.
TOTAL_LIMIT_S = 20.0
_POLL_S = 0.1


@dataclass
class CheckedFiles:
    """What the probe found: the bytes of each file the engine may import (exactly what
    the child ran: a file rewritten in between is not read again), and each refused
    file with why in words."""

    sources: dict[Path, bytes] = field(default_factory=dict)
    problems: dict[Path, str] = field(default_factory=dict)


def check_files(
    paths: Sequence[Path],
    checked: Path | None,
    *,
    limit_s: float | None = None,
    start_limit_s: float | None = None,
    total_limit_s: float | None = None,
) -> CheckedFiles:
    """Read each file once, try the new or changed ones in a child, and say which of
    them the engine may import.

    ``checked`` is the file remembering which contents passed before (``None``:
    remember nothing). A probe that cannot run at all lets every file through, as
    before there was a probe, and says so in the log file. Hung files cost at most
    ``total_limit_s`` together: the rest wait for the next start.
    """
    limit = IMPORT_LIMIT_S if limit_s is None else limit_s
    start_limit = START_LIMIT_S if start_limit_s is None else start_limit_s
    total = TOTAL_LIMIT_S if total_limit_s is None else total_limit_s
    found = CheckedFiles()
    for path in paths:
        try:
            found.sources[path] = path.read_bytes()
        except OSError as exc:
            found.problems[path] = f"it cannot be read ({exc.strerror or exc})"
    keys = {path: _key(path.name, source) for path, source in found.sources.items()}
    known = _read(checked)
    todo = [path for path in found.sources if keys[path] not in known]
    began = time.monotonic()
    while todo:
        if time.monotonic() - began > total:
            for path in todo:
                found.problems[path] = (
                    "not checked: another file's import hung and the check ran out of "
                    "time; it is checked at the next start"
                )
            break
        done, stuck = _probe([(p, found.sources[p]) for p in todo], limit, start_limit)
        known.update(keys[path] for path in todo[:done])
        if stuck is None:
            break
        found.problems[todo[done]] = stuck
        todo = todo[done + 1 :]
    for path in found.problems:
        found.sources.pop(path, None)
    if checked is not None:  # only what is in the folder now: a deleted file is forgotten
        _write(checked, known & set(keys.values()))
    return found


@contextmanager
def no_console() -> Iterator[None]:
    """While a strategy file is imported: ``input()`` reads an empty line's end and a
    forgotten ``breakpoint()`` does nothing, in the child and in the engine alike (the
    child has no console, a terminal started from one would wait on it for ever)."""
    stdin, hook = sys.stdin, sys.breakpointhook
    sys.stdin, sys.breakpointhook = io.StringIO(""), _no_breakpoint
    try:
        yield
    finally:
        sys.stdin, sys.breakpointhook = stdin, hook


def _no_breakpoint(*_args: object, **_kwargs: object) -> None:
    return None


def run_source(name: str, path: Path, source: bytes) -> ModuleType:
    """Import ``source`` (the bytes read from ``path``) as the module ``name``."""
    module = ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    code = compile(source, str(path), "exec", dont_inherit=True)  # its own __future__ only
    with no_console():
        exec(code, module.__dict__)
    return module


def _probe(
    files: list[tuple[Path, bytes]], limit_s: float, start_limit_s: float
) -> tuple[int, str | None]:
    """Import ``paths`` in order in one child; returns how many finished, and why the
    next did not (``None``: all finished, or the probe could not run)."""
    context = multiprocessing.get_context("spawn")  # no fork: the same on Windows
    reader, writer = context.Pipe(duplex=False)  # a pipe, not a queue: sent at once
    child = context.Process(
        target=_import_each, args=([(str(p), b) for p, b in files], writer), daemon=True
    )
    try:
        child.start()
    except Exception as exc:  # no process at all: the files go through unprobed
        log.warning("strategy files not checked in a separate process: %s", exc)
        reader.close()
        return len(files), None
    finally:
        writer.close()  # the child holds its own end now
    done, importing = 0, False
    deadline = time.monotonic() + start_limit_s
    try:
        while done < len(files):
            try:
                ready = reader.poll(_POLL_S)
            except (OSError, EOFError):
                # Windows: the child ended and closed its end, a broken pipe (POSIX says
                # so at ``recv``): judged below, as a silence, once it is gone.
                child.join(_POLL_S)
                ready = False
            if ready:
                try:
                    what, index = reader.recv()
                except EOFError:  # the child is gone: judged below, as a silence
                    what, index = "", -1
                if what == "start":
                    importing, deadline = True, time.monotonic() + limit_s
                    continue
                if what == "done":
                    done, importing = index + 1, False
                    deadline = time.monotonic() + limit_s
                    continue
            if child.is_alive() and time.monotonic() <= deadline:
                continue
            if not importing:
                log.warning("strategy files not checked: the probe process did not start")
                return len(files), None
            if child.is_alive():
                return done, f"its import did not finish within {limit_s:g} s (a loop at import?)"
            child.join(5)
            return done, f"it ended its process while being imported (exit code {child.exitcode})"
        return done, None
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
        reader.close()


def _import_each(files: list[tuple[str, bytes]], said: Connection) -> None:
    """In the child: import each file's bytes, saying when each starts and ends. What a
    file raises is left to the engine's import to report.

    The strategy API (pydantic, numpy, the indicators) is imported first, within the
    child's start-up allowance: a cold import of it takes seconds on a slow Windows
    machine, and must not count against the first file's own time."""
    for module in _STRATEGY_API:
        importlib.import_module(module)
    for index, (text, source) in enumerate(files):
        said.send(("start", index))
        with suppress(BaseException):  # what it raises is judged by the engine's import
            run_source(f"tradeterm_probed_strategy_{index}", Path(text), source)
        said.send(("done", index))
    said.close()
    os._exit(0)  # what a file started (threads, atexit hooks) must not keep the child


def _key(name: str, source: bytes) -> str:
    digest = hashlib.sha256(source).hexdigest()
    return f"{name}:{digest}:{sys.version_info[:2]}:{__version__}"


def _read(checked: Path | None) -> set[str]:
    if checked is None:
        return set()
    try:
        data = json.loads(checked.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # unreadable: everything is new again
        return set()
    return {item for item in data if isinstance(item, str)} if isinstance(data, list) else set()


def _write(checked: Path, known: set[str]) -> None:
    try:
        checked.parent.mkdir(parents=True, exist_ok=True)
        partial = checked.with_suffix(".partial")
        partial.write_text(json.dumps(sorted(known)), encoding="utf-8")
        partial.replace(checked)
    except OSError as exc:
        log.warning("could not remember the checked strategy files: %s", exc)
