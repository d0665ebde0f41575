#!/usr/bin/env bash
# Short fuzzing run of every parser of untrusted input (mdm-core, mdm-apple, mdm-pki): builds
# all cargo-fuzz targets once, runs each for N seconds (default 20) on a scratch copy of its seed
# corpus, prints the executions per target and exits non-zero if any target found a crash.
#
# Usage: fuzz/run.sh [seconds-per-target]
# Env:   FUZZ_SANITIZER=none|address (default none: the code under test forbids unsafe)
#        FUZZ_TARGETS="jwt checkin_body" to run only some targets
#        FUZZ_TOOLCHAIN=nightly|stable (default: nightly if rustup has it)
#        FUZZ_KEEP=1 to keep the scratch directory (grown corpora, crash artifacts)
#        FUZZ_TIMEOUT=seconds one input may take before it counts as a crash (default 10)
set -euo pipefail

SECONDS_PER_TARGET="${1:-20}"
SANITIZER="${FUZZ_SANITIZER:-none}"
CARGO_FUZZ_VERSION="0.13.2"

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$fuzz_dir")"
cd "$repo_dir"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
    cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi

# libFuzzer instrumentation needs nightly flags: use a nightly toolchain if there is one,
# otherwise let stable accept them. Each kind builds in its own directory under fuzz/target.
kind="${FUZZ_TOOLCHAIN:-}"
if [[ -z "$kind" ]]; then
    if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then kind=nightly; else kind=stable; fi
fi
if [[ "$kind" == nightly ]]; then
    toolchain=(+nightly)
else
    echo "building on stable with RUSTC_BOOTSTRAP=1 (no nightly toolchain, or FUZZ_TOOLCHAIN=stable)" >&2
    toolchain=()
    export RUSTC_BOOTSTRAP=1
fi
target_dir="$fuzz_dir/target/$kind"

mapfile -t all_targets < <(cargo "${toolchain[@]}" fuzz list)
read -r -a targets <<<"${FUZZ_TARGETS:-${all_targets[*]}}"

cargo "${toolchain[@]}" fuzz build --sanitizer "$SANITIZER" --target-dir "$target_dir"
host="$(rustc "${toolchain[@]}" -vV | sed -n 's/^host: //p')"
bin_dir="$target_dir/$host/release"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/mdm-fuzz.XXXXXX")"
if [[ "${FUZZ_KEEP:-0}" != 1 ]]; then
    trap 'rm -rf "$scratch"' EXIT
fi

# The longest input each target is given. Bodies are capped at 16 KiB by the HTTP layer and
# tokens at 8 KiB, and SCEP messages and signatures are a few KiB: 16 KiB. Check-ins are read up
# to 64 KiB: one byte more lets the fuzzer cross that limit itself. Command responses are read up
# to 2 MiB, too big to fuzz in seconds: 256 KiB (apple_response pads inputs past 2 MiB itself to
# check the limit).
max_len_of() {
    case "$1" in
        apple_checkin) echo 65537 ;;
        apple_response) echo 262144 ;;
        *) echo 16384 ;;
    esac
}
timeout="${FUZZ_TIMEOUT:-10}"

total=0
failed=()
report=()
for target in "${targets[@]}"; do
    corpus="$scratch/corpus/$target"
    artifacts="$scratch/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    if [[ -d "$fuzz_dir/corpus/$target" ]]; then
        cp -R "$fuzz_dir/corpus/$target/." "$corpus/"
        # Licence notes of copied seeds are not inputs.
        rm -f "$corpus"/LICENSE*
    fi
    log="$scratch/$target.log"
    status=ok
    # -timeout: a parser that takes pathological time on one input fails the run like a crash.
    if ! "$bin_dir/$target" -max_total_time="$SECONDS_PER_TARGET" -max_len="$(max_len_of "$target")" \
        -timeout="$timeout" -artifact_prefix="$artifacts/" -print_final_stats=0 "$corpus" >"$log" 2>&1; then
        status=CRASH
        failed+=("$target")
        tail -n 40 "$log" >&2
    fi
    # libFuzzer ends with "Done N runs in S second(s)"; after a crash, the last "#N" status line.
    runs="$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$log" | tail -n 1)"
    if [[ -z "$runs" ]]; then
        runs="$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -n 1)"
    fi
    runs="${runs:-0}"
    total=$((total + runs))
    report+=("$(printf '%-20s %12s runs  %s' "$target" "$runs" "$status")")
done

printf '%s\n' "${report[@]}"
printf '%-20s %12s runs  (%s s per target, sanitizer %s)\n' total "$total" "$SECONDS_PER_TARGET" "$SANITIZER"
if ((${#failed[@]} > 0)); then
    echo "crashed: ${failed[*]}; inputs under $scratch/artifacts (kept)" >&2
    trap - EXIT
    exit 1
fi
