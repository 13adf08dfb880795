// CommandClock: the counter-based wall clock agrees with CLOCK_REALTIME, and the fallback is
// CLOCK_REALTIME itself.
#include "server/clock.h"

#include <doctest/doctest.h>
#include <time.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

using tandem::server::CommandClock;

int64_t RealtimeUs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// Busy-waits ~`us` microseconds of CLOCK_REALTIME (bounded by a count).
void Spin(int64_t us) {
  const int64_t until = RealtimeUs() + us;
  for (int i = 0; i < 100000000 && RealtimeUs() < until; ++i) {
  }
}

// |clock - CLOCK_REALTIME| over `reads` readings spread across ~`span_us`.
int64_t WorstSkewUs(CommandClock& clock, int reads, int64_t span_us) {
  int64_t worst = 0;
  for (int i = 0; i < reads; ++i) {
    const int64_t before = RealtimeUs();
    const int64_t ours = clock.NowUs();
    const int64_t after = RealtimeUs();
    int64_t skew = 0;
    if (ours < before) skew = before - ours;
    if (ours > after) skew = ours - after;
    if (skew > worst) worst = skew;
    Spin(span_us / reads);
  }
  return worst;
}

}  // namespace

TEST_CASE("clock: without the counter it is CLOCK_REALTIME") {
  CommandClock clock;
  clock.Init(false);
  CHECK_FALSE(clock.uses_tsc());
  CHECK(clock.Describe() == "POSIX clock_gettime");
  CHECK(WorstSkewUs(clock, 20, 2000) <= 1);
}

TEST_CASE("clock: a default-constructed clock (no Init) reads CLOCK_REALTIME") {
  CommandClock clock;
  CHECK_FALSE(clock.uses_tsc());
  CHECK(WorstSkewUs(clock, 5, 100) <= 1);
}

TEST_CASE("clock: the counter is used only when the kernel keeps time with it") {
  CommandClock clock;
  clock.Init(true);
  CHECK(clock.uses_tsc() == CommandClock::KernelUsesTsc());
  if (!clock.uses_tsc()) {
    MESSAGE("the kernel's clocksource is not tsc here: the counter path is not exercised");
    return;
  }
  const std::string described = clock.Describe();
  CHECK(described.rfind("X86 TSC @ ", 0) == 0);
  CHECK(described.size() > std::string("X86 TSC @  ticks/us").size());
  const int ticks_per_us = std::atoi(described.c_str() + 10);
  CHECK(ticks_per_us >= 100);    // 100 MHz
  CHECK(ticks_per_us <= 10000);  // 10 GHz

  // Within 100 us of CLOCK_REALTIME over 50 ms, across cron ticks as the server makes them.
  CHECK(WorstSkewUs(clock, 50, 50000) <= 100);
  clock.Tick();
  CHECK(WorstSkewUs(clock, 50, 50000) <= 100);

  // Readings between two ticks never go back.
  int64_t last = clock.NowUs();
  int backwards = 0;
  for (int i = 0; i < 100000; ++i) {
    const int64_t now = clock.NowUs();
    if (now < last) ++backwards;
    last = now;
  }
  CHECK(backwards == 0);
}

TEST_CASE("clock: a reading far from its anchor takes a new one") {
  CommandClock clock;
  clock.Init(true, /*max_anchor_age_us=*/1000);
  if (!clock.uses_tsc()) return;
  // With 1 ms anchors and no Tick at all, readings 400 us apart (extrapolated from an anchor,
  // then past its age) stay right over 200 ms.
  CHECK(WorstSkewUs(clock, 500, 200000) <= 100);
}
