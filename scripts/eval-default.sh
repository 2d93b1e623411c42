#!/usr/bin/env bash
# Evaluates the default model (models/loftr-default.safetensors, embedded in the library) beside OpenCV SIFT with
# `loftr eval`, writing docs/eval/default_*.{md,json,png}; docs/model-card.md quotes these tables.
#   usage: scripts/eval-default.sh [DATA_DIR] [PHOTOS_DIR]
#          DATA_DIR default ../shared/data/eval (tests/data/eval holds identical copies); PHOTOS_DIR default
#          ../shared/data/train_photos (its 30 held-out `test` photos of recipes/default/split.json, 4 pairs each).
# To publish a newly trained checkpoint first:
#   dotnet run -c Release --project src/Loftr.Cli -- convert runs/default/model.ckpt models/loftr-default.safetensors
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/data/eval}"
PHOTOS="${2:-../shared/data/train_photos}"
OUT=docs/eval
dotnet build src/Loftr.Cli/Loftr.Cli.csproj -c Release --nologo -v q >/dev/null
run() { dotnet run --no-build -c Release --project src/Loftr.Cli/Loftr.Cli.csproj -- "$@"; }
G="--generated-by scripts/eval-default.sh"

run eval pose --dataset pairs --pairs "$DATA/scannet/scannet_pairs.txt" --method loftr,sift --title "Default model vs SIFT: relative pose on 14 ScanNet pairs" $G --json "$OUT/default_scannet.json" --markdown "$OUT/default_scannet.md" --plot "$OUT/default_scannet.png"
run eval homography --dataset homography-pair --image0 "$DATA/homography/graf1.png" --image1 "$DATA/homography/graf3.png" --homography "$DATA/homography/graf_H1to3.txt" --method loftr,sift --title "Default model vs SIFT: homography on graffiti 1-3" $G --json "$OUT/default_graffiti.json" --markdown "$OUT/default_graffiti.md" --plot "$OUT/default_graffiti.png"
run eval homography --dataset homography-pair --image0 "$DATA/homography/graf1.png" --image1 "$DATA/homography/graf3.png" --homography "$DATA/homography/graf_H1to3.txt" --method loftr,sift --ransac-threshold 2 --title "Default model vs SIFT: homography on graffiti 1-3, RANSAC 2 px" $G --json "$OUT/default_graffiti_ransac2.json" --markdown "$OUT/default_graffiti_ransac2.md" --plot "$OUT/default_graffiti_ransac2.png"
# The same two homography benchmarks with OpenCV's USAC MAGSAC++ (the estimator of `loftr match --geometry` and of the
# COLMAP export) instead of the HPatches protocol's cv2.findHomography(RANSAC), for both methods.
run eval homography --dataset homography-pair --image0 "$DATA/homography/graf1.png" --image1 "$DATA/homography/graf3.png" --homography "$DATA/homography/graf_H1to3.txt" --method loftr,sift --estimator magsac --title "Default model vs SIFT: homography on graffiti 1-3, MAGSAC++ 3 px" $G --json "$OUT/default_graffiti_magsac.json" --markdown "$OUT/default_graffiti_magsac.md" --plot "$OUT/default_graffiti_magsac.png"
run eval homography --dataset photos --images "$PHOTOS" --split recipes/default/split.json --recipe recipes/default/recipe.json --pairs-per-photo 4 --seed 66 --size 640x480 --method loftr,sift --estimator magsac --title "Default model vs SIFT: homography on 120 held-out photo pairs, MAGSAC++ 3 px" $G --json "$OUT/default_photos_magsac.json" --markdown "$OUT/default_photos_magsac.md" --plot "$OUT/default_photos_magsac.png"
run eval stereo --dataset stereo --data-root "$DATA/stereo" --method loftr,sift --sift-max-features 6000 --title "Default model vs SIFT: stereo accuracy on Middlebury Aloe" $G --json "$OUT/default_aloe.json" --markdown "$OUT/default_aloe.md" --plot "$OUT/default_aloe.png"
run eval homography --dataset photos --images "$PHOTOS" --split recipes/default/split.json --recipe recipes/default/recipe.json --pairs-per-photo 4 --seed 66 --size 640x480 --method loftr,sift --title "Default model vs SIFT: homography on 120 held-out photo pairs" $G --json "$OUT/default_photos.json" --markdown "$OUT/default_photos.md" --plot "$OUT/default_photos.png"
