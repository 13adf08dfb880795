#!/usr/bin/env bash
# Quick start "test": installs the dependencies, then builds and runs the whole suite twice, in a
# normal build and under AddressSanitizer + UndefinedBehaviorSanitizer: doctest unit tests per
# library and pytest wire tests against the real binaries (incl. the differential test against
# stock redis-server 7.0.15; ctest -j(nproc), with the timer-bound suites run alone, see
# tests/CMakeLists.txt). Then fuzzes the RESP parser for a bounded time. Prints ctest's
# summary for each build and exits non-zero on any failure.
#   TANDEM_FUZZ_SECONDS=10 (default)   TANDEM_SKIP_ASAN=1 to skip the sanitizer pass locally
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
# faster than full -g, which CI's time budget needs.
run_build build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTANDEM_BENCH=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" || status=1
if [ "${TANDEM_SKIP_ASAN:-0}" != 1 ]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_build build-asan -DCMAKE_BUILD_TYPE=Debug -DTANDEM_SANITIZE=ON -DTANDEM_BENCH=OFF \
    -DCMAKE_CXX_FLAGS_DEBUG="-g1" || status=1
fi

echo "=== fuzz: RESP request parser and reply decoder"
fuzz_dir="$root/build-fuzz"
if cmake -S "$root" -B "$fuzz_dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DTANDEM_FUZZ=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build "$fuzz_dir" -j"$jobs"; then
  corpus=$(mktemp -d)
  cp "$root"/tests/fuzz/corpus/request_parser/* "$corpus"/
  if "$fuzz_dir/tests/fuzz/request_parser_fuzz" -max_total_time="${TANDEM_FUZZ_SECONDS:-10}" \
       -max_len=4096 -artifact_prefix="$fuzz_dir/" "$corpus" >"$fuzz_dir/fuzz.log" 2>&1; then
    echo "fuzz: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$fuzz_dir/fuzz.log")"
    all_passed=$((all_passed + 1))
  else
    all_failed=$((all_failed + 1))
    echo "fuzz: FAILED (crash input and log in $fuzz_dir)"; tail -30 "$fuzz_dir/fuzz.log"; status=1
  fi
  rm -rf "$corpus"
else
  echo "fuzz: build FAILED"; status=1; all_failed=$((all_failed + 1))
fi

[ "$unformatted" = 0 ] && all_passed=$((all_passed + 1)) || all_failed=$((all_failed + 1))
# ctest's own summaries are printed above, one per build; this line totals both builds plus the
# format check and the fuzz run.
echo "tandem: $all_passed passed, $all_failed failed"
exit $status
