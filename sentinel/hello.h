// The hello message Sentinels publish on __sentinel__:hello every publish period (and PUBLISH
// directly to peer Sentinels): eight comma-separated fields
//   sentinel_ip,sentinel_port,sentinel_runid,current_epoch,
//   master_name,master_ip,master_port,master_config_epoch
// Redis splits on ',' and uses atoi/strtoull on whatever it gets; tandem rejects a hello whose
// fields do not parse (bad port, non-numeric epoch, runid not 40 chars) instead of creating a
// Sentinel at port 0.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace tandem::sentinel {

struct Hello {
  std::string ip;
  int port = 0;
  std::string runid;
  uint64_t current_epoch = 0;
  std::string master_name;
  std::string master_ip;
  int master_port = 0;
  uint64_t master_config_epoch = 0;
};

// The error names what is wrong ("expected 8 fields, got 3", "bad port 'x'").
std::expected<Hello, std::string> ParseHello(std::string_view payload);
std::string FormatHello(const Hello& h);

}  // namespace tandem::sentinel
