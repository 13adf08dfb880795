#include "server/clock.h"

#include <fmt/format.h>
#include <time.h>

#include <cmath>
#include <fstream>
#include <string>

namespace tandem::server {

namespace {

int64_t ReadNs(int clock_id) {
  timespec ts{};
  clock_gettime(clock_id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Microseconds per tick between two pairs, or NaN when the pairs do not move forward together.
double Rate(int64_t ns0, uint64_t ticks0, int64_t ns1, uint64_t ticks1) {
  if (ticks1 <= ticks0 || ns1 <= ns0) return std::nan("");
  return static_cast<double>(ns1 - ns0) / 1000.0 / static_cast<double>(ticks1 - ticks0);
}

}  // namespace

int64_t CommandClock::RealtimeUs() { return ReadNs(CLOCK_REALTIME) / 1000; }

CommandClock::Pair CommandClock::ReadPair(int clock_id) {
  Pair best{0, 0};
  uint64_t best_gap = UINT64_MAX;
  for (int i = 0; i < 5; ++i) {
    const uint64_t before = ReadCounter();
    const int64_t ns = ReadNs(clock_id);
    const uint64_t after = ReadCounter();
    if (after - before < best_gap) {
      best_gap = after - before;
      best = {before + (after - before) / 2, ns};
    }
  }
  return best;
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
  const Pair start = ReadPair(CLOCK_MONOTONIC);
  Pair end = start;
  // Bounded: 2 ms of CLOCK_MONOTONIC, or a million tries (a clock that does not advance).
  for (int i = 0; i < 1000000 && end.ns - start.ns < 2000000; ++i) end = ReadPair(CLOCK_MONOTONIC);
  const double rate = Rate(start.ns, start.ticks, end.ns, end.ticks);
  if (end.ns - start.ns < 2000000 || !std::isfinite(rate) || rate <= 0) return;
  us_per_tick_ = rate;
  base_ = start;
  last_ = end;
  tsc_ = true;
  Anchor();
}

void CommandClock::Anchor() {
  const Pair now = ReadPair(CLOCK_REALTIME);
  anchor_ticks_ = now.ticks;
  anchor_us_ = now.ns / 1000;
  max_anchor_ticks_ = static_cast<int64_t>(static_cast<double>(max_anchor_age_us_) / us_per_tick_);
}

void CommandClock::Tick() {
  if (!tsc_) return;
  const Pair now = ReadPair(CLOCK_MONOTONIC);
  // Since the previous tick, did the counter keep CLOCK_MONOTONIC's pace (within 1%)? Not
  // across a suspend (CLOCK_MONOTONIC stops, the counter may not) or a counter reset: measure
  // from here on, keeping the rate.
  const double window = Rate(last_.ns, last_.ticks, now.ns, now.ticks);
  if (!std::isfinite(window) || std::abs(window - us_per_tick_) > us_per_tick_ / 100) {
    base_ = now;
  } else if (const double rate = Rate(base_.ns, base_.ticks, now.ns, now.ticks);
             std::isfinite(rate) && rate > 0) {
    us_per_tick_ = rate;
  }
  last_ = now;
  Anchor();
}

std::string CommandClock::Describe() const {
  if (!tsc_) return "POSIX clock_gettime";
  return fmt::format("X86 TSC @ {} ticks/us", std::lround(1.0 / us_per_tick_));
}

}  // namespace tandem::server
