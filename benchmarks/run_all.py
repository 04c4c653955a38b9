"""Run every benchmark and print ONE table: Tradeterm, vn.py measured in the same run, ratio.

    python benchmarks/run_all.py [--no-vnpy] [--no-engines]

* Every ``benchmarks/bench_*.py`` that exists runs in its own subprocess with
  this interpreter, offscreen (a missing or failing one is reported, never
  fatal). Scripts that speak ``_report``'s ``--json`` protocol feed the table;
  the others' own output is printed after it.
* vn.py 4.x runs in its OWN virtual environment, ``benchmarks/.vnpy-venv``,
  created here on first use with ``python -m venv`` and ``pip install
  "vnpy==4.5.*"`` from PyPI (it pins its own PySide6 and pulls pandas, TA-Lib…;
  it is never a dependency of Tradeterm). ``benchmarks/vnpy_driver.py`` drives
  it in a subprocess. If it cannot be installed, the table shows the reference
  figures from ``shared/reference/measurements.md``, labelled as such.

* NautilusTrader and backtrader run the same way, each in its own virtual
  environment created here on first use (``benchmarks/.nautilus-venv``,
  ``benchmarks/.backtrader-venv``), on the tester benchmark's 200,000 M1 bars
  (``_backtest_data.py``, written to a CSV file for them): NautilusTrader's
  ``EMACross`` example (EMA 10/30, its risk engine on) through
  ``nautilus_driver.py``, an SMA 10/30 cross in backtrader through
  ``backtrader_driver.py``. A second table sets them beside the tester's
  open-prices figure (``bench_tester.py``: SMA 10/30 ``ma_cross`` through the
  full engine with the risk gate on).

The ratio reads "times better for Tradeterm": vn.py ÷ Tradeterm for times,
Tradeterm ÷ vn.py for rates, so above 1 means Tradeterm is ahead.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import venv as venv_lib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _report import fmt  # noqa: E402

VENV = HERE / ".vnpy-venv"
VNPY_SPEC = "vnpy==4.5.*"
#: The other backtest engines: (title, its venv, pip spec, module to import, driver).
ENGINES = (
    (
        "NautilusTrader",
        HERE / ".nautilus-venv",
        "nautilus_trader==1.221.*",  # the version the issue measured (the newest for Python 3.11)
        "nautilus_trader",
        "nautilus_driver.py",
    ),
    (
        "backtrader",
        HERE / ".backtrader-venv",
        "backtrader==1.9.78.123",
        "backtrader",
        "backtrader_driver.py",
    ),
)
ENGINE_RUNS = 3
ENGINE_TIMEOUT_S = 1800
JSON_PREFIX = "BENCH-JSON "
ORDER = ("bench_data_path.py", "bench_chart.py", "bench_frame_latency.py")
BENCH_TIMEOUT_S = 240
VNPY_TIMEOUT_S = 240

#: vn.py figures measured before any project code (shared/reference/measurements.md),
#: shown only when vn.py cannot run here; keyed like the driver's output.
REFERENCE = {
    "event_engine_per_s": 123_000.0,
    "gui_burst_per_s": 48_000.0,
    "chart_tick_100000_p50_ms": 116.0,
    "chart_newbar_100000_p50_ms": 116.0,
    "chart_tick_10000_p50_ms": 13.0,
    "chart_newbar_10000_p50_ms": 13.0,
    "chart_repaint_all_100000_ms": 4_800.0,
}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def run_benchmarks() -> tuple[list[dict], list[tuple[str, str]]]:
    """Sections from JSON-speaking scripts, and (name, output) of the others."""
    scripts = sorted(HERE.glob("bench_*.py"), key=lambda p: (p.name not in ORDER, p.name))
    sections: list[dict] = []
    others: list[tuple[str, str]] = []
    for script in scripts:
        started = time.perf_counter()
        print(f"… {script.name}", file=sys.stderr, flush=True)
        # Only scripts built on _report understand --json; the others run as they are.
        speaks_json = "_report" in script.read_text(encoding="utf-8")
        try:
            done = subprocess.run(
                [sys.executable, str(script), *(["--json"] if speaks_json else [])],
                capture_output=True,
                text=True,
                timeout=BENCH_TIMEOUT_S,
                env=_env(),
                cwd=ROOT,
            )
        except subprocess.TimeoutExpired:
            others.append((script.name, f"timed out after {BENCH_TIMEOUT_S} s"))
            continue
        took = time.perf_counter() - started
        found = [
            json.loads(line[len(JSON_PREFIX) :])
            for line in done.stdout.splitlines()
            if line.startswith(JSON_PREFIX)
        ]
        if found:
            sections.extend(found)
        elif done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-5:])
            others.append((script.name, f"failed (exit {done.returncode}):\n{tail}"))
        else:
            others.append((script.name, done.stdout.strip() + f"\n({took:.0f} s)"))
    return sections, others


# -- vn.py ---------------------------------------------------------------------------


def _venv_python(venv: Path = VENV) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_vnpy() -> tuple[Path | None, str]:
    """The vn.py venv's interpreter (created and installed if needed), or None and why."""
    python = _venv_python()
    probe = [str(python), "-c", "import vnpy, PySide6; print(vnpy.__version__)"]
    if python.exists():
        ok = subprocess.run(probe, capture_output=True, text=True)
        if ok.returncode == 0:
            return python, f"vn.py {ok.stdout.strip()} (existing {VENV.name})"
    print(f"… creating {VENV.name} and installing {VNPY_SPEC} (about a minute)", file=sys.stderr)
    try:
        venv_lib.EnvBuilder(with_pip=True, clear=True).create(VENV)
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", VNPY_SPEC],
            capture_output=True,
            text=True,
            timeout=900,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"could not create the vn.py environment: {exc}"
    if install.returncode != 0:
        tail = " ".join(install.stderr.strip().splitlines()[-3:])
        return None, f"pip could not install {VNPY_SPEC}: {tail}"
    ok = subprocess.run(probe, capture_output=True, text=True)
    if ok.returncode != 0:
        return None, f"vn.py installed but does not import: {ok.stderr.strip()[-300:]}"
    return python, f"vn.py {ok.stdout.strip()} (installed into {VENV.name})"


