#!/usr/bin/env bash
# Training throughput side by side with the TensorFlow reference: for each workload, PAIRS pairs
# run back to back (tangle, then the reference, in one run), then the median of each side and of
# the per-pair ratios.
#
#   scripts/bench-train-peer.sh PEER_DIR [PAIRS]
#
# PEER_DIR holds the reference's train.py (TensorFlow 2.21 + oneDNN, the same CNN at batch 256);
# PYTHON names an interpreter that imports tensorflow (default python3); TANGLE the binary
# (default .build/release/tangle). Workloads: cross-entropy and entangled (SNNL on all four hidden
# layers) on Fashion-MNIST, and cross-entropy on random 32x32x3 images. The reference's JSON lands
# in $PEER_OUT (default /tmp/tangle-peer/out); tangle's and a summary in $OUT (default
# /tmp/tangle-bench-train).
set -euo pipefail
peer=${1:?usage: scripts/bench-train-peer.sh PEER_DIR [PAIRS]}
pairs=${2:-3}
python=${PYTHON:-python3}
tangle=${TANGLE:-.build/release/tangle}
out=${OUT:-/tmp/tangle-bench-train}
mkdir -p "$out"
[ -x "$tangle" ] || { echo "bench-train-peer: no $tangle; run swift build -c release first" >&2; exit 66; }
[ -f "$peer/train.py" ] || { echo "bench-train-peer: no train.py in $peer" >&2; exit 66; }
"$python" -c 'import tensorflow' 2>/dev/null || { echo "bench-train-peer: $python cannot import tensorflow; pip install tensorflow-cpu==2.21.0 and set PYTHON" >&2; exit 69; }
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; tangle reports the kernel it ran"

workloads=(baseline entangled colour)
declare -A ours_args=([baseline]="" [entangled]="--snnl-factor -0.1" [colour]="--input 32x32x3")
declare -A peer_args=([baseline]="--mode baseline" [entangled]="--mode entangled --alpha 0.1" [colour]="--mode baseline --input 32x32x3")
summary="$out/summary.tsv"
printf 'workload\tpair\ttangle_img_s\treference_img_s\tratio\tkernel\n' > "$summary"
for w in "${workloads[@]}"; do
  for p in $(seq 1 "$pairs"); do
    # shellcheck disable=SC2086
    "$tangle" bench train --json ${ours_args[$w]} > "$out/$w-$p.json" 2> "$out/$w-$p.err"
    ours=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["images_per_second"])' "$out/$w-$p.json")
    kernel=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["blas_kernel"]["kernel"])' "$out/$w-$p.json")
    # shellcheck disable=SC2086
    ref=$(cd "$peer" && "$python" train.py ${peer_args[$w]} --bench-steps 150 --intra 2 --inter 2 --tag "bench_${w}_$p" 2>/dev/null \
      | grep -o '"imgs_per_s_median": [0-9.]*' | tail -1 | awk '{print $2}')
    ratio=$(python3 -c "print(round($ours / $ref, 3))")
    printf '%s\t%s\t%.0f\t%.0f\t%s\t%s\n' "$w" "$p" "$ours" "$ref" "$ratio" "$kernel" | tee -a "$summary"
  done
done
python3 - "$summary" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
print("\nmedians (images/s): workload  tangle  reference  ratio (median of the pairs' ratios)")
for w in dict.fromkeys(r["workload"] for r in rows):
    rs = [r for r in rows if r["workload"] == w]
    med = lambda k: statistics.median(float(r[k]) for r in rs)
    print(f"  {w:10s} {med('tangle_img_s'):7.0f} {med('reference_img_s'):9.0f}  {med('ratio'):.3f}x")
EOF
