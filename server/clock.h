// The time a command runs at: wall-clock microseconds, read from the CPU's timestamp counter
// when the kernel itself keeps time with it, else from clock_gettime(CLOCK_REALTIME).
//
// Why: every command reads the time twice, at its start (its time for expiry and TTLs) and at
// its end (its duration for commandstats, SLOWLOG and latency tracking, and the next pipelined
// command's time). On the machine bench/ runs on, vDSO clock_gettime takes 21 ns and RDTSC 9 ns;
// the reads were 11% of the server's time for PING -P 16. Redis built with USE_PROCESSOR_CLOCK
// reads the counter for durations (INFO monotonic_clock "X86 TSC @ N ticks/us"); here it also
// gives the command's wall-clock time, by the anchoring below.
//
// How: the counter is used only when the kernel's clocksource is "tsc", which the kernel picks
// only for an invariant counter it found synchronised across CPUs. Time is the anchor (a
// CLOCK_REALTIME reading and the counter beside it, the tightest of a few tries) plus the ticks
// since, at a rate measured against CLOCK_MONOTONIC: over ~2 ms at Init, then from a baseline
// that every Tick moves back to the last point where the counter and CLOCK_MONOTONIC stopped
// agreeing (a suspend, a counter reset), so the rate is measured over a long, clean stretch.
// The server ticks from its cron (hz times a second), and a reading more than a second past its
// anchor takes a new anchor first, so a step of the wall clock shows within a cron period and
// the extrapolation stays within microseconds of CLOCK_REALTIME (NTP slewing CLOCK_MONOTONIC
// faster than the baseline follows could add up to its slew rate times one cron period). Two
// readings across a new anchor may go back by that much; durations are clamped at zero where
// they are computed.
//
// One thread: the event loop's.
#pragma once

#include <cstdint>
#include <string>

namespace tandem::server {

class CommandClock {
 public:
  // Chooses the source; with allow_tsc and an eligible kernel, calibrates the counter (a busy
  // wait of ~2 ms). `max_anchor_age_us` is how far a reading may be from its anchor before it
  // takes a new one (tests shrink it).
  void Init(bool allow_tsc, int64_t max_anchor_age_us = 1000000);

  int64_t NowUs() {
    if (tsc_) {
      const int64_t ticks = static_cast<int64_t>(ReadCounter() - anchor_ticks_);
      if (ticks >= 0 && ticks <= max_anchor_ticks_) {
        return anchor_us_ + static_cast<int64_t>(static_cast<double>(ticks) * us_per_tick_);
      }
      Anchor();
      return anchor_us_;
    }
    return RealtimeUs();
  }

  // A new anchor and a better rate (the server's cron).
  void Tick();

  bool uses_tsc() const { return tsc_; }
  // INFO's monotonic_clock, in Redis's words.
  std::string Describe() const;

  // Whether the kernel keeps time with the counter (its clocksource is "tsc", x86-64 only).
  static bool KernelUsesTsc();

 private:
  // The counter, and a clock's reading taken between two reads of it.
  struct Pair {
    uint64_t ticks;
    int64_t ns;
  };

  static uint64_t ReadCounter() {
#if defined(__x86_64__)
    return __builtin_ia32_rdtsc();
#else
    return 0;  // never read: KernelUsesTsc() is false
#endif
  }
  static int64_t RealtimeUs();
  // The tightest of a few tries: a pair whose reads an interrupt pulled apart would be off.
  static Pair ReadPair(int clock_id);
  void Anchor();

  bool tsc_ = false;
  double us_per_tick_ = 0;
  int64_t max_anchor_ticks_ = 0;
  int64_t max_anchor_age_us_ = 1000000;
  uint64_t anchor_ticks_ = 0;
  int64_t anchor_us_ = 0;
  Pair base_{0, 0};  // where the rate is measured from (CLOCK_MONOTONIC)
  Pair last_{0, 0};  // the previous Tick's reading
};

}  // namespace tandem::server
