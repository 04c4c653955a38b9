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
import importlib.util
import json
import logging
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path

from app import __version__

log = logging.getLogger(__name__)

#: Seconds one file may take to import in the probe before it is called stuck.
IMPORT_LIMIT_S = 10.0
#: Seconds the probe process may take to start (a cold start on Windows is slow).
START_LIMIT_S = 60.0
_POLL_S = 0.1


def unsafe_files(
    paths: Sequence[Path],
    checked: Path | None,
    *,
    limit_s: float | None = None,
    start_limit_s: float | None = None,
) -> dict[Path, str]:
    """The files the engine must not import, each with why in words.

    ``checked`` is the file remembering which contents passed before (``None``:
    remember nothing). A probe that cannot run at all lets every file through, as
    before there was a probe, and says so in the log file.
    """
    limit = IMPORT_LIMIT_S if limit_s is None else limit_s
    start_limit = START_LIMIT_S if start_limit_s is None else start_limit_s
    known = _read(checked)
    keys = {path: _key(path) for path in paths}
    todo = [path for path in paths if keys[path] is not None and keys[path] not in known]
    problems: dict[Path, str] = {}
    while todo:
        done, stuck = _probe(todo, limit, start_limit)
        for path in todo[:done]:
            key = keys[path]
            if key is not None:
                known.add(key)
        if stuck is None:
            break
        problems[todo[done]] = stuck
        todo = todo[done + 1 :]
    if checked is not None:  # only what is in the folder now: a deleted file is forgotten
        _write(checked, known & {key for key in keys.values() if key is not None})
    return problems


def _probe(paths: list[Path], limit_s: float, start_limit_s: float) -> tuple[int, str | None]:
    """Import ``paths`` in order in one child; returns how many finished, and why the
    next did not (``None``: all finished, or the probe could not run)."""
    context = multiprocessing.get_context("spawn")  # no fork: the same on Windows
    reader, writer = context.Pipe(duplex=False)  # a pipe, not a queue: sent at once
    child = context.Process(
        target=_import_each, args=([str(p) for p in paths], writer), daemon=True
    )
    try:
        child.start()
    except Exception as exc:  # no process at all: the files go through unprobed
        log.warning("strategy files not checked in a separate process: %s", exc)
        reader.close()
        return len(paths), None
    finally:
        writer.close()  # the child holds its own end now
    done, importing = 0, False
    deadline = time.monotonic() + start_limit_s
    try:
        while done < len(paths):
            if reader.poll(_POLL_S):
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
                return len(paths), None
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


def _import_each(paths: list[str], said: Connection) -> None:
    """In the child: import each file, saying when each starts and ends. What a file
    raises is left to the engine's import to report."""
    for index, text in enumerate(paths):
        said.send(("start", index))
        name = f"tradeterm_probed_strategy_{index}"
        try:
            spec = importlib.util.spec_from_file_location(name, text)
            if spec is not None and spec.loader is not None:
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
        except BaseException:  # judged by the engine's own import
            pass
        said.send(("done", index))
    said.close()
    os._exit(0)  # what a file started (threads, atexit hooks) must not keep the child


def _key(path: Path) -> str | None:
    try:
        content = path.read_bytes()
    except OSError:
        return None
    digest = hashlib.sha256(content).hexdigest()
    return f"{path.name}:{digest}:{sys.version_info[:2]}:{__version__}"


def _read(checked: Path | None) -> set[str]:
    if checked is None:
        return set()
    try:
        data = json.loads(checked.read_text(encoding="utf-8"))
    except (OSError, ValueError):
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
