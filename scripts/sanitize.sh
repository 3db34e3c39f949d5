#!/usr/bin/env bash
# Memory safety of the C targets, checked: runs the tests that reach them under AddressSanitizer,
# then under UndefinedBehaviorSanitizer.
#
#   scripts/sanitize.sh                 # both halves (address, then undefined)
#   scripts/sanitize.sh address         # one half
#   scripts/sanitize.sh undefined
#
# What runs (one `swift test --filter` per sanitizer):
#   TangleNetworkTests    CRowGEMM, CInt8GEMM, CDirectConv, CKernelLevel (every kernel level)
#   TangleNeighborsTests  CInt8Dot, CInt8GEMM, CNarrowNearest, CRowGEMM, CKernelLevel
#   TangleImageTests      CJPEGDecode (libjpeg), libpng, the decoder fuzz corpus
#   TangleDataTests       zlib (gzip IDX files)
#   TangleWatchTests      the daemon: the real `tangle` binary, built with the same sanitizer
#                         (TANGLE_BINARY points the tests at it), judging images end to end
#
# Each sanitizer builds in its own scratch folder (.build/sanitize-address, .build/sanitize-undefined),
# so the normal .build/debug is left alone; the first build of each takes a few minutes. SwiftPM passes
# -fsanitize=<kind> to the C targets too; the script checks that in the build plan before testing.
# A report fails the run: AddressSanitizer stops at the first error (halt_on_error=1, the default,
# made explicit), UndefinedBehaviorSanitizer only prints and goes on unless told to stop
# (halt_on_error=1), and the daemon inherits the same options. Exit status: 0 when both halves pass.
set -euo pipefail
cd "$(dirname "$0")/.."

FILTER='TangleNetworkTests|TangleNeighborsTests|TangleImageTests|TangleDataTests|TangleWatchTests'
C_TARGETS=(CRowGEMM CInt8Dot CInt8GEMM CDirectConv CNarrowNearest CKernelLevel CJPEGDecode)

# One report stops the process with a non-zero status; LeakSanitizer (part of AddressSanitizer on
# Linux) reports leaks at exit.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:print_summary=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:print_summary=1"

run_half() {
    local kind=$1
    local scratch=".build/sanitize-$kind"
    local started=$SECONDS
    echo "== $kind: building in $scratch" >&2
    swift build --build-tests --sanitize="$kind" --scratch-path "$scratch"
    # Every C target is compiled with the sanitizer (SwiftPM's build plan names each command).
    local plan="$scratch/debug.yaml"
    for target in "${C_TARGETS[@]}"; do
        if ! grep -E "clang.*Sources/$target/[^\"]*\.c" "$plan" | grep -q -- "-fsanitize=$kind"; then
            echo "sanitize.sh: $target is not compiled with -fsanitize=$kind (see $plan)" >&2
            exit 1
        fi
    done
    local bin
    bin="$(swift build --sanitize="$kind" --scratch-path "$scratch" --show-bin-path)"
    if [[ ! -x "$bin/tangle" ]]; then
        echo "sanitize.sh: no sanitized tangle binary at $bin/tangle" >&2
        exit 1
    fi
    echo "== $kind: testing (TANGLE_BINARY=$bin/tangle)" >&2
    TANGLE_BINARY="$bin/tangle" swift test --skip-build --sanitize="$kind" --scratch-path "$scratch" --filter "$FILTER"
    echo "== $kind: passed in $((SECONDS - started)) s" >&2
}

halves=("$@")
[[ ${#halves[@]} -gt 0 ]] || halves=(address undefined)
for kind in "${halves[@]}"; do
    case "$kind" in
    address | undefined) run_half "$kind" ;;
    *)
        echo "sanitize.sh: unknown sanitizer '$kind' (address or undefined)" >&2
        exit 2
        ;;
    esac
done
