#!/usr/bin/env bash
# Regenerates the SIFT baseline tables in docs/eval/ (Markdown, JSON, cumulative error plot) with `loftr eval`
# (src/Loftr.Cli, library code in src/Loftr/Evaluation) on the ground-truth data of shared/data/eval.
#   usage: scripts/eval-sift.sh [DATA_DIR] [PHOTOS_DIR]
#          DATA_DIR default ../shared/data/eval (tests/data/eval holds identical copies); PHOTOS_DIR default
#          ../shared/data/train_photos, of which the 30 `test` photos of recipes/default/split.json make 120 synthetic
#          homography pairs (4 per photo, seed 66, 640x480, the recipe's augmentation; the test skips this line
#          when the photos are absent).
# tests/Loftr.Cli.Tests/Eval/SiftDocsTests.cs re-runs every `run` line below (`run` is the loftr tool) and checks that the committed
# tables still hold the numbers the runner prints, so keep one command per `run` line. Aloe (1282x1110) uses the
# 6000 strongest SIFT keypoints per image: all ~23k take ~30 s of brute-force matching, too long for that test.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/data/eval}"
PHOTOS="${2:-../shared/data/train_photos}"
OUT=docs/eval
dotnet build src/Loftr.Cli/Loftr.Cli.csproj -c Release --nologo -v q >/dev/null
run() { dotnet run --no-build -c Release --project src/Loftr.Cli/Loftr.Cli.csproj -- "$@"; }

run eval pose --dataset pairs --pairs "$DATA/scannet/scannet_pairs.txt" --method sift --title "SIFT baseline: relative pose on 14 ScanNet pairs" --generated-by scripts/eval-sift.sh --json "$OUT/sift_scannet.json" --markdown "$OUT/sift_scannet.md" --plot "$OUT/sift_scannet.png"
run eval homography --dataset homography-pair --image0 "$DATA/homography/graf1.png" --image1 "$DATA/homography/graf3.png" --homography "$DATA/homography/graf_H1to3.txt" --method sift --title "SIFT baseline: homography on graffiti 1-3" --generated-by scripts/eval-sift.sh --json "$OUT/sift_graffiti.json" --markdown "$OUT/sift_graffiti.md" --plot "$OUT/sift_graffiti.png"
run eval stereo --dataset stereo --data-root "$DATA/stereo" --method sift --sift-max-features 6000 --title "SIFT baseline: stereo accuracy on Middlebury Aloe" --generated-by scripts/eval-sift.sh --json "$OUT/sift_aloe.json" --markdown "$OUT/sift_aloe.md" --plot "$OUT/sift_aloe.png"
run eval homography --dataset photos --images "$PHOTOS" --split recipes/default/split.json --recipe recipes/default/recipe.json --pairs-per-photo 4 --seed 66 --size 640x480 --method sift --title "SIFT baseline: homography on 120 held-out photo pairs" --generated-by scripts/eval-sift.sh --json "$OUT/sift_photos.json" --markdown "$OUT/sift_photos.md" --plot "$OUT/sift_photos.png"
