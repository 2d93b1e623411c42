#!/usr/bin/env bash
# Installs the system libraries the native OpenCV build of OpenCvSharp needs (GTK 3 and friends, libatomic)
# and COLMAP for the structure-from-motion export tests.
# Idempotent: does nothing when they are already present. Needs root (or sudo) on Debian/Ubuntu.
set -euo pipefail
need=()
ldconfig -p | grep -q 'libgtk-3.so.0 ' || need+=(libgtk-3-0)
ldconfig -p | grep -q 'libatomic.so.1 ' || need+=(libatomic1)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# COLMAP (Debian ships 3.8) is the real client of the COLMAP export tests; large, so only when missing.
if ! command -v colmap >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing colmap"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq colmap >/dev/null
fi
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is required (https://dot.net)"; exit 1; }
