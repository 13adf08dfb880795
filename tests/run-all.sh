#!/usr/bin/env bash
# Quick start "test": installs the dependencies, then builds and runs the whole suite twice, in a
# normal build and under AddressSanitizer + UndefinedBehaviorSanitizer: doctest unit tests per
# library and pytest wire tests against the real binaries (incl. the differential test against
# stock redis-server 7.0.15; ctest -j(nproc), with the timer-bound suites run alone, see
# tests/CMakeLists.txt). Then builds the seven libFuzzer targets of tests/fuzz with clang (RESP
# parser, redis.conf, sentinel.conf, Sentinel hello and INFO parsers, RDB and AOF loaders) and
# runs each for a bounded time under ASan+UBSan, two at a time on this 2-core machine. Prints
# ctest's summary for each build and exits non-zero on any failure.
#   TANDEM_FUZZ_SECONDS=10 (default: seconds per fuzz target; the fuzz stage, clang build
#   included, takes about 100 s, plus 4 s per extra second)   TANDEM_SKIP_ASAN=1 to skip the
#   sanitizer pass locally
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/install-deps.sh" || exit 1
jobs=$(nproc)
status=0

echo "=== clang-format (.clang-format, Google style, 100 columns)"
unformatted=$(cd "$root" && git ls-files '*.cc' '*.h' | xargs -r clang-format --dry-run 2>&1 | grep -c 'warning:' || true)
if [ "$unformatted" != 0 ]; then
  echo "clang-format: $unformatted places differ; run: git ls-files '*.cc' '*.h' | xargs clang-format -i"
  status=1
fi

run_build() {  # name, extra cmake args...
  local dir="$root/$1"; shift
  echo "=== build $dir"
  if ! cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null || ! cmake --build "$dir" -j"$jobs"; then
    echo "build FAILED: $dir"
    all_failed=$((all_failed + 1))
    return 1
  fi
  echo "=== test $dir"
  (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 600) | tee "$dir/ctest.log"
  local rc=${PIPESTATUS[0]}
  # "95% tests passed, 1 tests failed out of 20" -> running totals for the final line.
  local line total failed
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$dir/ctest.log" | tail -1)
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
  failed=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$line")
  if [ -n "$line" ]; then
    all_passed=$((all_passed + total - failed))
    all_failed=$((all_failed + failed))
  else
    all_failed=$((all_failed + 1))
  fi
  return "$rc"
}
all_passed=0
all_failed=0

# -g1 (line tables: backtraces and sanitizer reports keep file:line) compiles about a fifth
# faster than full -g, which CI's time budget needs. Unity builds (8 sources per translation
# unit) parse the shared headers once per batch: a clean build of the tree took 103 s instead
# of 170 s on the 2-core CI machine. Developers' own build dirs stay non-unity, so a missing
# include still shows up there.
unity=(-DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8)
run_build build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTANDEM_BENCH=ON "${unity[@]}" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" || status=1
if [ "${TANDEM_SKIP_ASAN:-0}" != 1 ]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_build build-asan -DCMAKE_BUILD_TYPE=Debug -DTANDEM_SANITIZE=ON -DTANDEM_BENCH=OFF \
    "${unity[@]}" -DCMAKE_CXX_FLAGS_DEBUG="-g1" || status=1
fi

# Fuzz stage: every libFuzzer target of tests/fuzz (<name>_fuzz, seeds in corpus/<name>/) runs for
# TANDEM_FUZZ_SECONDS on a temp copy of its seeds, $jobs targets at a time; each target counts
# as one entry of the final tally. A failure leaves the crashing input as build-fuzz/<name>-crash-*
# (or -timeout-*, -oom-*, -leak-*) and prints the end of the log.
fuzz_targets=(request_parser config sentinel_config hello info rdb aof)
fuzz_seconds=${TANDEM_FUZZ_SECONDS:-10}
echo "=== fuzz: ${#fuzz_targets[@]} libFuzzer targets under ASan+UBSan, ${fuzz_seconds} s each"
fuzz_dir="$root/build-fuzz"
fuzz_start=$SECONDS
run_fuzz() {  # name: runs <name>_fuzz; its exit status goes to build-fuzz/<name>.rc
  local name=$1 corpus
  corpus=$(mktemp -d)
  cp "$root/tests/fuzz/corpus/$name"/* "$corpus"/
  # -timeout: one input running 10 s is a hang; -malloc_limit_mb: one allocation above 256 MB
  # from an input of at most 4 KB is a length taken on trust.
  "$fuzz_dir/tests/fuzz/${name}_fuzz" -max_total_time="$fuzz_seconds" -max_len=4096 -timeout=10 \
    -malloc_limit_mb=256 -print_final_stats=1 -artifact_prefix="$fuzz_dir/$name-" "$corpus" \
    >"$fuzz_dir/$name.log" 2>&1
  echo $? >"$fuzz_dir/$name.rc"
  rm -rf "$corpus"
}
# -O1 -g1: clang compiles the sanitized, coverage-instrumented option tables (server_config.cc,
# schema.cc, sentinel's config_file.cc) about 2.5 times faster than at -O2 -g, which costs the
# targets far less speed than the build would cost fuzzing time.
if cmake -S "$root" -B "$fuzz_dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DTANDEM_FUZZ=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
      >/dev/null && cmake --build "$fuzz_dir" -j"$jobs"; then
  echo "fuzz: built in $((SECONDS - fuzz_start)) s"
  # Batches of $jobs: every run takes the same time, so a batch ends all at once.
  for ((i = 0; i < ${#fuzz_targets[@]}; i += jobs)); do
    batch=()
    for name in "${fuzz_targets[@]:i:jobs}"; do
      run_fuzz "$name" &
      batch+=($!)
    done
    wait "${batch[@]}"
  done
  for name in "${fuzz_targets[@]}"; do
    log="$fuzz_dir/$name.log"
    if [ "$(cat "$fuzz_dir/$name.rc" 2>/dev/null)" = 0 ]; then
      # "Done 123456 runs in 21 second(s)"
      read -r runs secs < <(sed -nE 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1 \2/p' "$log")
      rate=$((${runs:-0} / (${secs:-0} > 0 ? ${secs:-0} : 1)))
      echo "fuzz ${name}_fuzz: ${runs:-?} runs in ${secs:-?} s (${rate} execs/s)"
      all_passed=$((all_passed + 1))
    else
      all_failed=$((all_failed + 1))
      status=1
      echo "fuzz ${name}_fuzz: FAILED; input: $(grep -o 'Test unit written to .*' "$log" |
        sed 's/Test unit written to //')"
      echo "  reproduce: $fuzz_dir/tests/fuzz/${name}_fuzz <input>; log: $log"
      tail -30 "$log"
    fi
  done
  echo "fuzz: stage took $((SECONDS - fuzz_start)) s"
else
  echo "fuzz: build FAILED"; status=1; all_failed=$((all_failed + ${#fuzz_targets[@]}))
fi

[ "$unformatted" = 0 ] && all_passed=$((all_passed + 1)) || all_failed=$((all_failed + 1))
# ctest's own summaries are printed above, one per build; this line totals both builds plus the
# format check and the fuzz targets.
echo "tandem: $all_passed passed, $all_failed failed"
exit $status
