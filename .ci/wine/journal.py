"""Read what a Tradeterm.exe run left in its trade journal, from Linux.

A windowed exe has no console, so CI judges its runs by what they journaled:

    python3 journal.py orders JOURNAL [--expect N] [--source SOURCE] [--wait S]
        print every order; fail unless at least N are FILLED (sent from SOURCE)
    python3 journal.py says JOURNAL TEXT [--wait S]
        print the event-log lines containing TEXT; fail unless there is exactly one

The app writes the journal while it runs (orders at once, the event log in small
batches), so both commands poll for up to --wait seconds. Only the standard
library's sqlite3 is used; the file is opened read-only.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path


def query(journal: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    if not journal.exists():
        return []
    try:
        with sqlite3.connect(f"{journal.as_uri()}?mode=ro", uri=True, timeout=5) as db:
            return db.execute(sql, args).fetchall()
    except sqlite3.OperationalError:  # not created yet, or mid-migration
        return []


def orders(journal: Path, expect: int, source: str | None, wait: float) -> int:
    deadline = time.monotonic() + wait
    while True:
        rows = query(
            journal,
            "SELECT client_id, source, side, volume, symbol, status, fill_price, broker_ticket"
            " FROM orders ORDER BY id",
        )
        filled = [r for r in rows if r[5] == "filled" and source in (None, r[1])]
        if len(filled) >= expect or time.monotonic() > deadline:
            break
        time.sleep(1)
    for client_id, source, side, volume, symbol, status, price, ticket in rows:
        print(
            f"journal: order {client_id} from {source}: {side} {volume} {symbol} {status}"
            f" at {price} (ticket {ticket})"
        )
    if len(filled) < expect:
        what = f"filled orders from {source}" if source else "filled orders"
        print(f"journal: {len(filled)} {what}, expected {expect}", file=sys.stderr)
        return 1
    return 0


def says(journal: Path, text: str, wait: float) -> int:
    deadline = time.monotonic() + wait
    while True:
        rows = query(
            journal,
            "SELECT level, source, message FROM event_log WHERE message LIKE ? ORDER BY id",
            f"%{text}%",
        )
        if rows or time.monotonic() > deadline:
            break
        time.sleep(1)
    for level, source, message in rows:
        print(f"event log ({source}, level {level}): {message}")
    if len(rows) != 1:
        print(f"journal: {len(rows)} event-log lines contain {text!r}, expected 1", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    o = commands.add_parser("orders")
    o.add_argument("journal", type=Path)
    o.add_argument("--expect", type=int, default=1)
    o.add_argument("--source")
    o.add_argument("--wait", type=float, default=0)
    s = commands.add_parser("says")
    s.add_argument("journal", type=Path)
    s.add_argument("text")
    s.add_argument("--wait", type=float, default=0)
    args = parser.parse_args()
    if args.command == "orders":
        return orders(args.journal, args.expect, args.source, args.wait)
    return says(args.journal, args.text, args.wait)


if __name__ == "__main__":
    sys.exit(main())
