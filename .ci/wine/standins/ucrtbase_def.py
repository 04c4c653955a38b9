"""Write the .def file of the stand-in ucrtbase.dll.

Usage: python3 ucrtbase_def.py WINE_UCRTBASE_DLL IMPL_OBJECT OUT_DEF

Every export of Wine's own ucrtbase.dll is kept, in its order: the ones the
compiled object implements (as ``impl_<name>``) point there, every other one is
forwarded to Wine's original, which the prefix keeps as ``ucrtwine.dll``.
"""

from __future__ import annotations

import re
import subprocess
import sys


def exports_of(dll: str) -> list[str]:
    dump = subprocess.run(
        ["x86_64-w64-mingw32-objdump", "-p", dll], capture_output=True, text=True, check=True
    ).stdout
    table = dump.split("[Ordinal/Name Pointer] Table", 1)[1]
    return re.findall(r"^\s*\[\s*\d+\]\s+(\S+)\s*$", table, re.MULTILINE)


def implemented_in(obj: str) -> set[str]:
    symbols = subprocess.run(
        ["x86_64-w64-mingw32-nm", "--defined-only", "--extern-only", obj],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {m.group(1) for m in re.finditer(r"\s[T]\s+impl_(\w+)$", symbols, re.MULTILINE)}


def main(dll: str, obj: str, out: str) -> None:
    exports = exports_of(dll)
    mine = implemented_in(obj)
    missing = sorted(mine - set(exports))
    if missing:
        sys.exit(f"not exported by Wine's ucrtbase, so never called: {', '.join(missing)}")
    lines = ["LIBRARY ucrtbase.dll", "EXPORTS"]
    for name in exports:
        target = f"impl_{name}" if name in mine else f"ucrtwine.{name}"
        lines.append(f"    {name}={target}")
    with open(out, "w", encoding="ascii") as handle:
        handle.write("\n".join(lines) + "\n")
    print(f"ucrtbase stand-in: {len(exports)} exports, {len(mine)} implemented, rest forwarded")


if __name__ == "__main__":
    main(*sys.argv[1:4])
