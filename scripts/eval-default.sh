#!/usr/bin/env bash
# Evaluates the default model (models/loftr-default.safetensors, embedded in the library) beside OpenCV SIFT with
# `loftr eval`, writing docs/eval/default_*.{md,json,png}; docs/model-card.md quotes these tables.
#   usage: scripts/eval-default.sh [DATA_DIR] [PHOTOS_DIR]
#          DATA_DIR default ../shared/data/eval (tests/data/eval holds identical copies); PHOTOS_DIR default
#          ../shared/data/train_photos (its 30 held-out `test` photos of recipes/default/split.json, 4 pairs each).
#          ONLY=REGEX runs only the benchmarks whose name matches (e.g. ONLY=_960).
# To publish a newly trained checkpoint first:
#   dotnet run -c Release --project src/Loftr.Cli -- convert runs/default/model.ckpt models/loftr-default.safetensors
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-../shared/data/eval}"
PHOTOS="${2:-../shared/data/train_photos}"
OUT=docs/eval
dotnet build src/Loftr.Cli/Loftr.Cli.csproj -c Release --nologo -v q >/dev/null
run() { dotnet run --no-build -c Release --project src/Loftr.Cli/Loftr.Cli.csproj -- "$@"; }
# bench NAME TITLE ARGS...: one `loftr eval` of both methods, written to docs/eval/default_NAME.{json,md,png}
bench() {
  local name=$1 title=$2; shift 2
  if [ -n "${ONLY:-}" ] && ! [[ "$name" =~ $ONLY ]]; then return; fi
  run eval "$@" --method loftr,sift --title "$title" --generated-by scripts/eval-default.sh \
    --json "$OUT/default_$name.json" --markdown "$OUT/default_$name.md" --plot "$OUT/default_$name.png"
}
GRAFFITI=(homography --dataset homography-pair --image0 "$DATA/homography/graf1.png" --image1 "$DATA/homography/graf3.png" --homography "$DATA/homography/graf_H1to3.txt")
PHOTO_PAIRS=(homography --dataset photos --images "$PHOTOS" --split recipes/default/split.json --recipe recipes/default/recipe.json --pairs-per-photo 4 --seed 66 --size 640x480)

bench scannet "Default model vs SIFT: relative pose on 14 ScanNet pairs" pose --dataset pairs --pairs "$DATA/scannet/scannet_pairs.txt"
bench graffiti "Default model vs SIFT: homography on graffiti 1-3" "${GRAFFITI[@]}"
bench graffiti_ransac2 "Default model vs SIFT: homography on graffiti 1-3, RANSAC 2 px" "${GRAFFITI[@]}" --ransac-threshold 2
# The same two homography benchmarks with OpenCV's USAC MAGSAC++ (the estimator of `loftr match --geometry` and of the
# COLMAP export) instead of the HPatches protocol's cv2.findHomography(RANSAC), for both methods.
bench graffiti_magsac "Default model vs SIFT: homography on graffiti 1-3, MAGSAC++ 3 px" "${GRAFFITI[@]}" --estimator magsac
bench photos_magsac "Default model vs SIFT: homography on 120 held-out photo pairs, MAGSAC++ 3 px" "${PHOTO_PAIRS[@]}" --estimator magsac
bench aloe "Default model vs SIFT: stereo accuracy on Middlebury Aloe" stereo --dataset stereo --data-root "$DATA/stereo" --sift-max-features 6000
bench photos "Default model vs SIFT: homography on 120 held-out photo pairs" "${PHOTO_PAIRS[@]}"
# The same weights with the inference settings shipped before the second pass (one fine pass, local estimate, sharpest
# half, no patch alignment) and the images scaled up to a long side of 960 for the whole network (`--loftr-long-side 960`, chosen on the
# validation photos before the second pass existed: docs/eval/tuning.md);
# SIFT and the metrics keep each benchmark's own frame. Aloe (1282x1110) is larger than that already.
L960=(--loftr-long-side 960 --loftr-second-pass 1 --refinement local --sharpest 0.5 --loftr-patch-align 0)
bench scannet_960 "Default model at 960 px vs SIFT: relative pose on 14 ScanNet pairs" pose --dataset pairs --pairs "$DATA/scannet/scannet_pairs.txt" "${L960[@]}"
bench graffiti_960 "Default model at 960 px vs SIFT: homography on graffiti 1-3" "${GRAFFITI[@]}" "${L960[@]}"
bench graffiti_ransac2_960 "Default model at 960 px vs SIFT: homography on graffiti 1-3, RANSAC 2 px" "${GRAFFITI[@]}" --ransac-threshold 2 "${L960[@]}"
bench graffiti_magsac_960 "Default model at 960 px vs SIFT: homography on graffiti 1-3, MAGSAC++ 3 px" "${GRAFFITI[@]}" --estimator magsac "${L960[@]}"
bench photos_960 "Default model at 960 px vs SIFT: homography on 120 held-out photo pairs" "${PHOTO_PAIRS[@]}" "${L960[@]}"
bench photos_magsac_960 "Default model at 960 px vs SIFT: homography on 120 held-out photo pairs, MAGSAC++ 3 px" "${PHOTO_PAIRS[@]}" --estimator magsac "${L960[@]}"
# variant SUFFIX WHAT ARGS...: the seven benchmarks above with extra LoFTR arguments, as default_NAME_SUFFIX
variant() {
  local suffix=$1 what=$2; shift 2
  bench "scannet_$suffix" "Default model $what vs SIFT: relative pose on 14 ScanNet pairs" pose --dataset pairs --pairs "$DATA/scannet/scannet_pairs.txt" "$@"
  bench "graffiti_$suffix" "Default model $what vs SIFT: homography on graffiti 1-3" "${GRAFFITI[@]}" "$@"
  bench "graffiti_ransac2_$suffix" "Default model $what vs SIFT: homography on graffiti 1-3, RANSAC 2 px" "${GRAFFITI[@]}" --ransac-threshold 2 "$@"
  bench "graffiti_magsac_$suffix" "Default model $what vs SIFT: homography on graffiti 1-3, MAGSAC++ 3 px" "${GRAFFITI[@]}" --estimator magsac "$@"
  bench "aloe_$suffix" "Default model $what vs SIFT: stereo accuracy on Middlebury Aloe" stereo --dataset stereo --data-root "$DATA/stereo" --sift-max-features 6000 "$@"
  bench "photos_$suffix" "Default model $what vs SIFT: homography on 120 held-out photo pairs" "${PHOTO_PAIRS[@]}" "$@"
  bench "photos_magsac_$suffix" "Default model $what vs SIFT: homography on 120 held-out photo pairs, MAGSAC++ 3 px" "${PHOTO_PAIRS[@]}" --estimator magsac "$@"
}
# The shipped settings without the patch alignment: the network's own positions (second fine pass at 1.5x,
# whole-window expectation, sharpest 30 %), to show what the alignment adds.
variant network "without patch alignment" --loftr-patch-align 0
# The shipped settings keeping every aligned match: the correlation filter's share.
variant every "keeping every aligned match" --loftr-patch-min-correlation none
