# Builds the app bundle on Windows 10/11 (x64). UNTESTED: this script and the spec's
# Windows branch were written on Linux, where the same spec is built and tested; see
# README "Install at a clinic" for what is untested.
#
#   powershell -ExecutionPolicy Bypass -File packaging\build-windows.ps1
#
# Needs Python 3.11 from python.org (the "py" launcher) on the build PC only; the
# result, dist\ultrasound-consult-VERSION-windows-x64.zip, needs no Python. PortAudio
# comes inside the sounddevice wheel, Chinese fonts with Windows (Microsoft YaHei).
$ErrorActionPreference = "Stop"
Set-Location (Split-Path -Parent $PSScriptRoot)

$venv = ".venv-package"
if (-not (Test-Path "$venv\Scripts\python.exe")) { py -3.11 -m venv $venv }
$py = "$venv\Scripts\python.exe"
& $py -m pip install --quiet --upgrade pip "setuptools>=78.1.1"
& $py -m pip install --quiet ".[package]"
if ($LASTEXITCODE -ne 0) { throw "pip install failed" }

& $py -m PyInstaller --noconfirm --clean --log-level WARN `
    --distpath dist --workpath build\pyinstaller packaging\ultrasound-consult.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

# Smoke test through the bundle's own programs: the version, then the first screen
# drawn offscreen and saved as a PNG.
$cli = "dist\ultrasound-consult\ultrasound-consult-cli.exe"
& $cli --version
if ($LASTEXITCODE -ne 0) { throw "the bundle does not start" }
$env:QT_QPA_PLATFORM = "offscreen"
& $cli gui --first-screen dist\first-screen.png
if ($LASTEXITCODE -ne 0) { throw "the first screen did not draw" }
Remove-Item Env:\QT_QPA_PLATFORM

$version = & $py -c "import ultrasound_consult as u; print(u.__version__)"
$zip = "dist\ultrasound-consult-$version-windows-x64.zip"
Compress-Archive -Path dist\ultrasound-consult -DestinationPath $zip -Force
Write-Host "done: $zip (unzip anywhere; start ultrasound-consult.exe)"
