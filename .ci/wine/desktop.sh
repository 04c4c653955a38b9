# Tradeterm.exe on an Xvfb display, used as a person would: keys, and a screenshot.
# Sourced by .ci/windows.sh, which provides say, fail, winpath, WORK, CI_DIR.
#
# Xvfb runs without a window manager, so nothing gives a window the keyboard when it
# appears: before typing, the pointer is moved over the window and the window is
# given the input focus directly.
#
# Qt >= 6.8 draws text through DirectWrite on Windows; Wine 8.0's DirectWrite gives
# it no glyphs, so every character would be a box. These runs use Qt's Windows
# platform (qwindows) with its GDI font engine, which Wine implements fully.
QWINDOWS_ON_WINE="windows:fontengine=gdi"

start_display() {
  # Xvfb picks a free display and writes its number to the descriptor.
  # 9>&-: the display must not hold the cache lock (fd 9) if it outlives this run.
  Xvfb -displayfd 5 -screen 0 1600x1000x24 -nolisten tcp 5>"$WORK/display" >"$WORK/xvfb.log" 2>&1 9>&- &
  XVFB_PID=$!
  for _ in $(seq 100); do [ -s "$WORK/display" ] && break; sleep 0.1; done
  [ -s "$WORK/display" ] || { cat "$WORK/xvfb.log"; fail "Xvfb did not start"; }
  export DISPLAY=":$(head -n 1 "$WORK/display")"
  echo "Xvfb on display $DISPLAY, 1600x1000"
}

# The id of the visible window whose title is exactly $1, waiting up to $2 seconds.
window_titled() {
  local title=$1 wait_s=$2 id=""
  for _ in $(seq $((wait_s * 2))); do
    id=$(xdotool search --onlyvisible --name "^${title}\$" 2>/dev/null | tail -n 1 || true)
    [ -n "$id" ] && { echo "$id"; return 0; }
    sleep 0.5
  done
  return 1
}

# Give a window the keyboard: pointer over its middle, then the X input focus.
point_at() {
  local id=$1 width height
  eval "$(xdotool getwindowgeometry --shell "$id")"
  width=$WIDTH height=$HEIGHT
  xdotool mousemove --window "$id" $((width / 2)) $((height / 2))
  xdotool windowfocus --sync "$id" 2>/dev/null || true
  sleep 0.3
}

# Start the exe in the background with its own user data; APP_PID is its process.
start_exe() {
  local exe=$1 home=$2 log=$3
  shift 3
  mkdir -p "$home"
  env TRADETERM_HOME="$(winpath "$home")" WINEQT_QPA_PLATFORM="$QWINDOWS_ON_WINE" "$@" \
    wine "$exe" > >(cat >"$log") 2>&1 &
  APP_PID=$!
}

# Ctrl+Q in the main window; if it is still running after 30 s, end it.
quit_exe() {
  local main=$1
  point_at "$main"
  xdotool key ctrl+q
  for _ in $(seq 60); do kill -0 "$APP_PID" 2>/dev/null || return 0; sleep 0.5; done
  echo "Tradeterm.exe did not quit on Ctrl+Q; ending it"
  kill "$APP_PID" 2>/dev/null || true
  wait "$APP_PID" 2>/dev/null || true
}

# Enter on the welcome (its default button), until it has closed.
dismiss_welcome() {
  local welcome=$1
  for _ in 1 2 3 4 5; do
    point_at "$welcome"
    xdotool key Return
    sleep 1
    xdotool search --onlyvisible --name "^Welcome to Tradeterm\$" >/dev/null 2>&1 || return 0
  done
  fail "the welcome did not close on Enter"
}

shot() {
  import -window root "$1"
  echo "screenshot: $1"
}

paper_order_by_keyboard() {
  local exe=$1 home=$2 png=$3 main welcome confirm
  start_exe "$exe" "$home" "$WORK/desktop-paper.log"
  welcome=$(window_titled "Welcome to Tradeterm" 180) || { shot "$png"; fail "no welcome window (first start)"; }
  main=$(window_titled "Tradeterm" 10) || fail "no main window"
  echo "window up at $(elapsed) of the Windows half (welcome $welcome, main $main); Enter starts on paper"
  dismiss_welcome "$welcome"
  sleep 3 # the first chart history and ticks
  point_at "$main"
  xdotool key F9
  xdotool type --delay 60 "buy 0.1 eurusd"
  xdotool key Return
  confirm=$(window_titled "Send order" 20) || { shot "$png"; fail "no 'Send order' confirmation"; }
  point_at "$confirm"
  xdotool key y # the dialog's Yes; its default is No
  python3 "$CI_DIR/journal.py" orders "$home/data/journal.sqlite" --source ticket --expect 1 --wait 30 \
    || { shot "$png"; fail "the keyboard order did not fill"; }
  sleep 3 # the position row and its live profit
  shot "$png"
  quit_exe "$main"
}

mt5_without_terminal() {
  local exe=$1 home=$2 png=$3 main welcome
  # The real MetaTrader5 package is in the bundle; no terminal is installed here.
  start_exe "$exe" "$home" "$WORK/desktop-mt5.log" TRADETERM_BROKER__KIND=mt5
  welcome=$(window_titled "Welcome to Tradeterm" 180) || { shot "$png"; fail "no window with broker.kind = mt5"; }
  main=$(window_titled "Tradeterm" 10) || fail "no main window"
  python3 "$CI_DIR/journal.py" says "$home/data/journal.sqlite" \
    "could not start or reach the MetaTrader 5 terminal" --wait 60 \
    || { shot "$png"; fail "the event log does not say (once) that the terminal cannot be reached"; }
  sleep 2
  shot "${png%.png}-welcome.png" # the welcome names MetaTrader 5, not paper mode
  dismiss_welcome "$welcome"
  sleep 2
  shot "$png"
  quit_exe "$main"
}
