#!/usr/bin/env bash
# Fetches the MNIST test set (10,000 handwritten digits; LeCun, Cortes, Burges; CC BY-SA 3.0), the
# out-of-distribution inputs of the documented evaluations and of `tangle bench watch`, into
# data/mnist-test/ (or the folder given), and checks it. The repository's figures were measured on
# exactly these images: the SHA-256 below are of the uncompressed IDX files, so any mirror's gzip will do.
#
#   scripts/fetch-mnist-test.sh [DIR]      # default: data/mnist-test (ignored by git)
set -euo pipefail
dir="${1:-$(dirname "$0")/../data/mnist-test}"
mirrors=(https://ossci-datasets.s3.amazonaws.com/mnist https://storage.googleapis.com/cvdf-datasets/mnist)
declare -A sha256=(
  [t10k-images-idx3-ubyte.gz]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte.gz]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
mkdir -p "$dir"
for name in "${!sha256[@]}"; do
  target="$dir/$name"
  if [[ -f "$target" ]] && [[ "$(gzip -dc "$target" | sha256sum | cut -d' ' -f1)" == "${sha256[$name]}" ]]; then
    echo "$target: present and checked"
    continue
  fi
  ok=0
  for m in "${mirrors[@]}"; do
    if curl -fsSL --retry 2 -o "$target.part" "$m/$name" \
      && [[ "$(gzip -dc "$target.part" | sha256sum | cut -d' ' -f1)" == "${sha256[$name]}" ]]; then
      mv "$target.part" "$target"; ok=1; echo "$target: fetched from $m and checked"; break
    fi
    rm -f "$target.part"
  done
  [[ $ok == 1 ]] || { echo "could not fetch $name with the expected SHA-256 (uncompressed ${sha256[$name]}); place it in $dir by hand" >&2; exit 1; }
done
