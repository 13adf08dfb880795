// The time a command runs at: wall-clock microseconds, read from the CPU's timestamp counter
// when the kernel itself keeps time with it (Redis's monotonic_clock "X86 TSC", built with
// USE_PROCESSOR_CLOCK), else from clock_gettime(CLOCK_REALTIME).
//
// Why: every command reads the time twice, at its start (its time for expiry and TTLs) and at
// its end (its duration for commandstats, SLOWLOG and latency tracking, and the next pipelined
// command's time). On the machine bench/ runs on, vDSO clock_gettime takes 21 ns and RDTSC 9 ns;
// the reads were 11% of the server's time for PING -P 16.
//
// How: the counter is used only when the kernel's clocksource is "tsc", which the kernel picks
// only for an invariant counter it found synchronised across CPUs. Time is the anchor (a
// CLOCK_REALTIME reading and the counter beside it) plus the ticks since, at a rate measured
// against CLOCK_MONOTONIC: over ~2 ms at Init, then over the whole time since Init at every
// Tick. The server ticks from its cron (hz times a second), and a reading more than a second
// past its anchor takes a new anchor first, so a step of the wall clock shows within a cron
// period and the error of the extrapolation stays in microseconds. Two readings across a new
// anchor may go back by that error; durations are clamped at zero where they are computed.
//
// One thread: the event loop's.
#pragma once

#include <cstdint>
#include <string>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace tandem::server {

class CommandClock {
 public:
  // Chooses the source; with allow_tsc and an eligible kernel, calibrates the counter (a busy
  // wait of ~2 ms). `max_anchor_age_us` is how far a reading may be from its anchor before it
  // takes a new one (tests shrink it).
  void Init(bool allow_tsc, int64_t max_anchor_age_us = 1000000);

  int64_t NowUs() {
#if defined(__x86_64__)
    if (tsc_) {
      const int64_t ticks = static_cast<int64_t>(ReadCounter() - anchor_ticks_);
      if (ticks >= 0 && ticks <= max_anchor_ticks_) {
        return anchor_us_ + static_cast<int64_t>(static_cast<double>(ticks) * us_per_tick_);
      }
      Anchor();
      return anchor_us_;
    }
#endif
    return RealtimeUs();
  }

  // A new anchor and a better rate (the server's cron).
  void Tick();

  bool uses_tsc() const { return tsc_; }
  // INFO's monotonic_clock, in Redis's words.
  std::string Describe() const;

  // Whether the kernel keeps time with the counter (its clocksource is "tsc").
  static bool KernelUsesTsc();

 private:
  static uint64_t ReadCounter() {
#if defined(__x86_64__)
    return __rdtsc();
#else
    return 0;
#endif
  }
  static int64_t RealtimeUs();
  static int64_t MonotonicNs();
  void Anchor();

  bool tsc_ = false;
  double us_per_tick_ = 0;
  int64_t max_anchor_ticks_ = 0;
  int64_t max_anchor_age_us_ = 1000000;
  uint64_t anchor_ticks_ = 0;
  int64_t anchor_us_ = 0;
  uint64_t base_ticks_ = 0;  // the counter and CLOCK_MONOTONIC at Init: the rate's baseline
  int64_t base_mono_ns_ = 0;
};

}  // namespace tandem::server
