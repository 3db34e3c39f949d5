#!/usr/bin/env bash
# Memory safety of the C targets, checked: runs the tests that reach them under AddressSanitizer,
# then under UndefinedBehaviorSanitizer.
#
#   scripts/sanitize.sh                 # both halves (address, then undefined)
#   scripts/sanitize.sh address         # one half
#   scripts/sanitize.sh undefined
#
# What runs (one `swift test --filter` per sanitizer):
#   TangleNetworkTests    CRowGEMM, CInt8GEMM, CDirectConv, CLayerPasses, CKernelLevel (every kernel level)
#   TangleNeighborsTests  CInt8Dot, CInt8GEMM, CNarrowNearest, CRowGEMM, CKernelLevel
#   TangleImageTests      CJPEGDecode (libjpeg), libpng, the decoder fuzz corpus
#   TangleDataTests       zlib (gzip IDX files)
#   TangleWatchTests      the daemon: the real `tangle` binary, built with the same sanitizer
#                         (TANGLE_BINARY points the tests at it), judging images end to end
#
# Each sanitizer builds in its own scratch folder (.build/sanitize-address, .build/sanitize-undefined),
# so the normal .build/debug is left alone; the first build of each takes a few minutes.
# AddressSanitizer: `--sanitize=address` instruments the Swift and the C targets alike.
# UndefinedBehaviorSanitizer: swiftc has no -sanitize=undefined on Linux (so `--sanitize=undefined`
# cannot build); the C targets get -fsanitize=undefined through -Xcc and the executables link its
# runtime through clang (Swift's own arithmetic traps on overflow without it). Either way the script
# checks in the build plan that every C target was compiled with -fsanitize=<kind> before testing.
# A report fails the run: AddressSanitizer stops at the first error (halt_on_error=1, the default,
# made explicit), UndefinedBehaviorSanitizer only prints and goes on unless told to stop
# (halt_on_error=1), and the daemon inherits the same options. Exit status: 0 when both halves pass.
set -euo pipefail
cd "$(dirname "$0")/.."

FILTER='TangleNetworkTests|TangleNeighborsTests|TangleImageTests|TangleDataTests|TangleWatchTests'
C_TARGETS=(CRowGEMM CInt8Dot CInt8GEMM CDirectConv CLayerPasses CNarrowNearest CKernelLevel CJPEGDecode)

# One report stops the process with a non-zero status; LeakSanitizer (part of AddressSanitizer on
# Linux) reports leaks at exit, less the ones in scripts/lsan.supp (not Tangle's).
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:print_summary=1"
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:print_summary=1"

run_half() {
    local kind=$1
    local scratch=".build/sanitize-$kind"
    local started=$SECONDS
    local flags
    if [[ $kind == address ]]; then
        flags=(--sanitize=address)
    else
        flags=(-Xcc -fsanitize=undefined -Xswiftc -Xclang-linker -Xswiftc -fsanitize=undefined)
    fi
    echo "== $kind: building in $scratch" >&2
    swift build --build-tests "${flags[@]}" --scratch-path "$scratch"
    # Every C target is compiled with the sanitizer (SwiftPM's build plan names each command).
    local plan="$scratch/debug.yaml"
    for target in "${C_TARGETS[@]}"; do
        if ! grep -E "clang.*Sources/$target/[^\"]*\.c" "$plan" | grep -q -- "-fsanitize=$kind"; then
            echo "sanitize.sh: $target is not compiled with -fsanitize=$kind (see $plan)" >&2
            exit 1
        fi
    done
    local bin
    bin="$(swift build "${flags[@]}" --scratch-path "$scratch" --show-bin-path)"
    if [[ ! -x "$bin/tangle" ]]; then
        echo "sanitize.sh: no sanitized tangle binary at $bin/tangle" >&2
        exit 1
    fi
    echo "== $kind: testing (TANGLE_BINARY=$bin/tangle)" >&2
    # TANGLE_SANITIZER tells a test that measures resident memory that the sanitizer's own grows it.
    TANGLE_SANITIZER="$kind" TANGLE_BINARY="$bin/tangle" swift test --skip-build "${flags[@]}" --scratch-path "$scratch" --filter "$FILTER"
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
