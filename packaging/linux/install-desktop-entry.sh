#!/bin/sh
# Adds Ultrasound consult to this user's application menu (no root needed).
# Run it from the unpacked folder; run it again after moving the folder.
# --uninstall removes the entry and the icon again.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
id=org.ultrasound_consult.UltrasoundConsult
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor"
if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$apps/$id.desktop" "$icons/256x256/apps/$id.png" "$icons/scalable/apps/$id.svg"
  echo "removed the menu entry"
  exit 0
fi
mkdir -p "$apps" "$icons/256x256/apps" "$icons/scalable/apps"
cp "$here/ultrasound-consult.png" "$icons/256x256/apps/$id.png"
cp "$here/ultrasound-consult.svg" "$icons/scalable/apps/$id.svg"
# The folder's path goes into Exec quoted, so a path with spaces works.
sed "s|^Exec=@BUNDLE@/ultrasound-consult|Exec=\"$here/ultrasound-consult\"|" \
  "$here/ultrasound-consult.desktop" > "$apps/$id.desktop"
chmod 644 "$apps/$id.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" || true
echo "added Ultrasound consult to the application menu ($apps/$id.desktop)"
