#!/usr/bin/env bash
# Installs the system libraries the native OpenCV build of OpenCvSharp needs (GTK 3 and friends, libatomic).
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
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is required (https://dot.net)"; exit 1; }
