// libFuzzer target: the hello message Sentinels publish on __sentinel__:hello, as ParseHello reads
// it from any peer. A hello that parses must come back field for field from FormatHello's text
// (the message this Sentinel would publish for it).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sentinel/hello.h"

namespace {

bool SameFields(const tandem::sentinel::Hello& a, const tandem::sentinel::Hello& b) {
  return a.ip == b.ip && a.port == b.port && a.runid == b.runid &&
         a.current_epoch == b.current_epoch && a.master_name == b.master_name &&
         a.master_ip == b.master_ip && a.master_port == b.master_port &&
         a.master_config_epoch == b.master_config_epoch;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  auto h = tandem::sentinel::ParseHello(payload);
  if (!h) return 0;
  if (h->port < 1 || h->port > 65535 || h->master_port < 1 || h->master_port > 65535 ||
      h->runid.size() != 40) {
    std::fprintf(stderr, "hello_fuzz: ParseHello accepted out-of-range fields\n");
    std::abort();
  }
  const std::string text = tandem::sentinel::FormatHello(*h);
  auto again = tandem::sentinel::ParseHello(text);
  if (!again || !SameFields(*h, *again)) {
    std::fprintf(stderr, "hello_fuzz: FormatHello's text '%s' does not parse back: %s\n",
                 text.c_str(), again ? "fields differ" : again.error().c_str());
    std::abort();
  }
  return 0;
}
