#include "server/clock.h"

#include <fmt/format.h>
#include <time.h>

#include <cmath>
#include <fstream>
#include <string>

namespace tandem::server {

namespace {

// A counter reading with CLOCK_MONOTONIC taken between two counter reads, from the tightest of a
// few tries: a reading pair whose gap was widened by an interrupt would skew the rate.
struct Pair {
  uint64_t ticks;
  int64_t mono_ns;
};

}  // namespace

int64_t CommandClock::RealtimeUs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

int64_t CommandClock::MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

bool CommandClock::KernelUsesTsc() {
#if defined(__x86_64__)
  std::ifstream in("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  std::string source;
  return in && std::getline(in, source) && source == "tsc";
#else
  return false;
#endif
}

void CommandClock::Init(bool allow_tsc, int64_t max_anchor_age_us) {
  max_anchor_age_us_ = max_anchor_age_us;
  tsc_ = false;
  if (!allow_tsc || !KernelUsesTsc()) return;
  auto pair = [] {
    Pair best{0, 0};
    uint64_t best_gap = UINT64_MAX;
    for (int i = 0; i < 5; ++i) {
      const uint64_t before = ReadCounter();
      const int64_t mono = MonotonicNs();
      const uint64_t after = ReadCounter();
      if (after - before < best_gap) {
        best_gap = after - before;
        best = {before + (after - before) / 2, mono};
      }
    }
    return best;
  };
  const Pair start = pair();
  Pair end = start;
  // Bounded: 2 ms of CLOCK_MONOTONIC, or a million tries (a clock that does not advance).
  for (int i = 0; i < 1000000 && end.mono_ns - start.mono_ns < 2000000; ++i) end = pair();
  if (end.mono_ns - start.mono_ns < 2000000 || end.ticks <= start.ticks) return;
  us_per_tick_ = static_cast<double>(end.mono_ns - start.mono_ns) / 1000.0 /
                 static_cast<double>(end.ticks - start.ticks);
  if (!std::isfinite(us_per_tick_) || us_per_tick_ <= 0) return;
  base_ticks_ = start.ticks;
  base_mono_ns_ = start.mono_ns;
  tsc_ = true;
  Anchor();
}

void CommandClock::Anchor() {
  anchor_ticks_ = ReadCounter();
  anchor_us_ = RealtimeUs();
  max_anchor_ticks_ = static_cast<int64_t>(static_cast<double>(max_anchor_age_us_) / us_per_tick_);
}

void CommandClock::Tick() {
  if (!tsc_) return;
  const uint64_t ticks = ReadCounter();
  const int64_t mono_ns = MonotonicNs();
  if (ticks > base_ticks_ && mono_ns > base_mono_ns_) {
    us_per_tick_ = static_cast<double>(mono_ns - base_mono_ns_) / 1000.0 /
                   static_cast<double>(ticks - base_ticks_);
  }
  Anchor();
}

std::string CommandClock::Describe() const {
  if (!tsc_) return "POSIX clock_gettime";
  return fmt::format("X86 TSC @ {} ticks/us", std::lround(1.0 / us_per_tick_));
}

}  // namespace tandem::server
