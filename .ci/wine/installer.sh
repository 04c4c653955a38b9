# The installer's round trip under Wine, silently, as a deployment tool would run it.
# Sourced by .ci/windows.sh, which provides fail, win, smoke_test, WINEPREFIX.
#
# Install, check what a user would find (program, shortcuts, uninstall entry), install
# again over it (an upgrade in place: no file of the old install may linger), run the
# installed exe's smoke test with the real per-user data folder, uninstall (the
# program goes, the user's data stays), then install and uninstall with /PURGE (the
# data goes too).

installer_round_trip() {
  local setup=$1 user_dir local_app programs start_menu desktop data key
  user_dir=$WINEPREFIX/drive_c/users/$(whoami) # Wine names the profile after the Unix user
  local_app=$user_dir/AppData/Local
  programs=$local_app/Programs/Tradeterm
  start_menu="$user_dir/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Tradeterm.lnk"
  desktop=$user_dir/Desktop/Tradeterm.lnk
  data=$local_app/Tradeterm
  key='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\Tradeterm'

  install() {
    local started; started=$(date +%s)
    win "$setup" /S || fail "the installer exited with an error"
    wineserver -w # until every process it started has ended
    echo "installed in $(($(date +%s) - started)) s: $programs"
  }
  uninstall() {
    local started; started=$(date +%s)
    # The uninstaller copies itself out of the folder it deletes, runs that copy and
    # returns at once: wait for the copy too.
    win "$programs/Uninstall.exe" /S "$@" || fail "the uninstaller exited with an error"
    wineserver -w
    echo "uninstalled ($*) in $(($(date +%s) - started)) s"
  }
  registered() { win reg query "$key" /v DisplayVersion >/dev/null 2>&1; }

  install
  [ -f "$programs/Tradeterm.exe" ] && [ -d "$programs/_internal" ] || fail "no Tradeterm.exe in $programs"
  [ -f "$start_menu" ] || fail "no Start-menu shortcut"
  [ -f "$desktop" ] || fail "no desktop shortcut"
  registered || fail "no uninstall entry under $key"
  win reg query "$key" /v DisplayVersion | grep DisplayVersion
  echo "Start-menu and desktop shortcuts, uninstall entry in HKCU: present"

  echo "a file only an older version had" >"$programs/_internal/left-from-an-older-version.txt"
  install
  [ ! -e "$programs/_internal/left-from-an-older-version.txt" ] || fail "the upgrade left an old file behind"
  [ -f "$programs/Tradeterm.exe" ] || fail "the upgrade lost Tradeterm.exe"
  echo "upgrade in place: old files replaced, one uninstall entry"

  smoke_test "installed, %LOCALAPPDATA%\\Programs\\Tradeterm\\Tradeterm.exe" "$programs/Tradeterm.exe" ""
  [ -f "$data/journal.sqlite" ] || fail "the installed exe kept no journal in $data"
  echo "the installed exe keeps its data in %LOCALAPPDATA%\\Tradeterm: $(ls "$data" | tr '\n' ' ')"

  uninstall
  [ ! -e "$programs" ] || fail "the uninstaller left $programs"
  [ ! -e "$start_menu" ] && [ ! -e "$desktop" ] || fail "the uninstaller left a shortcut"
  ! registered || fail "the uninstaller left the uninstall entry"
  [ -f "$data/journal.sqlite" ] || fail "the uninstaller deleted the user's journal without being asked"
  echo "uninstalled: program, shortcuts and entry gone; the user's data kept: $(ls "$data" | tr '\n' ' ')"

  install
  uninstall /PURGE
  [ ! -e "$data" ] || fail "uninstall /PURGE left $data"
  [ ! -e "$programs" ] || fail "the uninstaller left $programs"
  echo "uninstalled with /PURGE: the user's data gone as well"
  echo "installer round trip: passed"
}
