#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Fuzz/, docs/fuzzing.md) with AddressSanitizer and runs them.
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS] [libFuzzer flags...]
#
# TARGET is one of policy request replay csv mmdb state audit (default: all, one after another);
# SECONDS is each target's run time (default 60). Extra arguments go to libFuzzer as they are
# (e.g. -jobs=2 -workers=2, -only_ascii=1).
#
# The build lives in .build-fuzz (never the normal .build). Each target's working corpus is
# .build-fuzz/corpus/<target> (kept between runs, so runs add up); the committed seeds and
# regressions under Fuzz/Corpus/<target> are read, never written. A crash, a leak, a timeout
# (over 1 s for one input) or an out-of-memory (over 2 GiB) stops that target, saves the input as
# .build-fuzz/artifacts/<target>/<kind>-<sha1>, and makes the script exit 1 after the others ran.
# Turn such an input into a regression: fix the bug, then copy the file into
# Fuzz/Corpus/<target>/regressions/ (swift test replays that folder).
#
# Environment: FUZZ_SKIP_BUILD=1 uses the last build; FUZZ_RSS_MB changes the memory limit.
set -euo pipefail
cd "$(dirname "$0")/.."

all=(policy request replay csv mmdb state audit)
target=${1:-all}
seconds=${2:-60}
shift $(( $# < 2 ? $# : 2 ))
if [ "$target" = all ]; then
    targets=("${all[@]}")
elif [[ " ${all[*]} " == *" $target "* ]]; then
    targets=("$target")
else
    echo "usage: scripts/fuzz.sh [${all[*]// /|}|all] [SECONDS] [libFuzzer flags...]" >&2
    exit 2
fi
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "fuzz.sh: SECONDS must be a positive whole number, not '$seconds'" >&2
    exit 2
fi

scratch=.build-fuzz
if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ]; then
    start=$(date +%s)
    # -sanitize=fuzzer instruments every Swift module for coverage (the C libraries, libyaml and
    # SQLite, are not). The harnesses share their modules, so after the first product the others
    # only compile their main.swift and link.
    for t in "${targets[@]}"; do
        RISKGATE_FUZZ=1 swift build -c release --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address --product "fuzz-$t" >&2
    done
    echo "fuzz.sh: built in $(( $(date +%s) - start )) s" >&2
fi
bin="$scratch/release"

failed=()
for t in "${targets[@]}"; do
    corpus="$scratch/corpus/$t"
    artifacts="$scratch/artifacts/$t"
    mkdir -p "$corpus" "$artifacts" "$scratch/logs"
    inputs=("$corpus" "Fuzz/Corpus/$t/seeds" "Fuzz/Corpus/$t/regressions")
    flags=(-max_total_time="$seconds" -timeout=1 -rss_limit_mb="${FUZZ_RSS_MB:-2048}" -malloc_limit_mb="${FUZZ_RSS_MB:-2048}"
           -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$artifacts/")
    case "$t" in
        policy) flags+=(-dict=Fuzz/Dictionaries/yaml.dict -max_len=16384) ;;
        request | replay) flags+=(-dict=Fuzz/Dictionaries/json.dict -max_len=4096) ;;
        csv) flags+=(-dict=Fuzz/Dictionaries/json.dict -max_len=8192)
            # The RBA sample is referenced, not copied (../shared/datasets/README.md).
            [ -d ../shared/datasets/rba-login-sample ] && inputs+=(../shared/datasets/rba-login-sample) ;;
        mmdb) flags+=(-max_len=131072)
            [ -d ../shared/datasets/geo/maxmind-test ] && inputs+=(../shared/datasets/geo/maxmind-test) ;;
        state | audit) flags+=(-max_len=8192) ;;
    esac
    log="$scratch/logs/$t.log"
    echo "fuzz.sh: $t for ${seconds} s (log $log)" >&2
    # Swift's crash reporter would take over the signals AddressSanitizer reports with.
    if LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp" SWIFT_BACKTRACE=enable=no "$bin/fuzz-$t" "${inputs[@]}" "${flags[@]}" "$@" >"$log" 2>&1; then
        grep -E "^#[0-9]+ +DONE|^stat::(number_of_executed_units|peak_rss_mb)|^Done" "$log" | sed "s/^/  $t: /" >&2 || true
    else
        failed+=("$t")
        echo "fuzz.sh: $t FAILED; the end of its log:" >&2
        tail -n 40 "$log" >&2
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: failed: ${failed[*]} (inputs in $scratch/artifacts/)" >&2
    exit 1
fi
echo "fuzz.sh: ${targets[*]}: no crash, leak, timeout or out-of-memory" >&2
