#!/bin/bash
# Calibrates the two shipped Fashion-MNIST models on a routing mixture of white-box attacks (made
# by `tangle calibrate` itself) and attacks transferred from the other shipped model (issue 14,
# docs/DETECTION.md, "Attacks from other models, and routing on a mixture of them"). Both models
# hold out the same seeded split (seed 0),
# so the attacks made on one model's calibration split are attacks on the other's: design data.
#
#     scripts/calibrate-transfer.sh [TANGLE] [WORK]
#
# TANGLE is the tangle binary (default .build/release/tangle), WORK a scratch folder for the
# attack images (default a new temporary one, removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
tangle=${1:-.build/release/tangle}
work=${2:-$(mktemp -d)}
[[ -n ${2:-} ]] || trap 'rm -rf "$work"' EXIT
attacks="fgsm:0.05 fgsm:0.1 fgsm:0.3 bim:0.1 pgd-linf:0.1 pgd-l2:2.0"
for pair in "fashion-mnist:fashion-mnist-baseline" "fashion-mnist-baseline:fashion-mnist"; do
  target=${pair%%:*} source=${pair##*:}
  sets=()
  for spec in $attacks; do
    method=${spec%%:*} eps=${spec##*:}
    out="$work/$source-$method-$eps"
    [[ -d $out ]] || "$tangle" attack --model "models/$source" --test calibration --method "$method" --eps "$eps" --count 1000 --out "$out"
    sets+=(--attack-set "transfer-$source-$method-$eps=$out")
  done
  "$tangle" calibrate --model "models/$target" "${sets[@]}"
done
