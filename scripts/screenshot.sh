#!/usr/bin/env bash
# Takes the README's picture of the daemon's page: starts `tangle watch` with its HTTP server on a
# temporary root (the first start seeds 12 sample images), drops a file with a hostile name, and
# photographs http://127.0.0.1:PORT/ with headless Chromium (scripts/setup.sh --dev installs it).
#   scripts/screenshot.sh [OUT.png]     (default docs/page.png; needs a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/page.png}"
binary=".build/release/tangle"
[ -x "$binary" ] || { echo "screenshot: build first: swift build -c release" >&2; exit 1; }
browser="$(command -v chromium || command -v chromium-browser || true)"
[ -n "$browser" ] || { echo "screenshot: no chromium: run scripts/setup.sh --dev" >&2; exit 1; }
work="$(mktemp -d)"
trap 'kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; rm -rf "$work"' EXIT
"$binary" watch --root "$work/root" --http-port 0 2> "$work/daemon.log" &
daemon=$!
port=""
for _ in $(seq 1 600); do
  port="$(grep -o 'serving http .*url=http://127.0.0.1:[0-9]*/' "$work/daemon.log" | sed 's/.*:\([0-9]*\)\/$/\1/' || true)"
  [ -n "$port" ] && curl -sf "http://127.0.0.1:$port/readyz" > /dev/null 2>&1 && break
  sleep 0.2
done
[ -n "$port" ] || { echo "screenshot: the daemon did not start:" >&2; cat "$work/daemon.log" >&2; exit 1; }
for _ in $(seq 1 300); do
  [ "$(wc -l < "$work/root/verdicts.jsonl" 2>/dev/null || echo 0)" -ge 12 ] && break
  sleep 0.2
done
sample="$(ls "$work/root/in-distribution/"* | head -1)"
cp "$sample" "$work/root/.x" && mv "$work/root/.x" "$work/root/inbox/<img src=x onerror=alert(1)>.png"
sleep 2
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,1250 --virtual-time-budget=4000 \
  --screenshot="$work/page.png" "http://127.0.0.1:$port/" 2> /dev/null
mkdir -p "$(dirname "$out")"
if command -v pngquant > /dev/null; then   # 64 colours: a fifth of the size, same look (apt-get install pngquant)
  pngquant --force --quality 60-90 --speed 1 64 --output "$out" "$work/page.png"
else
  cp "$work/page.png" "$out"
fi
echo "screenshot: wrote $out ($(stat -c %s "$out") bytes)"
