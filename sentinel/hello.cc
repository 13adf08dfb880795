// Hello message format and validation.
#include "sentinel/hello.h"

#include <fmt/format.h>

#include <charconv>
#include <vector>

namespace tandem::sentinel {

namespace {

bool ParseU64(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool ParsePort(std::string_view s, int& out) {
  uint64_t v = 0;
  if (!ParseU64(s, v) || v == 0 || v > 65535) return false;
  out = static_cast<int>(v);
  return true;
}

}  // namespace

std::expected<Hello, std::string> ParseHello(std::string_view payload) {
  std::vector<std::string_view> f;
  size_t start = 0;
  while (true) {
    size_t comma = payload.find(',', start);
    if (comma == std::string_view::npos) {
      f.push_back(payload.substr(start));
      break;
    }
    f.push_back(payload.substr(start, comma - start));
    start = comma + 1;
  }
  if (f.size() != 8) return std::unexpected(fmt::format("expected 8 fields, got {}", f.size()));
  Hello h;
  if (f[0].empty()) return std::unexpected("empty sentinel address");
  h.ip = f[0];
  if (!ParsePort(f[1], h.port)) return std::unexpected(fmt::format("bad sentinel port '{}'", f[1]));
  if (f[2].size() != 40) return std::unexpected(fmt::format("bad runid '{}'", f[2]));
  h.runid = f[2];
  if (!ParseU64(f[3], h.current_epoch))
    return std::unexpected(fmt::format("bad current epoch '{}'", f[3]));
  if (f[4].empty()) return std::unexpected("empty master name");
  h.master_name = f[4];
  if (f[5].empty()) return std::unexpected("empty master address");
  h.master_ip = f[5];
  if (!ParsePort(f[6], h.master_port))
    return std::unexpected(fmt::format("bad master port '{}'", f[6]));
  if (!ParseU64(f[7], h.master_config_epoch))
    return std::unexpected(fmt::format("bad master config epoch '{}'", f[7]));
  return h;
}

std::string FormatHello(const Hello& h) {
  return fmt::format("{},{},{},{},{},{},{},{}", h.ip, h.port, h.runid, h.current_epoch,
                     h.master_name, h.master_ip, h.master_port, h.master_config_epoch);
}

}  // namespace tandem::sentinel
