#!/usr/bin/env bash
# Installs the Debian packages Tangle needs, when any is missing. Idempotent; safe to run again.
#   libopenblas-dev  BLAS for the numeric core
#   libjpeg-dev      JPEG decoding
#   libpng-dev       PNG decoding and writing
#   zlib1g-dev       gzip-compressed IDX files
#   pkg-config       lets SwiftPM find the libraries above
#   dataset-fashion-mnist  the default training data (/usr/share/datasets/fashion-mnist)
# With --dev (what .ci/run uses), also what the tests need beyond the product:
#   chromium         headless browser for the test of the daemon's page (BrowserTests) and scripts/screenshot.sh
set -euo pipefail
packages=(libopenblas-dev libjpeg-dev libpng-dev zlib1g-dev pkg-config dataset-fashion-mnist)
for arg in "$@"; do
  case "$arg" in
    --dev) packages+=(chromium) ;;
    *) echo "setup: unknown option $arg (takes --dev)" >&2; exit 64 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present (${packages[*]})"
  exit 0
fi
echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
