#!/usr/bin/env bash
# The demo plots of the default model (README.md, docs/cli.md, docs/model-card.md): `loftr match` with no --weights on
# graffiti 1 -> 3 (homography) and on two shared demo pairs (fundamental matrix), plots written to
# docs/demo_*_default_model.png, the printed summaries (matches, inliers) quoted in the docs.
#   usage: scripts/demo-default.sh [DEMO_DIR]     DEMO_DIR default ../shared/data/demo (basketball and leuven; skipped
#          with a message when absent); graffiti comes from tests/data/eval.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO="${1:-../shared/data/demo}"
dotnet build src/Loftr.Cli/Loftr.Cli.csproj -c Release --nologo -v q >/dev/null
run() { dotnet run --no-build -c Release --project src/Loftr.Cli/Loftr.Cli.csproj -- "$@"; }
run match tests/data/eval/homography/graf1.png tests/data/eval/homography/graf3.png --geometry homography \
  --plot docs/demo_graffiti_default_model.png
if [ -d "$DEMO/opencv" ]; then
  run match "$DEMO/opencv/basketball1.png" "$DEMO/opencv/basketball2.png" --geometry fundamental \
    --plot docs/demo_basketball_default_model.png
  run match "$DEMO/opencv/leuvenA.jpg" "$DEMO/opencv/leuvenB.jpg" --geometry fundamental \
    --plot docs/demo_leuven_default_model.png
else
  echo "demo-default: $DEMO/opencv not found; basketball and leuven skipped (the shared demo pairs are not in the repository)"
fi
