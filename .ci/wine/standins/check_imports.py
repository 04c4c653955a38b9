"""Fail if a Windows DLL imports a function from a library that our stand-in lacks.

Usage: python3 check_imports.py IMPORTER_DLL LIBRARY_NAME STAND_IN_DLL

Qt6Core.dll takes its ICU converter functions from the system's icuuc.dll, which
Wine 8.0 does not have; the stand-in provides the ones Qt uses today. A newer
PySide6 may import one more, and would then fail to load with a bare "module not
found": this names the missing functions instead.
"""

from __future__ import annotations

import re
import subprocess
import sys


def dump(dll: str) -> str:
    return subprocess.run(
        ["x86_64-w64-mingw32-objdump", "-p", dll], capture_output=True, text=True, check=True
    ).stdout


def imported_from(dll: str, library: str) -> set[str]:
    names: set[str] = set()
    for block in re.split(r"\n\s*DLL Name: ", dump(dll))[1:]:
        lines = block.splitlines()
        if lines[0].strip().lower() != library.lower():
            continue
        for line in lines[1:]:
            if not line.strip():
                break
            match = re.match(r"^\s*(?:[0-9a-f]+\s+)?\d+\s+(\w+)\s*$", line)
            if match:
                names.add(match.group(1))
    return names


def exported_by(dll: str) -> set[str]:
    table = dump(dll).split("[Ordinal/Name Pointer] Table", 1)[-1]
    return set(re.findall(r"^\s*\[\s*\d+\]\s+(\S+)\s*$", table, re.MULTILINE))


def main(importer: str, library: str, stand_in: str) -> int:
    wanted = imported_from(importer, library)
    missing = sorted(wanted - exported_by(stand_in))
    if missing:
        print(f"{importer} needs from {library}: {', '.join(missing)}, which the stand-in lacks")
        return 1
    print(
        f"{library} stand-in covers the {len(wanted)} functions {importer.split('/')[-1]} imports"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