def run_vnpy(python: Path) -> tuple[dict, list[str]]:
    """The driver's figures, section by section, so one failing part keeps the others."""
    figures: dict = {}
    problems: list[str] = []
    for section in ("events", "chart", "painted"):
        print(f"… vn.py {section}", file=sys.stderr, flush=True)
        try:
            done = subprocess.run(
                [str(python), str(HERE / "vnpy_driver.py"), section],
                capture_output=True,
                text=True,
                timeout=VNPY_TIMEOUT_S,
                env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
            )
        except subprocess.TimeoutExpired:
            problems.append(f"vn.py {section}: timed out after {VNPY_TIMEOUT_S} s")
            continue
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            tail = " ".join(done.stderr.strip().splitlines()[-2:])
            problems.append(f"vn.py {section}: failed ({tail})")
            continue
        figures.update(json.loads(lines[-1]))
    return figures, problems


# -- the other backtest engines ----------------------------------------------------------


def ensure_engine(title: str, venv: Path, spec: str, module: str) -> tuple[Path | None, str]:
    """An engine's own interpreter (its venv created and installed on first use), or None."""
    python = _venv_python(venv)
    probe = [str(python), "-c", f"import {module}; print({module}.__version__)"]
    if python.exists():
        ok = subprocess.run(probe, capture_output=True, text=True)
        if ok.returncode == 0:
            return python, f"{title} {ok.stdout.strip()} (existing {venv.name})"
    print(f"… creating {venv.name} and installing {spec}", file=sys.stderr)
    try:
        venv_lib.EnvBuilder(with_pip=True, clear=True).create(venv)
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", spec],
            capture_output=True,
            text=True,
            timeout=1800,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"could not create the {title} environment: {exc}"
    if install.returncode != 0:
        tail = " ".join(install.stderr.strip().splitlines()[-3:])
        return None, f"pip could not install {spec}: {tail}"
    ok = subprocess.run(probe, capture_output=True, text=True)
    if ok.returncode != 0:
        return None, f"{title} installed but does not import: {ok.stderr.strip()[-300:]}"
    return python, f"{title} {ok.stdout.strip()} (installed into {venv.name})"


def run_engines() -> tuple[list[dict], list[str]]:
    """Each engine's driver on the benchmark's bars: its best and median bars/s."""
    from _backtest_data import write_csv

    found: list[dict] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        bars = write_csv(Path(folder) / "bars.csv")
        for title, venv, spec, module, driver in ENGINES:
            python, status = ensure_engine(title, venv, spec, module)
            notes.append(status)
            if python is None:
                continue
            print(f"… {title} ({ENGINE_RUNS} runs)", file=sys.stderr, flush=True)
            try:
                done = subprocess.run(
                    [str(python), str(HERE / driver), str(bars), str(ENGINE_RUNS)],
                    capture_output=True,
                    text=True,
                    timeout=ENGINE_TIMEOUT_S,
                )
            except subprocess.TimeoutExpired:
                notes.append(f"{title}: timed out after {ENGINE_TIMEOUT_S} s")
                continue
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode != 0 or not lines:
                tail = " ".join(done.stderr.strip().splitlines()[-2:])
                notes.append(f"{title}: failed ({tail})")
                continue
            found.append(json.loads(lines[-1]))
    return found, notes


