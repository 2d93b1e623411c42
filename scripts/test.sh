#!/usr/bin/env bash
# The test command of README.md: builds in Release and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet test LoftrNet.slnx -c Release --logger "console;verbosity=normal" "$@"
