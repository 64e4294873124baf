#!/usr/bin/env bash
# Runs one libFuzzer target (or all) for SECONDS each, after replaying its kept crash inputs.
#   bash scripts/fuzz.sh TARGET SECONDS     TARGET: Architecture TrainingConfig Safetensors IDX CIFAR Gzip Tar PNG JPEG, or all
# Builds with -sanitize=fuzzer,address in .build-fuzz (apart from the normal build). The corpus lives in
# .build-fuzz/corpus/TARGET, seeded from Fuzz/Seeds/TARGET and the tests' own files; a crash input is
# written to .build-fuzz/crashes/TARGET and the script fails; keep it in Fuzz/Regressions/TARGET.
set -euo pipefail
cd "$(dirname "$0")/.."
# Leak checks are off (libFuzzer's per input, and LeakSanitizer's at exit): the only leak found is Foundation's
# own (String(contentsOfFile:) keeps 4 KB reading an empty file).
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
targets=(Architecture TrainingConfig Safetensors IDX CIFAR Gzip Tar PNG JPEG)
target=${1:?usage: scripts/fuzz.sh TARGET|all SECONDS}
seconds=${2:?usage: scripts/fuzz.sh TARGET|all SECONDS}
if [[ $target == all ]]; then
    for each in "${targets[@]}"; do bash "$0" "$each" "$seconds"; done
    exit 0
fi
[[ " ${targets[*]} " == *" $target "* ]] || { echo "unknown fuzz target $target; known: ${targets[*]}" >&2; exit 1; }

# SwiftPM passes each --sanitize as its own -sanitize= flag and the Swift driver compiles with the last one only,
# so Swift code got coverage or ASan, never both (the order changes from build to build). One combined flag
# at the end gives it both; the --sanitize flags instrument the C code and link the runtimes.
sanitize=(--sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address)
ZOO_FUZZ=1 swift build --scratch-path .build-fuzz --product "fuzz-$target" "${sanitize[@]}" 2>&1 \
    | grep -Ev "warning: Cannot export local symbol|^\[" || true
binary=$(ZOO_FUZZ=1 swift build --scratch-path .build-fuzz "${sanitize[@]}" --show-bin-path)/fuzz-$target
[[ -x $binary ]] || { echo "the fuzz target $target did not build; run the swift build line above without the filter to see why" >&2; exit 1; }

corpus=.build-fuzz/corpus/$target
crashes=.build-fuzz/crashes/$target
mkdir -p "$corpus" "$crashes"
seed() { for file in "$@"; do [[ -f $file ]] && cp -n "$file" "$corpus/" || true; done; }
seed Fuzz/Seeds/"$target"/* Fuzz/Regressions/"$target"/*
case $target in
    Architecture) seed zoo/*.yaml ;;
    TrainingConfig) seed configs/*.yaml ;;
    Safetensors) seed Tests/ZooCoreTests/Fixtures/layer_*.safetensors ;;
esac

# Kept crash inputs must pass before new ones are looked for.
if compgen -G "Fuzz/Regressions/$target/*" > /dev/null; then
    "$binary" -rss_limit_mb=2048 Fuzz/Regressions/"$target"/* 2>&1 | tail -n 1
fi
echo "fuzzing $target for ${seconds}s"
"$binary" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
    -artifact_prefix="$crashes/" -print_final_stats=1 2>&1 | grep -E "^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|artifact)" || true
if compgen -G "$crashes/*" > /dev/null; then
    echo "fuzz target $target found crashes: $(ls "$crashes")" >&2
    exit 1
fi