def print_engines(sections: list[dict], engines: list[dict]) -> None:
    ours = next(
        (row for section in sections for row in section["rows"] if row.get("key") == "tester_open"),
        None,
    )
    print(
        "\n| backtest engine, same 200,000 M1 bars | bars/s (best) | median | fills | Tradeterm ahead |"
    )
    print("|---|---:|---:|---:|---:|")
    best = ours["value"] if ours else None
    if ours:
        median = ours["text"].split("median ")[-1].rstrip(")") if "median" in ours["text"] else ""
        print(
            f"| Tradeterm tester, open prices, SMA 10/30 ma_cross, full engine + risk gate | "
            f"{best:,.0f} | {median} | {ours.get('note', '').split(' trades')[0]} trades | — |"
        )
    for engine in engines:
        theirs = engine["best_bars_per_s"]
        print(
            f"| {engine['engine']}, {engine['rules']} | {theirs:,.0f} | "
            f"{engine['median_bars_per_s']:,.0f} | {engine['fills']:,} | {ratio(best, theirs, True)} |"
        )


# -- the table -----------------------------------------------------------------------


def ratio(ours: float | None, theirs: float | None, higher: bool) -> str:
    if not ours or not theirs:
        return "—"
    r = ours / theirs if higher else theirs / ours
    return f"{r:,.0f}×" if r >= 10 else f"{r:.1f}×"


def _skipped(key: str) -> str:
    """The vn.py driver's note for a chart paint it did not run (cached or not)."""
    return key.replace("_cached", "")[:-3] + "_skipped"


def print_table(sections: list[dict], vn: dict, measured: bool) -> None:
    head = "vn.py (same run)" if measured else "vn.py (reference, NOT measured in this run)"
    print(f"| metric | Tradeterm | {head} | ratio | target |")
    print("|---|---:|---:|---:|---|")
    for section in sections:
        for row in section["rows"]:
            ours = row["value"]
            key = row.get("vnpy_key")
            theirs = vn.get(key) if key else None
            if isinstance(theirs, str):
                theirs_text, theirs = theirs, None
            elif key and key.startswith("chart_repaint_all_") and _skipped(key) in vn:
                theirs_text = vn[_skipped(key)]
            else:
                theirs_text = fmt(theirs, row["unit"]) if key else "n/a"
            our_text = row.get("text") or fmt(ours, row["unit"])
            target = row.get("target", "")
            note = row.get("note", "")
            metric = row["metric"] + (f" ({note})" if note else "")
            print(
                f"| {metric} | {our_text} | {theirs_text} | "
                f"{ratio(ours, theirs, row.get('higher', False))} | {target} |"
            )


def cpu_times() -> list[int] | None:
    """The machine's CPU time counters (Linux ``/proc/stat``), or ``None`` elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            return [int(field) for field in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None


def stolen_share(before: list[int] | None, after: list[int] | None) -> str:
    """How much CPU the host took from this virtual machine meanwhile (noise in the figures)."""
    if before is None or after is None or len(before) < 8:
        return ""
    spent = [b - a for a, b in zip(before, after, strict=False)]
    total = sum(spent[:8])
    return f"{100 * spent[7] / total:.0f} % of the CPU time was stolen by the host" if total else ""


def main() -> None:
    started = time.perf_counter()
    cpu_before = cpu_times()
    sections, others = run_benchmarks()
    vn: dict = {}
    notes: list[str] = []
    measured = False
    if "--no-vnpy" in sys.argv:
        notes.append("vn.py skipped (--no-vnpy)")
    else:
        python, status = ensure_vnpy()
        notes.append(status)
        if python is not None:
            vn, problems = run_vnpy(python)
            notes.extend(problems)
            measured = bool(vn)
    if not measured:
        vn = dict(REFERENCE)
    engines: list[dict] = []
    if "--no-engines" in sys.argv:
        notes.append("NautilusTrader and backtrader skipped (--no-engines)")
    else:
        engines, engine_notes = run_engines()
        notes.extend(engine_notes)
    stolen = stolen_share(cpu_before, cpu_times())
    if stolen:
        notes.append(stolen)
    print(
        f"\nPython {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"QPA {os.environ.get('QT_QPA_PLATFORM', 'offscreen')}; "
        + (f"vn.py {vn.get('vnpy')} on PySide6 {vn.get('pyside6')}" if measured else "")
        + "\n"
    )
    print_table(sections, vn, measured)
    print("\nRatio: times better for Tradeterm (above 1: Tradeterm ahead).")
    if engines:
        print_engines(sections, engines)
    for note in notes:
        print(f"- {note}")
    for name, output in others:
        print(f"\n### {name}\n\n{output}")
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
