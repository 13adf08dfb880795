// libFuzzer target: an INFO reply as Sentinel reads it from a monitored master or replica
// (ParseInfo, sentinelRefreshInstanceInfo's prefix rules). The reply comes from the network, so
// any bytes must give a report without crashing, and the report may hold only what the reply
// contained.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "sentinel/info_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view info(reinterpret_cast<const char*>(data), size);
  const tandem::sentinel::InfoReport r = tandem::sentinel::ParseInfo(info);
  bool ok = r.run_id.empty() || (r.run_id.size() == 40 && info.find(r.run_id) != info.npos);
  ok = ok && r.master_host.size() <= size && r.slaves.size() <= size / 7;
  for (const auto& [ip, port] : r.slaves) ok = ok && ip.size() <= size;
  if (!ok) {
    std::fprintf(stderr, "info_fuzz: the report holds more than the reply\n");
    std::abort();
  }
  return 0;
}
