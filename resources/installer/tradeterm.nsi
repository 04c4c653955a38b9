; Tradeterm-Setup-<version>.exe: installs the one-folder PyInstaller build for the
; current user, without administrator rights.
;
;   makensis -DVERSION=0.1.0 -DBUNDLE=dist\Tradeterm -DOUTFILE=Tradeterm-Setup-0.1.0.exe \
;            resources/installer/tradeterm.nsi
;
; Install:   Tradeterm-Setup-<version>.exe [/S] [/NODESKTOP] [/D=<folder>]
; Uninstall: Uninstall.exe [/S] [/PURGE]
;
; * Goes to %LOCALAPPDATA%\Programs\Tradeterm (or the folder of an earlier install),
;   registers under HKCU only, and adds a Start-menu shortcut and, unless unticked
;   or /NODESKTOP is given, a desktop shortcut.
; * Installing over an earlier version upgrades it in place: the program files are
;   replaced as a whole (nothing of the old version lingers), the user's settings,
;   trade journal and logs in %LOCALAPPDATA%\Tradeterm are not touched.
; * The uninstaller removes the program, its shortcuts and its registration. It keeps
;   the user's data unless they tick "Also delete…" (or pass /PURGE): a trade journal
;   is a record a trader may need long after the program is gone.

Unicode true
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma

!ifndef VERSION
  !error "pass -DVERSION=<x.y.z>"
!endif
!ifndef BUNDLE
  !error "pass -DBUNDLE=<the one-folder build, dist\Tradeterm>"
!endif
!ifndef OUTFILE
  !define OUTFILE "Tradeterm-Setup-${VERSION}.exe"
!endif

!define APP "Tradeterm"
!define EXE "Tradeterm.exe"
!define PUBLISHER "Tradeterm"
!define APP_KEY "Software\${APP}"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP}"
!define ICON "../app.ico" ; makensis works from the folder of this script

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"

Name "${APP} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP}"
InstallDirRegKey HKCU "${APP_KEY}" "InstallDir"
BrandingText "${APP} ${VERSION}"

VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${APP}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APP} ${VERSION} setup"
VIAddVersionKey "CompanyName" "${PUBLISHER}"
VIAddVersionKey "LegalCopyright" "MIT licence"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_COMPONENTSPAGE_NODESC
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${APP} now"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

Section "${APP} (required)" SEC_APP
  SectionIn RO
  ; An upgrade replaces the program files as a whole: a module or DLL the new
  ; version no longer ships must not stay behind and be loaded.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${EXE}"
  SetOutPath "$INSTDIR"
  File /r "${BUNDLE}\*.*"
  WriteUninstaller "$INSTDIR\Uninstall.exe"

  CreateShortCut "$SMPROGRAMS\${APP}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0

  WriteRegStr HKCU "${APP_KEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${APP_KEY}" "Version" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${EXE}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\Uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" $0
SectionEnd

Section "Desktop shortcut" SEC_DESKTOP
  CreateShortCut "$DESKTOP\${APP}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0
SectionEnd

Section "un.${APP}" SEC_UN_APP
  SectionIn RO
  Delete "$SMPROGRAMS\${APP}.lnk"
  Delete "$DESKTOP\${APP}.lnk"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${EXE}"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR"  ; only if empty: never files the user put there
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "${APP_KEY}"
SectionEnd

; Unticked unless chosen: the settings, the trade journal, the paper account and the
; logs (the folder Tradeterm keeps them in, %LOCALAPPDATA%\Tradeterm).
Section /o "un.Also delete my settings, trade journal and logs" SEC_UN_DATA
  RMDir /r "$LOCALAPPDATA\${APP}"
SectionEnd

; The sections above define the ids these use.
Function .onInit
  SetShellVarContext current
  ${GetParameters} $0
  ClearErrors
  ${GetOptions} $0 "/NODESKTOP" $1
  ${IfNot} ${Errors}
    !insertmacro UnselectSection ${SEC_DESKTOP}
  ${EndIf}
FunctionEnd

Function un.onInit
  SetShellVarContext current
  ${GetParameters} $0
  ClearErrors
  ${GetOptions} $0 "/PURGE" $1
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${SEC_UN_DATA}
  ${EndIf}
FunctionEnd
